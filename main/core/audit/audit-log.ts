import type Database from 'better-sqlite3';
import type { AuditDecision, AuditEntry, AuditKind, AuditVerification } from '../../common/admin-api.js';
import { LatchkeyError } from '../errors.js';
import { exportAudit, queryAudit, type AuditExportFilter, type AuditFilter, type AuditPage } from './audit-query.js';
import { COLUMNS, HEAD_KEY, toEntry, type Row } from './audit-row.js';
import { GENESIS_HASH, entryHash, formatHead, parseHead, type AuditHead, type ChainedFields } from './chain.js';
import { fieldsOf, type AuditInput } from './entry-fields.js';
import type { AuditExportFormat } from './export-format.js';
import type { AuditHeadCopy } from './head-copy.js';
import { verifyAuditChain } from './verify-chain.js';

// The audit module's public surface, so its users import one file (the jobs live in the files above).
export { redactPath } from './redact.js';
export type { AuditExportFormat } from './export-format.js';
export type { AuditInput } from './entry-fields.js';
export { DEFAULT_PAGE, MAX_PAGE, type AuditExportFilter, type AuditFilter, type AuditPage } from './audit-query.js';
export type { AuditDecision, AuditEntry, AuditKind, AuditVerification };

export interface AuditStats {
  /** Entries committed by this instance. */
  appends: number;
  /** Transactions committed by this instance (≤ appends: group commit). */
  commits: number;
  /** Appends waiting for the next commit. */
  pending: number;
}

/** Upper bound of one group commit; a larger backlog is committed in several. */
const MAX_BATCH = 1000;

interface Pending {
  fields: Omit<ChainedFields, 'id'>;
  resolve: (entry: AuditEntry) => void;
  reject: (error: Error) => void;
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
  /** Prepares each query shape once (the filters make a handful). */
  readonly prepare = (sql: string): Database.Statement => {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  };
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
  constructor(
    db: Database.Database,
    options: { now?: () => number; headCopy?: AuditHeadCopy; onCommitted?: (entries: AuditEntry[]) => void } = {},
  ) {
    this.db = db;
    this.now = options.now ?? Date.now;
    this.headCopy = options.headCopy;
    this.onCommitted = options.onCommitted;
    this.insert = db.prepare(
      `INSERT INTO audit (${COLUMNS}) VALUES (@id, @at, @kind, @decision, @reason, @agent_id, @agent_name, @connection, @method, @path, @status, @latency_ms, @bytes_in, @bytes_out, @session_id, @prev_hash, @hash)`,
    );
    this.readHead = db.prepare('SELECT value FROM meta WHERE key = ?');
    this.lastRow = db.prepare('SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1');
    this.chunk = db.prepare(`SELECT ${COLUMNS} FROM audit WHERE id > @after AND id <= @upto ORDER BY id LIMIT @limit`);
    this.writeHead = db.prepare(
      'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
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
      // A bad entry is the caller's error: it gets it as the rejection, like a failed commit.
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
   * Walks the chain in id order, up to the newest entry when it started, then compares its end
   * with the head recorded in the database and with the copy kept outside it (verify-chain.ts).
   */
  async verify(): Promise<AuditVerification> {
    // One snapshot: entries committed during the walk come after `upto` and are left for the next verify.
    const upto = this.lastRow.get()?.id ?? 0;
    return verifyAuditChain({
      stored: this.readHead.get(HEAD_KEY)?.value,
      copy: this.headCopy?.state(),
      readChunk: (after, limit) => this.chunk.all({ after, upto, limit }),
    });
  }

  /** Newest first, keyset-paged: a cursor stays valid and stable while new entries arrive (audit-query.ts). */
  query(filter: AuditFilter = {}): AuditPage {
    return queryAudit(this.prepare, filter);
  }

  /** Every matching entry up to the newest at call time, oldest first, lazily in chunks (audit-query.ts). */
  export(filter: AuditExportFilter, format: AuditExportFormat): Iterable<string> {
    return exportAudit(this.prepare, this.lastRow.get()?.id ?? 0, filter, format);
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
        // Handled: every append of the batch is rejected with it, so its caller answers 500 instead of acting unaudited.
        const failure = new LatchkeyError(
          'audit_write_failed',
          'The audit log could not be written.',
          500,
          {},
          { cause: error },
        );
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
}
