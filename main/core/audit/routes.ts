import { Readable } from 'node:stream';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  AuditExportFile,
  AuditExportQuery,
  type AuditFilters,
  AuditPage,
  AuditQuery,
  AuditVerification,
  type AuditExportFormat,
} from '../../common/api/audit.js';
import { errorResponses } from '../../common/api/errors.js';
import { LatchkeyError } from '../errors.js';
import type { AuditLog } from './audit-log.js';
import type { AuditExportFilter } from './audit-query.js';

const EXPORT_TYPES: Record<AuditExportFormat, string> = {
  jsonl: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
};

function time(value: string | undefined, name: string): number | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (!Number.isSafeInteger(ms)) throw new LatchkeyError('invalid_request', `${name} is not a valid date-time`, 400);
  return ms;
}

const filterOf = (query: AuditFilters): AuditExportFilter => ({
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
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/audit',
    {
      schema: {
        tags: ['audit'],
        summary: 'Audit entries, newest first, filtered and paged (pass next_cursor as cursor)',
        querystring: AuditQuery,
        response: {
          200: AuditPage,
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit, cursor } = request.query;
      return audit.query({
        ...filterOf(request.query),
        limit: limit === undefined ? undefined : Number(limit),
        cursor,
      });
    },
  );

  api.get(
    '/audit/export',
    {
      schema: {
        tags: ['audit'],
        summary: 'Download the matching entries, oldest first, as JSON lines (default) or CSV',
        querystring: AuditExportQuery,
        response: {
          200: AuditExportFile,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const format = request.query.format ?? 'jsonl';
      const chunks = audit.export(filterOf(request.query), format);
      return reply
        .header('content-type', EXPORT_TYPES[format])
        .header('content-disposition', `attachment; filename="latchkey-audit.${format}"`)
        .header('cache-control', 'no-store')
        .header('x-content-type-options', 'nosniff')
        .send(Readable.from(chunks, { objectMode: false }));
    },
  );

  api.get(
    '/audit/verify',
    {
      schema: {
        tags: ['audit'],
        summary: 'Walk the hash chain: ok, how many entries are intact, the first bad entry id and why it is not ok',
        response: {
          200: AuditVerification,
          ...errorResponses,
        },
      },
    },
    async () => audit.verify(),
  );
}
