import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { LatchkeyError } from '../errors.js';
import { auditMigration } from '../audit/migration.js';
import { agentsMigration, grantsByConnectionIdMigration } from '../authz/migration.js';
import { execSessionsMigration } from '../sessions/migration.js';

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

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );

      CREATE TABLE provider_clients (
        provider   TEXT PRIMARY KEY,
        client_id  TEXT NOT NULL,
        has_secret INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
      );

      CREATE TABLE connections (
        id           TEXT PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        provider     TEXT NOT NULL,
        auth_method  TEXT NOT NULL CHECK (auth_method IN ('oauth', 'device', 'personal_token', 'api_key')),
        account      TEXT,
        scopes       TEXT NOT NULL DEFAULT '[]',
        status       TEXT NOT NULL CHECK (status IN ('connected', 'expired', 'needs_reauth')),
        expires_at   INTEGER,
        refreshable  INTEGER NOT NULL DEFAULT 0,
        last_error   TEXT,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL,
        last_used_at INTEGER
      );
    `,
    // The install id namespaces this data dir's keychain entries.
    seed: (db) => {
      db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('install_id', randomUUID());
    },
  },
  auditMigration,
  agentsMigration,
  grantsByConnectionIdMigration,
  {
    version: 5,
    name: 'connection template variables',
    // Per-account host parts (Zendesk subdomain, Shopify shop): checked host names, not secrets.
    up: `ALTER TABLE connections ADD COLUMN variables TEXT NOT NULL DEFAULT '{}';`,
  },
  execSessionsMigration,
];

export const LATEST_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

function userVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Brings the database up to LATEST_VERSION; returns the versions applied. */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  const latest = migrations.reduce((max, m) => Math.max(max, m.version), 0);
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
    if (!Number.isInteger(migration.version) || migration.version < 1) throw new Error(`Invalid migration version ${migration.version}`);
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
