import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import { LatchkeyError } from '../errors.js';
import { errorResponses } from '../http/schemas.js';
import type { AuditDecision, AuditKind } from '../../common/admin-api.js';
import type { AuditLog } from './audit-log.js';
import type { AuditExportFilter } from './audit-query.js';
import { AUDIT_DECISIONS, AUDIT_KINDS } from './entry-fields.js';
import type { AuditExportFormat } from './export-format.js';

interface FilterQuery {
  agent?: string;
  connection?: string;
  decision?: AuditDecision;
  kind?: AuditKind;
  since?: string;
  until?: string;
}

const filterProperties = {
  agent: { type: 'string', minLength: 1, maxLength: 128, description: 'Agent id' },
  connection: { type: 'string', minLength: 1, maxLength: 128, description: 'Connection name' },
  decision: { type: 'string', enum: AUDIT_DECISIONS },
  kind: { type: 'string', enum: AUDIT_KINDS },
  since: { type: 'string', format: 'date-time', description: 'Entries at or after this time' },
  until: { type: 'string', format: 'date-time', description: 'Entries at or before this time' },
} as const;

const nullable = (type: 'string' | 'integer') => ({ type: [type, 'null'] }) as const;

const auditEntrySchema = {
  type: 'object',
  required: ['id', 'at', 'kind', 'decision', 'reason', 'agent_id', 'agent_name', 'connection', 'method', 'path', 'status', 'latency_ms', 'bytes_in', 'bytes_out', 'prev_hash', 'hash'],
  properties: {
    id: { type: 'integer' },
    at: { type: 'string', format: 'date-time' },
    kind: { type: 'string', enum: AUDIT_KINDS },
    decision: { type: 'string', enum: AUDIT_DECISIONS },
    reason: nullable('string'),
    agent_id: nullable('string'),
    agent_name: nullable('string'),
    connection: nullable('string'),
    method: nullable('string'),
    path: { type: ['string', 'null'], description: 'Query values are redacted' },
    status: nullable('integer'),
    latency_ms: nullable('integer'),
    bytes_in: nullable('integer'),
    bytes_out: nullable('integer'),
    session_id: { type: ['string', 'null'], description: 'The exec session whose token made the call (`latchkey sessions`)' },
    prev_hash: { type: 'string', description: 'hash of the previous entry (64 zeros for the first)' },
    hash: { type: 'string', description: 'sha256(prev_hash + "\\n" + canonical fields), hex' },
  },
} as const;

const EXPORT_TYPES: Record<AuditExportFormat, string> = { jsonl: 'application/x-ndjson', csv: 'text/csv; charset=utf-8' };

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isSafeInteger(ms)) throw new LatchkeyError('invalid_request', `${name} is not a valid date-time`, 400);
  return ms;
}

const filterOf = (query: FilterQuery): AuditExportFilter => ({
  agent: query.agent,
  connection: query.connection,
  decision: query.decision,
  kind: query.kind,
  since: time(query.since, 'since'),
  until: time(query.until, 'until'),
});

/** The audit log under the admin API (registered inside its authenticated scope). */
export async function auditAdminRoutes(app: FastifyInstance, opts: { audit: AuditLog }): Promise<void> {
  const { audit } = opts;

  app.get<{ Querystring: FilterQuery & { limit?: string; cursor?: string } }>('/audit', {
    schema: {
      tags: ['audit'],
      summary: 'Audit entries, newest first, filtered and paged (pass next_cursor as cursor)',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          ...filterProperties,
          limit: { type: 'string', pattern: '^(?:[1-9][0-9]?|[1-4][0-9]{2}|500)$', description: '1 to 500, default 100' },
          cursor: { type: 'string', pattern: '^[1-9][0-9]{0,15}$', description: 'next_cursor of the previous page' },
        },
      },
      response: {
        200: {
          type: 'object',
          required: ['entries', 'next_cursor'],
          properties: { entries: { type: 'array', items: auditEntrySchema }, next_cursor: { type: ['string', 'null'] } },
        },
        ...errorResponses,
      },
    },
  }, async (request) => {
    const { limit, cursor } = request.query;
    return audit.query({ ...filterOf(request.query), limit: limit === undefined ? undefined : Number(limit), cursor });
  });

  app.get<{ Querystring: FilterQuery & { format?: AuditExportFormat } }>('/audit/export', {
    schema: {
      tags: ['audit'],
      summary: 'Download the matching entries, oldest first, as JSON lines (default) or CSV',
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: { ...filterProperties, format: { type: 'string', enum: ['jsonl', 'csv'], description: 'default jsonl' } },
      },
      response: {
        200: {
          description: 'A streamed file (content-disposition: attachment)',
          content: {
            'application/x-ndjson': { schema: { type: 'string', description: 'One JSON audit entry per line' } },
            'text/csv': { schema: { type: 'string', description: 'RFC 4180, header row first; cells that would start a formula are prefixed with an apostrophe' } },
          },
        },
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const format = request.query.format ?? 'jsonl';
    const chunks = audit.export(filterOf(request.query), format);
    return reply
      .header('content-type', EXPORT_TYPES[format])
      .header('content-disposition', `attachment; filename="latchkey-audit.${format}"`)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(Readable.from(chunks, { objectMode: false }));
  });

  app.get('/audit/verify', {
    schema: {
      tags: ['audit'],
      summary: 'Walk the hash chain: ok, how many entries are intact, the first bad entry id and why it is not ok',
      response: {
        200: {
          type: 'object',
          required: ['ok', 'checked'],
          properties: {
            ok: { type: 'boolean' },
            checked: { type: 'integer' },
            first_bad: { type: 'integer' },
            reason: { type: 'string', description: 'When not ok: what is wrong' },
          },
        },
        ...errorResponses,
      },
    },
  }, async () => audit.verify());
}
