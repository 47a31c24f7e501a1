import { randomBytes } from 'node:crypto';
import {
  closeSync,
  fsyncSync,
  linkSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { LatchkeyError } from '../errors.js';
import { assertPrivateDir } from './private-dir.js';

/**
 * One broker per data dir: `DATA_DIR/latchkey.lock`, created exclusively, holds
 * the owner's pid. A lock whose pid is gone (crash, kill -9) is stale and taken
 * over. The caller releases it; nothing is registered globally.
 */
export interface DataDirLock {
  readonly file: string;
  release(): void;
}

interface LockInfo {
  pid: number;
  started_at: number;
  command: string;
  hostname: string;
}

const LOCK_NAME = 'latchkey.lock';
const MAX_COMMAND = 200;

function errno(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? 'unknown error';
}

function unwritable(dataDir: string, error: unknown): LatchkeyError {
  return new LatchkeyError(
    'data_dir_unwritable',
    `Cannot write to ${dataDir}: ${errno(error)}`,
    500,
    {},
    { cause: error },
  );
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function parse(text: string): LockInfo | undefined {
  try {
    const value = JSON.parse(text) as Partial<LockInfo>;
    if (typeof value.pid !== 'number' || !Number.isInteger(value.pid) || value.pid <= 0) return undefined;
    return {
      pid: value.pid,
      started_at: typeof value.started_at === 'number' ? value.started_at : 0,
      command: typeof value.command === 'string' ? value.command : '',
      hostname: typeof value.hostname === 'string' ? value.hostname : '',
    };
  } catch {
    // Not JSON: the caller treats an unparseable lock as "unreadable" and decides from that.
    return undefined;
  }
}

/** Reads a lock file. Undefined if it vanished; 'unreadable' if its content never became a lock (a crash mid-write). */
function readLock(file: string): LockInfo | 'unreadable' | undefined {
  // The owner creates the file and then writes it: give a racing reader a moment.
  for (let attempt = 0; attempt < 20; attempt++) {
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if (errno(error) === 'ENOENT') return undefined;
      throw error;
    }
    const info = parse(text);
    if (info) return info;
    sleepSync(25);
  }
  return 'unreadable';
}

function isAlive(info: LockInfo): boolean {
  // A lock written on another host (a data dir on a network share) cannot be checked: respect it.
  if (info.hostname && info.hostname !== hostname()) return true;
  if (info.pid === process.pid) return true;
  try {
    process.kill(info.pid, 0);
    return true;
  } catch (error) {
    return errno(error) !== 'ESRCH'; // EPERM: alive, owned by someone else
  }
}

const same = (a: LockInfo, b: LockInfo): boolean =>
  a.pid === b.pid && a.started_at === b.started_at && a.hostname === b.hostname;

function inUse(dataDir: string, info: LockInfo): LatchkeyError {
  const since = info.started_at ? new Date(info.started_at).toISOString() : 'an unknown time';
  const where = info.hostname && info.hostname !== hostname() ? ` on ${info.hostname}` : '';
  return new LatchkeyError(
    'data_dir_in_use',
    `Another Latchkey (pid ${info.pid}${where}: ${info.command || 'unknown command'}, since ${since}) is using ${dataDir}. Stop it first, or use --data-dir.`,
    409,
    { pid: info.pid },
  );
}

/** Creates the lock file exclusively; false if it already exists. */
function tryCreate(file: string, dataDir: string, info: LockInfo): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'wx', 0o600);
  } catch (error) {
    if (errno(error) === 'EEXIST') return false;
    throw unwritable(dataDir, error);
  }
  try {
    writeSync(fd, JSON.stringify(info));
    fsyncSync(fd);
  } catch (error) {
    closeSync(fd);
    try {
      unlinkSync(file);
    } catch {
      // Best effort cleanup of our half-written lock: the write error thrown below is the one to report.
    }
    throw unwritable(dataDir, error);
  }
  closeSync(fd);
  return true;
}

/**
 * Removes a stale lock without ever removing a live one. Unlinking by name
 * would race: if another starter took the stale lock over between our read and
 * our unlink, we would delete its fresh lock. Instead the file is renamed aside
 * (atomic: we get whichever file was there), then checked; if it turns out to be
 * a live lock it is put back with link() (which never overwrites).
 * Returns the live owner if we grabbed a live lock by mistake.
 */
function removeStale(file: string, stale: LockInfo | 'unreadable'): LockInfo | undefined {
  const aside = `${file}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if (errno(error) === 'ENOENT') return undefined; // someone else removed it already
    throw error;
  }
  const moved = readLock(aside);
  const isStale =
    moved === undefined ||
    (stale === 'unreadable' ? moved === 'unreadable' : moved !== 'unreadable' && same(moved, stale));
  if (!isStale && moved !== undefined && moved !== 'unreadable' && isAlive(moved)) {
    try {
      linkSync(aside, file);
    } catch {
      // A third starter created a lock meanwhile; it is the owner now.
    }
    try {
      unlinkSync(aside);
    } catch {
      // Leaves only a uniquely named leftover beside the lock; the lock itself is settled.
    }
    return moved;
  }
  try {
    unlinkSync(aside);
  } catch {
    // Leaves only a uniquely named leftover beside the lock; the stale lock is out of the way.
  }
  return undefined;
}

export function acquireDataDirLock(dataDir: string): DataDirLock {
  try {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw unwritable(dataDir, error);
  }
  // The lock is the first thing a broker takes: no file is written in a folder others could tamper with.
  assertPrivateDir(dataDir);
  const file = join(dataDir, LOCK_NAME);
  const command = process.argv.slice(1).join(' ');
  const mine: LockInfo = {
    pid: process.pid,
    started_at: Date.now(),
    command: command.length > MAX_COMMAND ? `${command.slice(0, MAX_COMMAND - 3)}...` : command,
    hostname: hostname(),
  };

  let tookOver = false;
  for (;;) {
    if (tryCreate(file, dataDir, mine)) break;
    let existing: LockInfo | 'unreadable' | undefined;
    try {
      existing = readLock(file);
    } catch (error) {
      throw unwritable(dataDir, error);
    }
    if (existing === undefined) continue; // released between our create and our read: try again
    if (existing !== 'unreadable' && isAlive(existing)) throw inUse(dataDir, existing);
    // Stale: the owner is gone (or died before writing anything). Take it over, once.
    if (tookOver) {
      throw new LatchkeyError(
        'data_dir_in_use',
        `Could not take over the stale lock ${file}; another Latchkey may be starting. Try again.`,
        409,
        {},
      );
    }
    tookOver = true;
    let live: LockInfo | undefined;
    try {
      live = removeStale(file, existing);
    } catch (error) {
      throw unwritable(dataDir, error);
    }
    if (live) throw inUse(dataDir, live);
    if (tryCreate(file, dataDir, mine)) break;
    // Lost the race to another starter that also saw the stale lock: report it as the owner.
    const winner = readLock(file);
    if (winner && winner !== 'unreadable') throw inUse(dataDir, winner);
    throw new LatchkeyError('data_dir_in_use', `Another Latchkey is starting in ${dataDir}. Try again.`, 409, {});
  }

  let released = false;
  return {
    file,
    release() {
      if (released) return;
      released = true;
      try {
        const current = parse(readFileSync(file, 'utf8'));
        if (current && same(current, mine)) unlinkSync(file);
      } catch {
        // Already gone, or unreadable: either way not ours to remove.
      }
    },
  };
}
