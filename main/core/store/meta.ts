import type Database from 'better-sqlite3';
import { LatchkeyError } from '../errors.js';

const statements = new WeakMap<Database.Database, Database.Statement<[string], { value: string }>>();

export function getMeta(db: Database.Database, key: string): string | undefined {
  let select = statements.get(db);
  if (!select) {
    select = db.prepare<[string], { value: string }>('SELECT value FROM meta WHERE key = ?');
    statements.set(db, select);
  }
  return select.get(key)?.value;
}

/** This data dir's random id (created with the schema); it namespaces keychain entries. */
export function installId(db: Database.Database): string {
  const id = getMeta(db, 'install_id');
  if (!id) throw new LatchkeyError('database_corrupt', `The database ${db.name} has no install_id`, 500);
  return id;
}
