import type Database from 'better-sqlite3';
import {
  AUDIT_DECISIONS,
  AUDIT_KINDS,
  type AuditDecision,
  type AuditKind,
  type AuditPage,
} from '../../common/api/audit.js';
import { LatchkeyError } from '../errors.js';
import { COLUMNS, toEntry, type Row } from './audit-row.js';
import { csvHeader, csvLine, jsonLine, type AuditExportFormat } from './export-format.js';

/** Filters combine with AND. `agent` is an agent id; since/until are epoch ms, both inclusive. */
export interface AuditFilter {
  agent?: string;
  connection?: string;
  decision?: AuditDecision;
  kind?: AuditKind;
  since?: number;
  until?: number;
  /** 1..500, default 100. */
  limit?: number;
  /** The next_cursor of the previous page. */
  cursor?: string;
}

/** Export takes every matching entry that existed when it started, oldest first. */
export type AuditExportFilter = Omit<AuditFilter, 'limit' | 'cursor'>;

export type { AuditPage };

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;
/** Rows per export chunk: bounded memory, and no statement is left open between chunks. */
const EXPORT_CHUNK = 500;

/** Prepares a statement once per SQL text (the filters make a handful of shapes). */
export type PrepareCached = (sql: string) => Database.Statement;

const invalid = (message: string): LatchkeyError => new LatchkeyError('invalid_request', message, 400);

function parseCursor(cursor: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(cursor))
    throw new LatchkeyError('invalid_cursor', 'cursor is not a next_cursor returned by this API', 400);
  return Number(cursor);
}

/** WHERE clauses for a filter: named parameters, except the decision (one of two validated literals, see below). */
function conditions(filter: AuditExportFilter): { clauses: string[]; params: Record<string, string | number> } {
  const clauses: string[] = [];
  const params: Record<string, string | number> = {};
  const add = (clause: string, name: string, value: string | number): void => {
    clauses.push(clause);
    params[name] = value;
  };
  for (const [name, column] of [
    ['agent', 'agent_id'],
    ['connection', 'connection'],
  ] as const) {
    const value = filter[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length === 0) throw invalid(`${name} must be a non-empty string`);
    add(`${column} = @${name}`, name, value);
  }
  if (filter.decision !== undefined) {
    if (!AUDIT_DECISIONS.includes(filter.decision))
      throw invalid(`decision must be one of ${AUDIT_DECISIONS.join(', ')}`);
    // A literal, not a parameter: only then can SQLite use the partial index of denied entries (migration 7).
    clauses.push(`decision = '${filter.decision}'`);
  }
  if (filter.kind !== undefined) {
    if (!AUDIT_KINDS.includes(filter.kind)) throw invalid(`kind must be one of ${AUDIT_KINDS.join(', ')}`);
    add('kind = @kind', 'kind', filter.kind);
  }
  for (const [name, op] of [
    ['since', '>='],
    ['until', '<='],
  ] as const) {
    const value = filter[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value)) throw invalid(`${name} must be a time`);
    add(`at ${op} @${name}`, name, value);
  }
  return { clauses, params };
}

/** Newest first, keyset-paged: a cursor stays valid and stable while new entries arrive. */
export function queryAudit(prepare: PrepareCached, filter: AuditFilter = {}): AuditPage {
  const limit = filter.limit ?? DEFAULT_PAGE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
    throw invalid(`limit must be an integer from 1 to ${MAX_PAGE}`);
  const { clauses, params } = conditions(filter);
  if (filter.cursor !== undefined) {
    clauses.push('id < @cursor');
    params.cursor = parseCursor(filter.cursor);
  }
  const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
  const rows = prepare(`SELECT ${COLUMNS} FROM audit ${where} ORDER BY id DESC LIMIT @limit`).all({
    ...params,
    limit: limit + 1,
  }) as Row[];
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return { entries: page.map(toEntry), next_cursor: rows.length > limit && last ? String(last.id) : null };
}

/**
 * Every matching entry up to the newest at call time, oldest first (so a full export can
 * be re-verified offline), produced lazily in chunks of rows. The filter is validated
 * now, not on the first chunk, so a caller can still answer 400 before streaming.
 * `upto`: the id of the newest entry when the export was asked for.
 */
export function exportAudit(
  prepare: PrepareCached,
  upto: number,
  filter: AuditExportFilter,
  format: AuditExportFormat,
): Iterable<string> {
  if (format !== 'jsonl' && format !== 'csv') throw invalid('format must be jsonl or csv');
  const { clauses, params } = conditions(filter);
  const select = prepare(
    `SELECT ${COLUMNS} FROM audit WHERE ${[...clauses, 'id > @after', 'id <= @upto'].join(' AND ')} ORDER BY id LIMIT @limit`,
  );
  const line = format === 'csv' ? csvLine : jsonLine;
  return {
    *[Symbol.iterator]() {
      if (format === 'csv') yield csvHeader();
      let after = 0;
      for (;;) {
        // .all() per chunk, not .iterate(): an open statement would block the connection between chunks.
        const rows = select.all({ ...params, after, upto, limit: EXPORT_CHUNK }) as Row[];
        const last = rows.at(-1);
        if (!last) return;
        yield rows.map((row) => line(toEntry(row))).join('');
        if (rows.length < EXPORT_CHUNK) return;
        after = last.id;
      }
    },
  };
}
