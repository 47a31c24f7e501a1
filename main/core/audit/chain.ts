import { createHash } from 'node:crypto';
import type { AuditEntry } from '../../common/admin-api.js';

/** The prev_hash of the first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The hashed fields of an entry, as stored: time in epoch ms, kind and decision as read back. */
export type ChainedFields = Omit<AuditEntry, 'at' | 'kind' | 'decision' | 'session_id' | 'prev_hash' | 'hash'> & {
  at: number;
  kind: string;
  decision: string;
  session_id?: string | null;
};

/**
 * sha256(prev_hash + "\n" + canonical fields). The canonical form is a JSON array in a
 * fixed field order: no key-order ambiguity, and strings are escaped unambiguously.
 * It includes the id, so moving a row to another id breaks its hash. The session id
 * (added later) is hashed only when set, so entries written before it keep their hashes.
 */
export function entryHash(prevHash: string, e: ChainedFields): string {
  const canonical = JSON.stringify([
    e.id,
    e.at,
    e.kind,
    e.decision,
    e.reason,
    e.agent_id,
    e.agent_name,
    e.connection,
    e.method,
    e.path,
    e.status,
    e.latency_ms,
    e.bytes_in,
    e.bytes_out,
    ...(e.session_id ? [e.session_id] : []),
  ]);
  return createHash('sha256').update(`${prevHash}\n${canonical}`).digest('hex');
}

/** The newest entry of a chain: its id and hash. */
export interface AuditHead {
  id: number;
  hash: string;
}

/** `<id>:<hash>`, as kept in the database's meta table and in the vault's copy. */
export const formatHead = (head: AuditHead): string => `${head.id}:${head.hash}`;

/** The head in `value`, or undefined when it is not one (a malformed record). */
export function parseHead(value: string): AuditHead | undefined {
  const match = /^([1-9][0-9]{0,15}):([0-9a-f]{64})$/.exec(value);
  return match ? { id: Number(match[1]), hash: match[2] as string } : undefined;
}
