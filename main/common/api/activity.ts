import { DateTime, Nullable, StringEnum, Type, type Static } from './schema.js';

/** The spans the Activity view offers. */
export const ACTIVITY_RANGE_NAMES = ['hour', 'day', 'week'] as const;
export type ActivityRange = (typeof ACTIVITY_RANGE_NAMES)[number];

const counts = { calls: Type.Integer(), denied: Type.Integer(), errors: Type.Integer() };
export const ActivityCounts = Type.Object(counts);
export type ActivityCounts = Static<typeof ActivityCounts>;

export const ActivityQuery = Type.Object(
  { range: Type.Optional(StringEnum(ACTIVITY_RANGE_NAMES, { description: 'default day' })) },
  { additionalProperties: false },
);
export type ActivityQuery = Static<typeof ActivityQuery>;

/** GET /admin/api/activity: proxied calls per agent and time bucket, the busiest connections and each agent's last call. */
export const ActivityReport = Type.Object({
  range: StringEnum(ACTIVITY_RANGE_NAMES),
  since: DateTime(),
  until: DateTime(),
  bucket_ms: Type.Integer(),
  buckets: Type.Array(
    Type.Object({ at: DateTime(), agent_id: Type.String(), agent_name: Nullable(Type.String()), ...counts }),
    { description: "One row per agent and bucket that had calls; `at` is the bucket's start" },
  ),
  connections: Type.Array(Type.Object({ connection: Type.String(), ...counts }), {
    description: 'Busiest first, at most 10',
  }),
  agents: Type.Array(
    Type.Object({
      agent_id: Type.String(),
      agent_name: Nullable(Type.String()),
      ...counts,
      last_at: DateTime(),
      last_connection: Nullable(Type.String()),
      last_method: Nullable(Type.String()),
      last_path: Nullable(Type.String()),
      last_status: Nullable(Type.Integer()),
      last_decision: Type.String(),
    }),
    { description: "Busiest first, with each agent's newest call in the range" },
  ),
});
export type ActivityReport = Static<typeof ActivityReport>;
