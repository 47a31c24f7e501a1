import { DateTime, Nullable, StringEnum, Type, type Static } from './schema.js';

export const AUDIT_KINDS = ['proxy', 'token', 'approval', 'revocation', 'connection', 'agent', 'control'] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];
export const AUDIT_DECISIONS = ['allow', 'deny', 'info'] as const;
export type AuditDecision = (typeof AUDIT_DECISIONS)[number];
export const AUDIT_EXPORT_FORMATS = ['jsonl', 'csv'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

/** A stored audit entry; `at` is ISO 8601, `hash` chains it to `prev_hash`. */
export const AuditEntry = Type.Object({
  id: Type.Integer(),
  at: DateTime(),
  kind: StringEnum(AUDIT_KINDS),
  decision: StringEnum(AUDIT_DECISIONS),
  reason: Nullable(Type.String()),
  agent_id: Nullable(Type.String()),
  agent_name: Nullable(Type.String()),
  connection: Nullable(Type.String()),
  method: Nullable(Type.String()),
  path: Nullable(Type.String({ description: 'Query values are redacted' })),
  status: Nullable(Type.Integer()),
  latency_ms: Nullable(Type.Integer()),
  bytes_in: Nullable(Type.Integer()),
  bytes_out: Nullable(Type.Integer()),
  session_id: Nullable(
    Type.String({ description: 'The exec session whose token made the call (`latchkey sessions`)' }),
  ),
  prev_hash: Type.String({ description: 'hash of the previous entry (64 zeros for the first)' }),
  hash: Type.String({ description: 'sha256(prev_hash + "\\n" + canonical fields), hex' }),
});
export type AuditEntry = Static<typeof AuditEntry>;

/** Filters of GET /audit and its export; absent fields do not filter, present ones combine with AND. */
const filterProperties = {
  agent: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Agent id' })),
  connection: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: 'Connection name' })),
  decision: Type.Optional(StringEnum(AUDIT_DECISIONS)),
  kind: Type.Optional(StringEnum(AUDIT_KINDS)),
  since: Type.Optional(DateTime({ description: 'Entries at or after this time' })),
  until: Type.Optional(DateTime({ description: 'Entries at or before this time' })),
};
export const AuditFilters = Type.Object(filterProperties, { additionalProperties: false });
export type AuditFilters = Static<typeof AuditFilters>;

/** GET /audit's query: the filters and a page. */
export const AuditQuery = Type.Object(
  {
    ...filterProperties,
    limit: Type.Optional(
      Type.String({ pattern: '^(?:[1-9][0-9]?|[1-4][0-9]{2}|500)$', description: '1 to 500, default 100' }),
    ),
    cursor: Type.Optional(
      Type.String({ pattern: '^[1-9][0-9]{0,15}$', description: 'next_cursor of the previous page' }),
    ),
  },
  { additionalProperties: false },
);
export type AuditQuery = Static<typeof AuditQuery>;

/** GET /audit/export's query. */
export const AuditExportQuery = Type.Object(
  { ...filterProperties, format: Type.Optional(StringEnum(AUDIT_EXPORT_FORMATS, { description: 'default jsonl' })) },
  { additionalProperties: false },
);
export type AuditExportQuery = Static<typeof AuditExportQuery>;

/** GET /audit/export's answer: a streamed file, so its body has no JSON type. */
export const AuditExportFile = Type.Unsafe<unknown>({
  description: 'A streamed file (content-disposition: attachment)',
  content: {
    'application/x-ndjson': { schema: { type: 'string', description: 'One JSON audit entry per line' } },
    'text/csv': {
      schema: {
        type: 'string',
        description: 'RFC 4180, header row first; cells that would start a formula are prefixed with an apostrophe',
      },
    },
  },
});

/** Newest first; pass next_cursor as cursor for the next page. */
export const AuditPage = Type.Object({ entries: Type.Array(AuditEntry), next_cursor: Nullable(Type.String()) });
export type AuditPage = Static<typeof AuditPage>;

export const AuditVerification = Type.Object({
  ok: Type.Boolean(),
  checked: Type.Integer({ description: 'Entries whose hash and link to the previous entry are intact' }),
  first_bad: Type.Optional(Type.Integer({ description: 'The first entry (id) that is wrong, missing or unexpected' })),
  reason: Type.Optional(Type.String({ description: 'When not ok: what is wrong' })),
});
export type AuditVerification = Static<typeof AuditVerification>;
