import type Database from 'better-sqlite3';
import type { ActivityCounts as Counts, ActivityRange, ActivityReport } from '../../common/admin-api.js';

export type { ActivityRange, ActivityReport };

/** Each range's span and bucket width. */
export const ACTIVITY_RANGES: Record<ActivityRange, { span: number; bucket: number }> = {
  hour: { span: 3_600_000, bucket: 60_000 },
  day: { span: 86_400_000, bucket: 3_600_000 },
  week: { span: 604_800_000, bucket: 21_600_000 },
};

// Calls are proxied requests; a denial is the broker refusing one, an error an upstream answer of 4xx/5xx.
const COUNTS =
  "COUNT(*) AS calls, COUNT(CASE WHEN decision = 'deny' THEN 1 END) AS denied, COUNT(CASE WHEN decision = 'allow' AND status >= 400 THEN 1 END) AS errors";
// `at >= @since` first: served by the audit_at index, so the cost follows the range, not the table.
const IN_RANGE = "at >= @since AND at <= @until AND kind = 'proxy' AND agent_id IS NOT NULL";

/** The statements, prepared once per database. */
const prepared = new WeakMap<Database.Database, ReturnType<typeof prepare>>();

function prepare(db: Database.Database) {
  return {
    buckets: db.prepare(
      `SELECT (at / CAST(@bucket AS INTEGER)) * @bucket AS at, agent_id, MAX(agent_name) AS agent_name, ${COUNTS} FROM audit WHERE ${IN_RANGE} GROUP BY 1, agent_id ORDER BY 1, agent_id`,
    ),
    connections: db.prepare(
      `SELECT connection, ${COUNTS} FROM audit WHERE ${IN_RANGE} AND connection IS NOT NULL GROUP BY connection ORDER BY calls DESC, connection LIMIT 10`,
    ),
    agents: db.prepare(
      `SELECT agent_id, MAX(agent_name) AS agent_name, ${COUNTS}, MAX(id) AS last_id FROM audit WHERE ${IN_RANGE} GROUP BY agent_id ORDER BY calls DESC, agent_id`,
    ),
    last: db.prepare('SELECT at, connection, method, path, status, decision FROM audit WHERE id = ?'),
  };
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Proxied calls per agent and time bucket over the last hour, day or week (SQL GROUP BY over the audit table). */
export function auditActivity(db: Database.Database, range: ActivityRange, now: number = Date.now()): ActivityReport {
  const { span, bucket } = ACTIVITY_RANGES[range];
  let statements = prepared.get(db);
  if (!statements) prepared.set(db, (statements = prepare(db)));
  const params = { since: Math.floor((now - span) / bucket + 1) * bucket, until: now };
  const buckets = statements.buckets.all({ ...params, bucket }) as (Counts & {
    at: number;
    agent_id: string;
    agent_name: string | null;
  })[];
  const agents = statements.agents.all(params) as (Counts & {
    agent_id: string;
    agent_name: string | null;
    last_id: number;
  })[];
  return {
    range,
    since: iso(params.since),
    until: iso(now),
    bucket_ms: bucket,
    buckets: buckets.map((row) => ({ ...row, at: iso(row.at) })),
    connections: statements.connections.all(params) as ActivityReport['connections'],
    agents: agents.map(({ last_id, ...row }) => {
      const last = statements.last.get(last_id) as {
        at: number;
        connection: string | null;
        method: string | null;
        path: string | null;
        status: number | null;
        decision: string;
      };
      return {
        ...row,
        last_at: iso(last.at),
        last_connection: last.connection,
        last_method: last.method,
        last_path: last.path,
        last_status: last.status,
        last_decision: last.decision,
      };
    }),
  };
}
