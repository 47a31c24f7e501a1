/**
 * WAL checkpoints off the request thread: the main connection stops checkpointing inside its
 * commits, a worker with its own connection checkpoints what they wrote, and the main
 * connection takes checkpoints back when the worker stops or fails.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { startWalCheckpointer } from '../../main/core/store/wal-checkpointer.js';
import { openDatabase } from '../fixtures/database.js';

const root = mkdtempSync(join(tmpdir(), 'latchkey-wal-'));
after(() => rmSync(root, { recursive: true, force: true }));
let count = 0;
const fresh = () => {
  const file = join(root, `w${count++}`, 'latchkey.db');
  const db = openDatabase(file);
  db.exec('CREATE TABLE filler (id INTEGER PRIMARY KEY, body TEXT)');
  return { db, file };
};
/** Writes about `pages` pages of WAL, in transactions of 50 rows. */
const fill = (db: ReturnType<typeof fresh>['db'], pages: number): void => {
  const insert = db.prepare('INSERT INTO filler (body) VALUES (?)');
  const batch = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) insert.run('x'.repeat(3000));
  });
  for (let i = 0; i < pages / 50; i++) batch(50);
};
const autocheckpoint = (db: ReturnType<typeof fresh>['db']): number =>
  db.pragma('wal_autocheckpoint', { simple: true }) as number;
const errors: unknown[] = [];
const logger = pino({ level: 'error' }, { write: (line: string) => void errors.push(JSON.parse(line)) });

describe('WAL checkpointer', () => {
  test('commits no longer checkpoint; the worker checkpoints what they wrote', async () => {
    const { db, file } = fresh();
    const checkpoints: { log: number; checkpointed: number }[] = [];
    const checkpointer = startWalCheckpointer(db, { intervalMs: 20, logger, onCheckpoint: (r) => checkpoints.push(r) });
    assert.equal(autocheckpoint(db), 0);
    fill(db, 1500); // past SQLite's 1,000-page autocheckpoint
    // Nothing checkpointed inside the commits: every frame written is still in the WAL.
    assert.ok(statSync(`${file}-wal`).size > 1000 * 4096, 'the WAL holds what the commits wrote');
    for (let i = 0; i < 200 && !checkpoints.some((r) => r.checkpointed >= 1000); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    const done = checkpoints.find((r) => r.checkpointed >= 1000);
    assert.ok(done, `the worker checkpointed the frames: ${JSON.stringify(checkpoints.slice(-3))}`);
    assert.equal(done.checkpointed, done.log);
    await checkpointer.close();
    assert.equal(autocheckpoint(db), 1000, 'the main connection checkpoints again');
    db.close();
  });

  test('a worker that fails hands checkpoints back to the main connection and says so', async () => {
    const { db, file } = fresh();
    const failures = errors.length;
    const checkpointer = startWalCheckpointer(db, { intervalMs: 20, logger });
    assert.equal(autocheckpoint(db), 0);
    // The worker opens the database by name (fileMustExist) once it has started: moved away before that, it fails.
    renameSync(file, `${file}.moved`);
    for (let i = 0; i < 200 && autocheckpoint(db) === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(autocheckpoint(db), 1000, 'the main connection checkpoints again');
    assert.match(JSON.stringify(errors.slice(failures)), /checkpoint worker (failed|exited)/);
    await checkpointer.close();
    renameSync(`${file}.moved`, file);
    db.close();
  });
});
