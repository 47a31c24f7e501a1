import type { Migration } from '../store/migrate.js';

/**
 * Schema of the audit log (owned by main/core/audit). Metadata only: no request or
 * response bodies, no headers, no secrets; query values are redacted before insert.
 * Each index ends (implicitly) with the rowid `id`, so `WHERE agent_id = ? AND id < ?
 * ORDER BY id DESC` pages newest-first straight off the index.
 */
export const auditMigration: Migration = {
  version: 2,
  name: 'audit log',
  up: `
    CREATE TABLE audit (
      id         INTEGER PRIMARY KEY,
      at         INTEGER NOT NULL,
      kind       TEXT NOT NULL CHECK (kind IN ('proxy', 'token', 'approval', 'revocation', 'connection', 'agent', 'control')),
      decision   TEXT NOT NULL CHECK (decision IN ('allow', 'deny', 'info')),
      reason     TEXT,
      agent_id   TEXT,
      agent_name TEXT,
      connection TEXT,
      method     TEXT,
      path       TEXT,
      status     INTEGER,
      latency_ms INTEGER,
      bytes_in   INTEGER,
      bytes_out  INTEGER,
      prev_hash  TEXT NOT NULL,
      hash       TEXT NOT NULL
    );
    CREATE INDEX audit_agent ON audit (agent_id);
    CREATE INDEX audit_connection ON audit (connection);
    CREATE INDEX audit_decision ON audit (decision);
    CREATE INDEX audit_at ON audit (at);
  `,
};

/**
 * Denied calls get an index of their own, and allowed ones (nearly all) none: the old
 * index on `decision` was updated on every append for a filter whose common answer, the
 * newest allowed entries, a scan finds at once. Measured: about a tenth of an append's cost.
 */
export const auditDeniedIndexMigration: Migration = {
  version: 7,
  name: 'audit: index denied entries only',
  up: `
    DROP INDEX audit_decision;
    CREATE INDEX audit_denied ON audit (decision) WHERE decision = 'deny';
  `,
};
