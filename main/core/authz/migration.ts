import type { Migration } from '../store/migrate.js';

/**
 * Schema of agents, their grants, refresh tokens and approvals (owned by main/core/authz).
 * No raw credential is ever stored: client secrets and refresh tokens are kept as their
 * sha256 (they are 256-bit random values, so a plain hash is enough to make a copy of the
 * database useless), access tokens are only known by their `jti`. Times are epoch ms.
 */
export const agentsMigration: Migration = {
  version: 3,
  name: 'agents',
  up: `
    CREATE TABLE agents (
      id                         TEXT PRIMARY KEY,
      name                       TEXT NOT NULL UNIQUE,
      client_id                  TEXT NOT NULL UNIQUE,
      client_secret_hash         TEXT,
      token_endpoint_auth_method TEXT NOT NULL CHECK (token_endpoint_auth_method IN ('client_secret_basic', 'client_secret_post', 'none')),
      redirect_uris              TEXT NOT NULL DEFAULT '[]',
      status                     TEXT NOT NULL CHECK (status IN ('pending', 'active', 'revoked')),
      grants                     TEXT NOT NULL DEFAULT '[]',
      rate_limit_per_minute      INTEGER CHECK (rate_limit_per_minute IS NULL OR rate_limit_per_minute > 0),
      tokens_valid_after         INTEGER NOT NULL DEFAULT 0,
      registered_via             TEXT NOT NULL CHECK (registered_via IN ('admin', 'dcr')),
      created_at                 INTEGER NOT NULL,
      updated_at                 INTEGER NOT NULL,
      CHECK ((token_endpoint_auth_method = 'none') = (client_secret_hash IS NULL))
    );

    -- One row per refresh token ever issued, kept until it expires so that the reuse of a
    -- rotated token is recognised. access_jti is the access token issued with it, revoked
    -- together with the family.
    CREATE TABLE refresh_tokens (
      token_hash        TEXT PRIMARY KEY,
      agent_id          TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
      family_id         TEXT NOT NULL,
      scope             TEXT NOT NULL,
      access_jti        TEXT NOT NULL,
      access_expires_at INTEGER NOT NULL,
      created_at        INTEGER NOT NULL,
      expires_at        INTEGER NOT NULL,
      used_at           INTEGER,
      revoked_at        INTEGER
    );
    CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
    CREATE INDEX refresh_tokens_agent ON refresh_tokens (agent_id);
    CREATE INDEX refresh_tokens_expiry ON refresh_tokens (expires_at);

    CREATE TABLE approvals (
      id             TEXT PRIMARY KEY,
      agent_id       TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
      scope          TEXT NOT NULL,
      redirect_uri   TEXT NOT NULL,
      state          TEXT,
      code_challenge TEXT NOT NULL,
      status         TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired')),
      created_at     INTEGER NOT NULL,
      decided_at     INTEGER,
      granted        TEXT,
      code_issued_at INTEGER
    );
    CREATE INDEX approvals_agent ON approvals (agent_id);
    CREATE INDEX approvals_created ON approvals (created_at);

    -- Access tokens revoked before their expiry (RFC 7009, refresh token families).
    CREATE TABLE revoked_access_tokens (
      jti        TEXT PRIMARY KEY,
      expires_at INTEGER NOT NULL
    );
  `,
};

/**
 * Grants bind to a connection's id, not its name (a name can be reused by another account
 * after a disconnect). Each agent's `[{connection, scopes}]` becomes `[{connection_id,
 * scopes}]`; a grant naming a connection that no longer exists is dropped.
 */
export const grantsByConnectionIdMigration: Migration = {
  version: 4,
  name: 'grants bound to connection ids',
  up: '',
  seed: (db) => {
    const idOf = db.prepare<[string], string>('SELECT id FROM connections WHERE name = ?').pluck();
    const update = db.prepare<[string, string]>('UPDATE agents SET grants = ? WHERE id = ?');
    const agents = db.prepare<[], { id: string; grants: string }>('SELECT id, grants FROM agents').all();
    for (const agent of agents) {
      const named = JSON.parse(agent.grants) as { connection: string; scopes: string[] }[];
      const bound = named.flatMap((grant) => {
        const id = idOf.get(grant.connection);
        return id === undefined ? [] : [{ connection_id: id, scopes: grant.scopes }];
      });
      update.run(JSON.stringify(bound), agent.id);
    }
  },
};
