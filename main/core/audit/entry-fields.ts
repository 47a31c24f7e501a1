import { AUDIT_DECISIONS, AUDIT_KINDS, type AuditDecision, type AuditKind } from '../../common/api/audit.js';
import { LatchkeyError } from '../errors.js';
import type { ChainedFields } from './chain.js';
import { MAX_AUDIT_PATH, redactPath } from './redact.js';

/** What a caller records. Metadata only: never a body, a header or a secret. */
export interface AuditInput {
  kind: AuditKind;
  decision: AuditDecision;
  reason?: string | null;
  agent_id?: string | null;
  agent_name?: string | null;
  connection?: string | null;
  method?: string | null;
  /** Redacted by append (query values), so callers may pass the raw request path. */
  path?: string | null;
  status?: number | null;
  latency_ms?: number | null;
  bytes_in?: number | null;
  bytes_out?: number | null;
  /** The exec session whose token made the call (main/core/sessions). */
  session_id?: string | null;
}

/** Caps on text fields: an oversized name is truncated, never a reason to fail an append. */
const MAX_TEXT = { reason: 1024, agent_id: 128, agent_name: 256, connection: 128, method: 32, session_id: 64 } as const;

const SURROGATE = /[\uD800-\uDFFF]/;

/**
 * SQLite stores UTF-8, so a lone UTF-16 surrogate would be read back differently and the
 * entry would no longer match its hash: store exactly what will be read back.
 */
function text(value: unknown, max: number, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new LatchkeyError('invalid_audit_entry', `audit ${field} must be a string`, 500);
  const capped = value.length > max ? `${value.slice(0, max - 1)}…` : value;
  // Only a surrogate can be lone; a string without any round-trips through UTF-8 unchanged.
  return SURROGATE.test(capped) ? Buffer.from(capped, 'utf8').toString('utf8') : capped;
}

function count(value: unknown, field: string, round = false): number | null {
  if (value === undefined || value === null) return null;
  const n = round && typeof value === 'number' && Number.isFinite(value) ? Math.round(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || n < 0) {
    throw new LatchkeyError('invalid_audit_entry', `audit ${field} must be a non-negative integer`, 500);
  }
  return n;
}

/** The row fields of an append, validated and capped (the id and hashes are assigned at commit). */
export function fieldsOf(input: AuditInput, at: number): Omit<ChainedFields, 'id'> {
  if (!AUDIT_KINDS.includes(input.kind))
    throw new LatchkeyError('invalid_audit_entry', `unknown audit kind ${String(input.kind)}`, 500);
  if (!AUDIT_DECISIONS.includes(input.decision))
    throw new LatchkeyError('invalid_audit_entry', `unknown audit decision ${String(input.decision)}`, 500);
  return {
    at,
    kind: input.kind,
    decision: input.decision,
    reason: text(input.reason, MAX_TEXT.reason, 'reason'),
    agent_id: text(input.agent_id, MAX_TEXT.agent_id, 'agent_id'),
    agent_name: text(input.agent_name, MAX_TEXT.agent_name, 'agent_name'),
    connection: text(input.connection, MAX_TEXT.connection, 'connection'),
    method: text(input.method, MAX_TEXT.method, 'method'),
    path: text(typeof input.path === 'string' ? redactPath(input.path) : input.path, MAX_AUDIT_PATH, 'path'),
    status: count(input.status, 'status'),
    latency_ms: count(input.latency_ms, 'latency_ms', true),
    bytes_in: count(input.bytes_in, 'bytes_in'),
    bytes_out: count(input.bytes_out, 'bytes_out'),
    session_id: text(input.session_id, MAX_TEXT.session_id, 'session_id'),
  };
}
