import type Database from 'better-sqlite3';
import type { AuthMethod, ConnectionStatus } from '../../common/admin-api.js';
import { LatchkeyError } from '../errors.js';

export type { AuthMethod, ConnectionStatus };

/** A connection's metadata. Its credential lives in the vault under `connection/<id>`, never here. Times are epoch ms. */
export interface ConnectionRecord {
  id: string;
  name: string;
  provider: string;
  auth_method: AuthMethod;
  account: string | null;
  scopes: string[];
  status: ConnectionStatus;
  expires_at: number | null;
  refreshable: boolean;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  /** Values of the provider's template variables (Zendesk subdomain…): host names, not secrets. */
  variables: Record<string, string>;
}

export type NewConnection = Omit<ConnectionRecord, 'created_at' | 'updated_at' | 'last_used_at' | 'variables'> &
  Partial<Pick<ConnectionRecord, 'created_at' | 'updated_at' | 'last_used_at' | 'variables'>>;

export type ConnectionPatch = Partial<
  Pick<
    ConnectionRecord,
    'account' | 'scopes' | 'status' | 'expires_at' | 'refreshable' | 'last_error' | 'name' | 'variables'
  >
>;

interface Row {
  id: string;
  name: string;
  provider: string;
  auth_method: AuthMethod;
  account: string | null;
  scopes: string;
  status: ConnectionStatus;
  expires_at: number | null;
  refreshable: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  variables: string;
}

interface InsertParams {
  id: string;
  name: string;
  provider: string;
  auth_method: string;
  account: string | null;
  scopes: string;
  status: string;
  expires_at: number | null;
  refreshable: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
  last_used_at: number | null;
  variables: string;
}

interface UpdateParams {
  id: string;
  updated_at: number;
  set_name: number;
  name: string | null;
  set_account: number;
  account: string | null;
  set_scopes: number;
  scopes: string | null;
  set_status: number;
  status: string | null;
  set_expires_at: number;
  expires_at: number | null;
  set_refreshable: number;
  refreshable: number | null;
  set_last_error: number;
  last_error: string | null;
  set_variables: number;
  variables: string | null;
}

const COLUMNS =
  'id, name, provider, auth_method, account, scopes, status, expires_at, refreshable, last_error, created_at, updated_at, last_used_at, variables';

function parseVariables(text: string): Record<string, string> {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
    return Object.fromEntries(
      Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'),
    );
  } catch {
    // The column is written by this module as JSON; a damaged value reads as "no variables", like a missing one.
    return {};
  }
}

function parseScopes(text: string): string[] {
  try {
    const value: unknown = JSON.parse(text);
    return Array.isArray(value) ? value.filter((s): s is string => typeof s === 'string') : [];
  } catch {
    // The column is written by this module as JSON; a damaged value reads as "no scopes" (grants nothing).
    return [];
  }
}

const toRecord = (row: Row): ConnectionRecord => ({
  id: row.id,
  name: row.name,
  provider: row.provider,
  auth_method: row.auth_method,
  account: row.account,
  scopes: parseScopes(row.scopes),
  status: row.status,
  expires_at: row.expires_at,
  refreshable: row.refreshable !== 0,
  last_error: row.last_error,
  created_at: row.created_at,
  updated_at: row.updated_at,
  last_used_at: row.last_used_at,
  variables: parseVariables(row.variables),
});

const isUniqueName = (error: unknown): boolean =>
  (error as { code?: unknown } | null)?.code === 'SQLITE_CONSTRAINT_UNIQUE' &&
  String((error as Error).message).includes('connections.name');

const exists = (name: string): LatchkeyError =>
  new LatchkeyError('connection_exists', `A connection named "${name}" already exists`, 409, { name });

/**
 * Connection metadata. The proxy reads a connection and records its use on every request,
 * so records are cached in memory (every write goes through this class, and one broker owns
 * the database) and uses are written behind, at most once a second, in one transaction.
 */
export class ConnectionStore {
  readonly #cache = new Map<string, ConnectionRecord>();
  readonly #idByName = new Map<string, string>();
  readonly #pendingUse = new Map<string, number>();
  #flushTimer: NodeJS.Timeout | undefined;
  readonly #db: Database.Database;
  readonly #list: Database.Statement<[], Row>;
  readonly #byName: Database.Statement<[string], Row>;
  readonly #byId: Database.Statement<[string], Row>;
  readonly #insert: Database.Statement<[InsertParams], Row>;
  readonly #update: Database.Statement<[UpdateParams], Row>;
  readonly #delete: Database.Statement<[string]>;
  readonly #touch: Database.Statement<[number, string]>;

  constructor(db: Database.Database) {
    this.#db = db;
    this.#list = db.prepare<[], Row>(`SELECT ${COLUMNS} FROM connections ORDER BY name`);
    this.#byName = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM connections WHERE name = ?`);
    this.#byId = db.prepare<[string], Row>(`SELECT ${COLUMNS} FROM connections WHERE id = ?`);
    this.#insert = db.prepare<[InsertParams], Row>(
      `INSERT INTO connections (${COLUMNS})
       VALUES (@id, @name, @provider, @auth_method, @account, @scopes, @status, @expires_at, @refreshable, @last_error, @created_at, @updated_at, @last_used_at, @variables)
       RETURNING ${COLUMNS}`,
    );
    // One statement for every patch shape: each column is replaced only when its flag is set,
    // which also lets a patch set nullable columns to NULL.
    this.#update = db.prepare<[UpdateParams], Row>(
      `UPDATE connections SET
         name        = CASE WHEN @set_name        THEN @name        ELSE name        END,
         account     = CASE WHEN @set_account     THEN @account     ELSE account     END,
         scopes      = CASE WHEN @set_scopes      THEN @scopes      ELSE scopes      END,
         status      = CASE WHEN @set_status      THEN @status      ELSE status      END,
         expires_at  = CASE WHEN @set_expires_at  THEN @expires_at  ELSE expires_at  END,
         refreshable = CASE WHEN @set_refreshable THEN @refreshable ELSE refreshable END,
         last_error  = CASE WHEN @set_last_error  THEN @last_error  ELSE last_error  END,
         variables   = CASE WHEN @set_variables   THEN @variables   ELSE variables   END,
         updated_at  = @updated_at
       WHERE id = @id
       RETURNING ${COLUMNS}`,
    );
    this.#delete = db.prepare<[string]>('DELETE FROM connections WHERE id = ?');
    this.#touch = db.prepare<[number, string]>('UPDATE connections SET last_used_at = ? WHERE id = ?');
  }

  list(): ConnectionRecord[] {
    return this.#list.all().map((row) => this.#withUse(this.#remember(toRecord(row))));
  }

  getByName(name: string): ConnectionRecord | undefined {
    const id = this.#idByName.get(name);
    if (id !== undefined) return this.getById(id);
    const row = this.#byName.get(name);
    return row && this.#withUse(this.#remember(toRecord(row)));
  }

  getById(id: string): ConnectionRecord | undefined {
    const cached = this.#cache.get(id);
    if (cached) return this.#withUse(cached);
    const row = this.#byId.get(id);
    return row && this.#withUse(this.#remember(toRecord(row)));
  }

  insert(rec: NewConnection): ConnectionRecord {
    const now = Date.now();
    try {
      const row = this.#insert.get({
        id: rec.id,
        name: rec.name,
        provider: rec.provider,
        auth_method: rec.auth_method,
        account: rec.account ?? null,
        scopes: JSON.stringify(rec.scopes ?? []),
        status: rec.status,
        expires_at: rec.expires_at ?? null,
        refreshable: rec.refreshable ? 1 : 0,
        last_error: rec.last_error ?? null,
        created_at: rec.created_at ?? now,
        updated_at: rec.updated_at ?? rec.created_at ?? now,
        last_used_at: rec.last_used_at ?? null,
        variables: JSON.stringify(rec.variables ?? {}),
      });
      if (!row) throw new Error('insert returned no row');
      return this.#remember(toRecord(row));
    } catch (error) {
      if (isUniqueName(error)) throw exists(rec.name);
      throw error;
    }
  }

  update(id: string, patch: ConnectionPatch): ConnectionRecord {
    const has = (key: keyof ConnectionPatch): number => (Object.hasOwn(patch, key) && patch[key] !== undefined ? 1 : 0);
    let row: Row | undefined;
    try {
      row = this.#update.get({
        id,
        updated_at: Date.now(),
        set_name: has('name'),
        name: patch.name ?? null,
        set_account: has('account'),
        account: patch.account ?? null,
        set_scopes: has('scopes'),
        scopes: patch.scopes === undefined ? null : JSON.stringify(patch.scopes),
        set_status: has('status'),
        status: patch.status ?? null,
        set_expires_at: has('expires_at'),
        expires_at: patch.expires_at ?? null,
        set_refreshable: has('refreshable'),
        refreshable: patch.refreshable === undefined ? null : patch.refreshable ? 1 : 0,
        set_last_error: has('last_error'),
        last_error: patch.last_error ?? null,
        set_variables: has('variables'),
        variables: patch.variables === undefined ? null : JSON.stringify(patch.variables),
      });
    } catch (error) {
      if (isUniqueName(error) && patch.name !== undefined) throw exists(patch.name);
      throw error;
    }
    if (!row) throw new LatchkeyError('unknown_connection', `No connection with id ${id}`, 404, { id });
    this.#forget(id);
    return this.#withUse(this.#remember(toRecord(row)));
  }

  delete(id: string): boolean {
    this.#forget(id);
    this.#pendingUse.delete(id);
    return this.#delete.run(id).changes > 0;
  }

  /** Records a use (per proxied request): visible at once, written within a second. */
  touch(id: string, at: number = Date.now()): void {
    this.#pendingUse.set(id, at);
    this.#flushTimer ??= setTimeout(() => this.flush(), 1000).unref();
  }

  /** Writes the pending uses now (the broker calls it before closing the database). */
  flush(): void {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    if (this.#pendingUse.size === 0) return;
    const uses = [...this.#pendingUse];
    this.#pendingUse.clear();
    this.#db.transaction(() => {
      for (const [id, at] of uses) this.#touch.run(at, id);
    })();
  }

  #remember(record: ConnectionRecord): ConnectionRecord {
    Object.freeze(record.scopes);
    Object.freeze(record.variables);
    Object.freeze(record);
    const previous = this.#cache.get(record.id);
    if (previous && previous.name !== record.name) this.#idByName.delete(previous.name);
    this.#cache.set(record.id, record);
    this.#idByName.set(record.name, record.id);
    return record;
  }

  #forget(id: string): void {
    const cached = this.#cache.get(id);
    if (cached) this.#idByName.delete(cached.name);
    this.#cache.delete(id);
  }

  #withUse(record: ConnectionRecord): ConnectionRecord {
    const used = this.#pendingUse.get(record.id);
    return used === undefined ? record : { ...record, last_used_at: used };
  }
}
