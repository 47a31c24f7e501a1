import type Database from 'better-sqlite3';
import type { AuditDecision, AuditEntry, AuditKind, AuditVerification } from '../../common/admin-api.js';
import { LatchkeyError } from '../errors.js';
import { GENESIS_HASH, entryHash, formatHead, parseHead, type AuditHead, type ChainedFields } from './chain.js';
import { csvHeader, csvLine, jsonLine, type AuditExportFormat } from './export-format.js';
import type { AuditHeadCopy } from './head-copy.js';
import { MAX_AUDIT_PATH, redactPath } from './redact.js';

export { redactPath } from './redact.js';
export type { AuditExportFormat } from './export-format.js';

export type { AuditDecision, AuditEntry, AuditKind, AuditVerification };
export const AUDIT_KINDS = ['proxy', 'token', 'approval', 'revocation', 'connection', 'agent', 'control'] as const satisfies readonly AuditKind[];
export const AUDIT_DECISIONS = ['allow', 'deny', 'info'] as const satisfies readonly AuditDecision[];

/** What a caller records. Metadata only: never a body, a header or a secret. */
export interface AuditInput {
  kind: AuditKind;
  decision: AuditDecision;
  reason?: string | null;
  agent_id?: string | null;
  agent_name?: string | null;
  connection?: string | null;
  method?: string | null;
  /** Redacted by append (query values), so callers may pass the raw request path. */
  path?: string | null;
  status?: number | null;
  latency_ms?: number | null;
  bytes_in?: number | null;
  bytes_out?: number | null;
  /** The exec session whose token made the call (main/core/sessions). */
  session_id?: string | null;
}

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

export interface AuditPage {
  entries: AuditEntry[];
  next_cursor: string | null;
}

export interface AuditStats {
  /** Entries committed by this instance. */
  appends: number;
  /** Transactions committed by this instance (≤ appends: group commit). */
  commits: number;
  /** Appends waiting for the next commit. */
  pending: number;
}

export const MAX_PAGE = 500;
export const DEFAULT_PAGE = 100;
/** Rows per export chunk: bounded memory, and no statement is left open between chunks. */
const EXPORT_CHUNK = 500;
/** Rows verify() hashes between two yields to the event loop: a few ms of work, so requests are never held up long. */
const VERIFY_CHUNK = 250;
/** Upper bound of one group commit; a larger backlog is committed in several. */
const MAX_BATCH = 1000;
/** Caps on text fields: an oversized name is truncated, never a reason to fail an append. */
const MAX_TEXT = { reason: 1024, agent_id: 128, agent_name: 256, connection: 128, method: 32, session_id: 64 } as const;
const HEAD_KEY = 'audit_head';

type Row = ChainedFields & { prev_hash: string; hash: string };

interface Pending {
  fields: Omit<ChainedFields, 'id'>;
  resolve: (entry: AuditEntry) => void;
  reject: (error: Error) => void;
}

const COLUMNS = 'id, at, kind, decision, reason, agent_id, agent_name, connection, method, path, status, latency_ms, bytes_in, bytes_out, session_id, prev_hash, hash';

const invalid = (message: string): LatchkeyError => new LatchkeyError('invalid_request', message, 400);

const toEntry = (row: Row): AuditEntry => ({ ...row, at: new Date(row.at).toISOString() }) as AuditEntry;

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const broken = (checked: number, firstBad: number | undefined, reason: string): AuditVerification =>
  ({ ok: false, checked, ...(firstBad === undefined ? {} : { first_bad: firstBad }), reason });

/**
 * SQLite stores UTF-8, so a lone UTF-16 surrogate would be read back differently and the
 * entry would no longer match its hash: store exactly what will be read back.
 */
function text(value: unknown, max: number, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new LatchkeyError('invalid_audit_entry', `audit ${field} must be a string`, 500);
  const capped = value.length > max ? `${value.slice(0, max - 1)}…` : value;
  return Buffer.from(capped, 'utf8').toString('utf8');
}

function count(value: unknown, field: string, round = false): number | null {
  if (value === undefined || value === null) return null;
  const n = round && typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new LatchkeyError('invalid_audit_entry', `audit ${field} must be a non-negative integer`, 500);
  }
  return n;
}

function fieldsOf(input: AuditInput, at: number): Omit<ChainedFields, 'id'> {
  if (!AUDIT_KINDS.includes(input.kind)) throw new LatchkeyError('invalid_audit_entry', `unknown audit kind ${String(input.kind)}`, 500);
  if (!AUDIT_DECISIONS.includes(input.decision)) throw new LatchkeyError('invalid_audit_entry', `unknown audit decision ${String(input.decision)}`, 500);
  return {
    at,
    kind: input.kind,
    decision: input.decision,
    reason: text(input.reason, MAX_TEXT.reason, 'reason'),
    agent_id: text(input.agent_id, MAX_TEXT.agent_id, 'agent_id'),
    agent_name: text(input.agent_name, MAX_TEXT.agent_name, 'agent_name'),
    connection: text(input.connection, MAX_TEXT.connection, 'connection'),
    method: text(input.method, MAX_TEXT.method, 'method'),
    path: text(typeof input.path === 'string' ? redactPath(input.path) : input.path, MAX_AUDIT_PATH, 'path'),
    status: count(input.status, 'status'),
    latency_ms: count(input.latency_ms, 'latency_ms', true),
    bytes_in: count(input.bytes_in, 'bytes_in'),
    bytes_out: count(input.bytes_out, 'bytes_out'),
    session_id: text(input.session_id, MAX_TEXT.session_id, 'session_id'),
  };
}

function parseCursor(cursor: string): number {
  if (!/^[1-9][0-9]{0,15}$/.test(cursor)) throw new LatchkeyError('invalid_cursor', 'cursor is not a next_cursor returned by this API', 400);
  return Number(cursor);
}

/** WHERE clauses for a filter; named parameters only, never interpolated values. */
function conditions(filter: AuditExportFilter): { clauses: string[]; params: Record<string, string | number> } {
  const clauses: string[] = [];
  const params: Record<string, string | number> = {};
  const add = (clause: string, name: string, value: string | number): void => {
    clauses.push(clause);
    params[name] = value;
  };
  for (const [name, column] of [['agent', 'agent_id'], ['connection', 'connection']] as const) {
    const value = filter[name];
    if (value === undefined) continue;
    if (typeof value !== 'string' || value.length === 0) throw invalid(`${name} must be a non-empty string`);
    add(`${column} = @${name}`, name, value);
  }
  if (filter.decision !== undefined) {
    if (!AUDIT_DECISIONS.includes(filter.decision)) throw invalid(`decision must be one of ${AUDIT_DECISIONS.join(', ')}`);
    add('decision = @decision', 'decision', filter.decision);
  }
  if (filter.kind !== undefined) {
    if (!AUDIT_KINDS.includes(filter.kind)) throw invalid(`kind must be one of ${AUDIT_KINDS.join(', ')}`);
    add('kind = @kind', 'kind', filter.kind);
  }
  for (const [name, op] of [['since', '>='], ['until', '<=']] as const) {
    const value = filter[name];
    if (value === undefined) continue;
    if (!Number.isSafeInteger(value)) throw invalid(`${name} must be a time`);
    add(`at ${op} @${name}`, name, value);
  }
  return { clauses, params };
}

/**
 * The tamper-evident audit log.
 *
 * Chain: every entry stores the hash of the previous one (see chain.ts), so editing a
 * row, deleting one in the middle or moving one breaks a link that verify() reports. A
 * chain alone cannot notice its *tail* being cut off, so the newest id and hash are also
 * kept in `meta` (updated in the same transaction as the rows) and verify() compares;
 * with rows present, a missing or malformed head is itself a failure. Someone with write
 * access to the database can still rewrite the whole chain and that head consistently:
 * the copy of the head kept in the vault (head-copy.ts) catches that, except for the
 * last seconds of entries not yet copied there.
 *
 * verify() walks the chain in chunks and yields to the event loop between them, so a
 * large log never holds up the requests being served meanwhile.
 *
 * Durability: append() resolves only after the transaction holding the entry committed.
 * The database runs WAL with synchronous=NORMAL: a commit is written to the WAL file
 * (handed to the OS) before it returns, so it survives the process being killed (kill -9,
 * crash), but not a power loss or OS crash, which can lose the last commits (FULL would
 * fsync every commit). Callers answer an agent only after append resolved, so nothing
 * acknowledged is ever missing after a process death.
 *
 * Cost: group commit. Appends made while one is scheduled (the same turn of the event
 * loop) are committed together in one transaction on the next setImmediate; ids and
 * prev_hash are assigned inside that transaction, in call order, so concurrency cannot
 * fork the chain. A failed commit rejects every append of its batch (callers answer
 * 500 rather than act unaudited) and leaves the chain as it was.
 */
export class AuditLog {
  private readonly db: Database.Database;
  private readonly now: () => number;
  private readonly headCopy: AuditHeadCopy | undefined;
  private readonly onCommitted: ((entries: AuditEntry[]) => void) | undefined;
  private readonly queue: Pending[] = [];
  private scheduled = false;
  private closed = false;
  private appends = 0;
  private commits = 0;
  private readonly statements = new Map<string, Database.Statement>();
  private readonly insert: Database.Statement;
  private readonly readHead: Database.Statement<[string], { value: string }>;
  private readonly lastRow: Database.Statement<[], { id: number; hash: string }>;
  private readonly chunk: Database.Statement<{ after: number; upto: number; limit: number }, Row>;
  private readonly writeHead: Database.Statement<[string, string]>;
  private readonly commitBatch: Database.Transaction<(batch: Pending[]) => Row[]>;

  /**
   * `headCopy`: the copy of the head outside the database, checked and kept up to date here;
   * `onCommitted` hears every batch right after its transaction committed (live views follow it).
   */
  constructor(db: Database.Database, options: { now?: () => number; headCopy?: AuditHeadCopy; onCommitted?: (entries: AuditEntry[]) => void } = {}) {
    this.db = db;
    this.now = options.now ?? Date.now;
    this.headCopy = options.headCopy;
    this.onCommitted = options.onCommitted;
    this.insert = db.prepare(`INSERT INTO audit (${COLUMNS}) VALUES (@id, @at, @kind, @decision, @reason, @agent_id, @agent_name, @connection, @method, @path, @status, @latency_ms, @bytes_in, @bytes_out, @session_id, @prev_hash, @hash)`);
    this.readHead = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.lastRow = db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1');
    this.chunk = db.prepare(`SELECT ${COLUMNS} FROM audit WHERE id > @after AND id <= @upto ORDER BY id LIMIT @limit`);
    this.writeHead = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value');
    this.commitBatch = db.transaction((batch: Pending[]) => {
      let { id, hash } = this.head() ?? { id: 0, hash: GENESIS_HASH };
      const rows = batch.map(({ fields }) => {
        const chained = { id: id + 1, ...fields };
        const row: Row = { ...chained, prev_hash: hash, hash: entryHash(hash, chained) };
        this.insert.run(row);
        ({ id, hash } = row);
        return row;
      });
      this.writeHead.run(HEAD_KEY, formatHead({ id, hash }));
      return rows;
    });
    if (this.headCopy) {
      const hashAt = db.prepare<[number], { hash: string }>('SELECT hash FROM audit WHERE id = ?');
      this.headCopy.adopt(this.head(), (id) => hashAt.get(id)?.hash);
    }
  }

  /** Resolves once the entry is committed: after that it survives kill -9 of the process. */
  append(input: AuditInput): Promise<AuditEntry> {
    if (this.closed) return Promise.reject(new LatchkeyError('audit_closed', 'The audit log is closed.', 503));
    let fields: Omit<ChainedFields, 'id'>;
    try {
      fields = fieldsOf(input, this.now());
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise((resolve, reject) => {
      this.queue.push({ fields, resolve, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  /**
   * Walks the chain in id order, up to the newest entry when it started, in chunks with a
   * turn of the event loop between them; then compares the end of the chain with the head
   * recorded in the database and with the copy kept outside it.
   */
  async verify(): Promise<AuditVerification> {
    // One snapshot: entries committed during the walk come after `upto` and are left for the next verify.
    const upto = this.lastRow.get()?.id ?? 0;
    const stored = this.readHead.get(HEAD_KEY)?.value;
    const copy = this.headCopy?.state();
    let prev = GENESIS_HASH;
    let lastId = 0;
    let checked = 0;
    for (;;) {
      const rows = this.chunk.all({ after: lastId, upto, limit: VERIFY_CHUNK });
      for (const row of rows) {
        if (row.prev_hash !== prev || entryHash(prev, row) !== row.hash) {
          return broken(checked, row.id, `Entry #${row.id} or the one before it was edited, deleted or moved: its hash or its link to the previous entry does not match.`);
        }
        if (copy?.head?.id === row.id && copy.head.hash !== row.hash) {
          return broken(checked, row.id, `Entry #${row.id} differs from the copy of the head kept in the secret store: the database was rewritten from this entry on.`);
        }
        prev = row.hash;
        lastId = row.id;
        checked++;
      }
      if (rows.length < VERIFY_CHUNK) break;
      await yieldToEventLoop();
    }
    const head = stored === undefined ? undefined : parseHead(stored);
    if (stored === undefined && checked > 0) {
      return broken(checked, undefined, 'The record of the newest entry (the head) is missing from the database, so a cut-off tail would go unnoticed: the database was edited.');
    }
    if (stored !== undefined && !head) {
      return broken(checked, undefined, 'The record of the newest entry (the head) in the database is malformed: the database was edited.');
    }
    if (head && (head.id !== lastId || head.hash !== prev)) {
      if (head.id > lastId) return broken(checked, lastId + 1, `The chain ends at entry #${lastId} but the head says #${head.id}: the newest entries were deleted.`);
      if (head.id < lastId) return broken(checked, head.id + 1, `Entries after #${head.id}, the recorded head, were added outside Latchkey.`);
      return broken(checked, lastId, `Entry #${lastId} is not the one recorded as the head: it was replaced.`);
    }
    if (copy && !copy.head && copy.malformed) {
      return broken(checked, undefined, 'The copy of the head kept in the secret store is malformed, so a rewritten database would go unnoticed.');
    }
    if (copy?.head && copy.head.id > lastId) {
      return broken(checked, lastId + 1, `The chain ends at entry #${lastId} but the copy of the head kept in the secret store is at #${copy.head.id}: entries were deleted and the chain rewritten.`);
    }
    return { ok: true, checked };
  }

  /** Newest first, keyset-paged: a cursor stays valid and stable while new entries arrive. */
  query(filter: AuditFilter = {}): AuditPage {
    const limit = filter.limit ?? DEFAULT_PAGE;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE) throw invalid(`limit must be an integer from 1 to ${MAX_PAGE}`);
    const { clauses, params } = conditions(filter);
    if (filter.cursor !== undefined) {
      clauses.push('id < @cursor');
      params.cursor = parseCursor(filter.cursor);
    }
    const where = clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '';
    const rows = this.statement(`SELECT ${COLUMNS} FROM audit ${where} ORDER BY id DESC LIMIT @limit`).all({ ...params, limit: limit + 1 }) as Row[];
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return { entries: page.map(toEntry), next_cursor: rows.length > limit && last ? String(last.id) : null };
  }

  /**
   * Every matching entry up to the newest at call time, oldest first (so a full export can
   * be re-verified offline), produced lazily in chunks of rows. The filter is validated
   * now, not on the first chunk, so a caller can still answer 400 before streaming.
   */
  export(filter: AuditExportFilter, format: AuditExportFormat): Iterable<string> {
    if (format !== 'jsonl' && format !== 'csv') throw invalid('format must be jsonl or csv');
    const { clauses, params } = conditions(filter);
    const upto = this.lastRow.get()?.id ?? 0;
    const select = this.statement(`SELECT ${COLUMNS} FROM audit WHERE ${[...clauses, 'id > @after', 'id <= @upto'].join(' AND ')} ORDER BY id LIMIT @limit`);
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

  stats(): AuditStats {
    return { appends: this.appends, commits: this.commits, pending: this.queue.length };
  }

  /** Commits what is pending; later appends are refused (503 audit_closed). Call before closing the database. */
  async close(): Promise<void> {
    this.closed = true;
    this.flush();
    await this.headCopy?.flush();
  }

  private flush(): void {
    this.scheduled = false;
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, MAX_BATCH);
      let rows: Row[];
      try {
        rows = this.commitBatch.immediate(batch);
      } catch (error) {
        const failure = new LatchkeyError('audit_write_failed', 'The audit log could not be written.', 500, {}, { cause: error });
        for (const pending of batch) pending.reject(failure);
        continue;
      }
      this.commits++;
      this.appends += rows.length;
      const first = rows[0] as Row;
      this.headCopy?.committed({ id: first.id - 1, hash: first.prev_hash }, rows.at(-1) as Row);
      const entries = rows.map(toEntry);
      batch.forEach((pending, i) => pending.resolve(entries[i] as AuditEntry));
      this.onCommitted?.(entries);
    }
  }

  /** The newest entry as recorded in meta, else (head row missing) as found in the table. */
  private head(): AuditHead | undefined {
    const value = this.readHead.get(HEAD_KEY)?.value;
    return (value === undefined ? undefined : parseHead(value)) ?? this.lastRow.get();
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}
