import type { AuditEntry } from '../../common/admin-api.js';
import type { ChainedFields } from './chain.js';

/** A row of the `audit` table (audit/migration.ts). */
export type Row = ChainedFields & { prev_hash: string; hash: string };

export const COLUMNS =
  'id, at, kind, decision, reason, agent_id, agent_name, connection, method, path, status, latency_ms, bytes_in, bytes_out, session_id, prev_hash, hash';

/** The `meta` key of the newest entry's id and hash (chain.ts formatHead). */
export const HEAD_KEY = 'audit_head';

export const toEntry = (row: Row): AuditEntry => ({ ...row, at: new Date(row.at).toISOString() }) as AuditEntry;
