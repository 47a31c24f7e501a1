import { accessSync, chmodSync, closeSync, constants, fchmodSync, mkdirSync, openSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { LatchkeyError, isLatchkeyError } from '../errors.js';
import { migrate, type Migration } from './migrate.js';

export interface OpenDatabaseOptions {
  /**
   * WAL + NORMAL is durable against a process crash (a committed transaction is
   * in the WAL file, which the OS keeps even if we die); only a power loss or
   * OS crash can roll back the last few commits. That is fine for connection
   * metadata (re-derivable, and the secrets live in the vault) and keeps the
   * per-request `touch` cheap (no fsync per commit). An audit log will want FULL.
   */
  synchronous?: 'NORMAL' | 'FULL';
}

const UNWRITABLE_CODES = new Set([
  'EACCES',
  'EPERM',
  'EROFS',
  'ENOTDIR',
  'ENOSPC',
  'EEXIST',
  'SQLITE_CANTOPEN',
  'SQLITE_READONLY',
  'SQLITE_READONLY_DIRECTORY',
  'SQLITE_IOERR',
  'SQLITE_FULL',
  'SQLITE_PERM',
]);

function reasonOf(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return typeof code === 'string' && !error.message.includes(code) ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}

function codeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : '';
}

/**
 * SQLite creates the database 0644 minus the umask (world-readable under umask 0), and its
 * -wal and -shm files with the database's mode: creating the database 0600 first makes all
 * three owner-only. Tightens a database an older version left wider.
 */
function createOwnerOnly(file: string): void {
  const fd = openSync(file, 'a', 0o600);
  try {
    fchmodSync(fd, 0o600);
  } finally {
    closeSync(fd);
  }
}

/** -wal and -shm left by an older version (after a crash) keep their mode when SQLite reopens them. */
function tightenIfPresent(file: string): void {
  try {
    chmodSync(file, 0o600);
  } catch (error) {
    if (codeOf(error) !== 'ENOENT') throw error;
  }
}

/**
 * Opens (creating if needed) the broker's SQLite database and brings its schema up to date
 * with `migrations`: every module's own, collected by the composition root (main/core/migrations.ts).
 */
export function openDatabase(
  file: string,
  migrations: readonly Migration[],
  options: OpenDatabaseOptions = {},
): Database.Database {
  const dir = dirname(file);
  const synchronous = options.synchronous ?? 'NORMAL';
  if (synchronous !== 'NORMAL' && synchronous !== 'FULL')
    throw new LatchkeyError('invalid_option', `synchronous must be NORMAL or FULL`, 500);

  let db: Database.Database | undefined;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // SQLite needs to create the -wal and -shm files next to the database.
    accessSync(dir, constants.W_OK);
    createOwnerOnly(file);
    db = new Database(file);
    db.pragma('journal_mode = WAL');
    for (const companion of [`${file}-wal`, `${file}-shm`]) tightenIfPresent(companion);
    db.pragma(`synchronous = ${synchronous}`);
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return db;
  } catch (error) {
    try {
      db?.close();
    } catch {
      // Already failing: the error being thrown below says why; a failed close adds nothing to it.
    }
    if (isLatchkeyError(error)) throw error;
    const code = codeOf(error);
    if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') {
      throw new LatchkeyError(
        'database_corrupt',
        `${file} is not a readable Latchkey database: ${reasonOf(error)}`,
        500,
        {},
        { cause: error },
      );
    }
    if (
      UNWRITABLE_CODES.has(code) ||
      code.startsWith('SQLITE_CANTOPEN') ||
      code.startsWith('SQLITE_READONLY') ||
      code.startsWith('SQLITE_IOERR')
    ) {
      throw new LatchkeyError(
        'data_dir_unwritable',
        `Cannot write to ${dir}: ${reasonOf(error)}`,
        500,
        {},
        { cause: error },
      );
    }
    throw error;
  }
}
