import type Database from 'better-sqlite3';

/** A live exec session as stored (see migration.ts). */
export interface SessionRecord {
  id: string;
  agent_id: string;
  command: string;
  pid: number | null;
  jti: string;
  token_expires_at: number;
  started_at: number;
  expires_at: number;
  calls: number;
}

/** The exec_sessions table. */
export class SessionStore {
  readonly #insert: Database.Statement<[SessionRecord]>;
  readonly #delete: Database.Statement<[string]>;
  readonly #all: Database.Statement<[], SessionRecord>;
  readonly #setPid: Database.Statement<[number, string]>;
  readonly #setCalls: Database.Statement<[number, string]>;

  constructor(db: Database.Database) {
    this.#insert = db.prepare(
      'INSERT INTO exec_sessions (id, agent_id, command, pid, jti, token_expires_at, started_at, expires_at, calls) VALUES (@id, @agent_id, @command, @pid, @jti, @token_expires_at, @started_at, @expires_at, @calls)',
    );
    this.#delete = db.prepare('DELETE FROM exec_sessions WHERE id = ?');
    this.#all = db.prepare(
      'SELECT id, agent_id, command, pid, jti, token_expires_at, started_at, expires_at, calls FROM exec_sessions ORDER BY started_at',
    );
    this.#setPid = db.prepare('UPDATE exec_sessions SET pid = ? WHERE id = ?');
    this.#setCalls = db.prepare('UPDATE exec_sessions SET calls = ? WHERE id = ?');
  }

  insert(record: SessionRecord): void {
    this.#insert.run(record);
  }

  delete(id: string): void {
    this.#delete.run(id);
  }

  all(): SessionRecord[] {
    return this.#all.all();
  }

  setPid(id: string, pid: number): void {
    this.#setPid.run(pid, id);
  }

  setCalls(id: string, calls: number): void {
    this.#setCalls.run(calls, id);
  }
}
