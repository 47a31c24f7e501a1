import type { AuditVerification } from '../../common/admin-api.js';
import type { Row } from './audit-row.js';
import { GENESIS_HASH, entryHash, parseHead } from './chain.js';
import type { HeadCopyState } from './head-copy.js';

/** Rows verifyAuditChain hashes between two yields to the event loop: a few ms of work, so requests are never held up long. */
const VERIFY_CHUNK = 250;

/**
 * What one verification looks at, taken at one moment: entries committed during the walk come
 * after that snapshot and are left for the next verify.
 */
export interface ChainSnapshot {
  /** The head recorded in the database's `meta`, as stored (undefined when missing). */
  stored: string | undefined;
  /** The copy of the head kept outside the database (head-copy.ts), when there is one. */
  copy: HeadCopyState | undefined;
  /** Up to `limit` rows with ids above `after` (and at most the snapshot's newest), in id order. */
  readChunk: (after: number, limit: number) => Row[];
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const broken = (checked: number, firstBad: number | undefined, reason: string): AuditVerification => ({
  ok: false,
  checked,
  ...(firstBad === undefined ? {} : { first_bad: firstBad }),
  reason,
});

/**
 * Walks the chain in id order, up to the newest entry when it started, in chunks with a
 * turn of the event loop between them; then compares the end of the chain with the head
 * recorded in the database and with the copy kept outside it.
 */
export async function verifyAuditChain(snapshot: ChainSnapshot): Promise<AuditVerification> {
  const { stored, copy, readChunk } = snapshot;
  let prev = GENESIS_HASH;
  let lastId = 0;
  let checked = 0;
  for (;;) {
    const rows = readChunk(lastId, VERIFY_CHUNK);
    for (const row of rows) {
      if (row.prev_hash !== prev || entryHash(prev, row) !== row.hash) {
        return broken(
          checked,
          row.id,
          `Entry #${row.id} or the one before it was edited, deleted or moved: its hash or its link to the previous entry does not match.`,
        );
      }
      if (copy?.head?.id === row.id && copy.head.hash !== row.hash) {
        return broken(
          checked,
          row.id,
          `Entry #${row.id} differs from the copy of the head kept in the secret store: the database was rewritten from this entry on.`,
        );
      }
      prev = row.hash;
      lastId = row.id;
      checked++;
    }
    if (rows.length < VERIFY_CHUNK) break;
    await yieldToEventLoop();
  }
  const head = stored === undefined ? undefined : parseHead(stored);
  if (stored === undefined && checked > 0) {
    return broken(
      checked,
      undefined,
      'The record of the newest entry (the head) is missing from the database, so a cut-off tail would go unnoticed: the database was edited.',
    );
  }
  if (stored !== undefined && !head) {
    return broken(
      checked,
      undefined,
      'The record of the newest entry (the head) in the database is malformed: the database was edited.',
    );
  }
  if (head && (head.id !== lastId || head.hash !== prev)) {
    if (head.id > lastId)
      return broken(
        checked,
        lastId + 1,
        `The chain ends at entry #${lastId} but the head says #${head.id}: the newest entries were deleted.`,
      );
    if (head.id < lastId)
      return broken(checked, head.id + 1, `Entries after #${head.id}, the recorded head, were added outside Latchkey.`);
    return broken(checked, lastId, `Entry #${lastId} is not the one recorded as the head: it was replaced.`);
  }
  if (copy && !copy.head && copy.malformed) {
    return broken(
      checked,
      undefined,
      'The copy of the head kept in the secret store is malformed, so a rewritten database would go unnoticed.',
    );
  }
  if (copy?.head && copy.head.id > lastId) {
    return broken(
      checked,
      lastId + 1,
      `The chain ends at entry #${lastId} but the copy of the head kept in the secret store is at #${copy.head.id}: entries were deleted and the chain rewritten.`,
    );
  }
  return { ok: true, checked };
}
