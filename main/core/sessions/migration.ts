import type { Migration } from '../store/migrate.js';

/**
 * Schema of exec sessions (owned by main/core/sessions): one row per live session, deleted
 * when it ends (its end is an audit entry). The row lets a restarted broker take its
 * sessions back. No token is stored: `jti` only names the session's access token, so it
 * can be revoked when the session ends. `command` is the program's name alone, never its
 * arguments (a person may pass a secret there). Times are epoch ms.
 *
 * Audit entries of proxied calls name the session they were made in (`audit.session_id`).
 */
export const execSessionsMigration: Migration = {
  version: 6,
  name: 'exec sessions',
  up: `
    CREATE TABLE exec_sessions (
      id               TEXT PRIMARY KEY,
      agent_id         TEXT NOT NULL REFERENCES agents (id) ON DELETE CASCADE,
      command          TEXT NOT NULL,
      pid              INTEGER,
      jti              TEXT NOT NULL UNIQUE,
      token_expires_at INTEGER NOT NULL,
      started_at       INTEGER NOT NULL,
      expires_at       INTEGER NOT NULL,
      calls            INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX exec_sessions_agent ON exec_sessions (agent_id);

    ALTER TABLE audit ADD COLUMN session_id TEXT;
  `,
};
