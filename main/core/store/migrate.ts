import type Database from 'better-sqlite3';
import { LatchkeyError } from '../errors.js';

/**
 * Schema migrations, applied in order. Each runs in its own transaction together
 * with the bump of `PRAGMA user_version`, so a crash leaves the database at the
 * previous version, never half-migrated. Never edit a released migration: add one.
 *
 * No table ever holds a secret: tokens, client secrets and API keys live in the
 * vault (OS keychain or encrypted file); SQLite only knows whether one exists.
 */
export interface Migration {
  version: number;
  name: string;
  /** SQL run with `db.exec`. */
  up: string;
  /** Optional data step run in the same transaction, after `up`. */
  seed?: (db: Database.Database) => void;
}

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** The newest version a list of migrations brings a database to. */
export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.reduce((max, m) => Math.max(max, m.version), 0);
}

/**
 * Brings the database up to the newest version of `migrations` (every module's, collected by
 * the composition root: the store knows none but its own); returns the versions applied.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[]): number[] {
  const latest = latestVersion(migrations);
  const check = (current: number): void => {
    if (current > latest) {
      throw new LatchkeyError(
        'database_too_new',
        `The database ${db.name} has schema version ${current}, but this Latchkey only knows up to ${latest}. Upgrade Latchkey, or use another --data-dir.`,
        500,
        { schema_version: current, supported_version: latest },
      );
    }
  };
  check(userVersion(db));

  const applied: number[] = [];
  const ordered = [...migrations].sort((a, b) => a.version - b.version);
  for (const migration of ordered) {
    if (!Number.isInteger(migration.version) || migration.version < 1)
      throw new Error(`Invalid migration version ${migration.version}`);
    const apply = db.transaction(() => {
      // Re-read inside the (IMMEDIATE) transaction: the version on disk is the truth.
      const current = userVersion(db);
      check(current);
      if (current >= migration.version) return false;
      db.exec(migration.up);
      migration.seed?.(db);
      db.pragma(`user_version = ${migration.version}`);
      return true;
    });
    if (apply.immediate()) applied.push(migration.version);
  }
  return applied;
}
