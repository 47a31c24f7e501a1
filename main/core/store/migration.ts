import { randomUUID } from 'node:crypto';
import type { Migration } from './migrate.js';

/** Schema of the store's own tables: meta, provider OAuth apps and connections (no secret in any of them). */
export const initialSchemaMigration: Migration = {
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
};

export const connectionVariablesMigration: Migration = {
  version: 5,
  name: 'connection template variables',
  // Per-account host parts (Zendesk subdomain, Shopify shop): checked host names, not secrets.
  up: `ALTER TABLE connections ADD COLUMN variables TEXT NOT NULL DEFAULT '{}';`,
};
