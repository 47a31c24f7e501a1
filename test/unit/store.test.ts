import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import Database from 'better-sqlite3';
import { openDatabase } from '../fixtures/database.js';
import { LATEST_VERSION, MIGRATIONS } from '../fixtures/database.js';
import { getMeta, installId } from '../../main/core/store/meta.js';
import { ConnectionStore } from '../../main/core/store/connections.js';
import { ProviderClientStore } from '../../main/core/store/provider-clients.js';
import { acquireDataDirLock } from '../../main/core/store/lock.js';
import { LatchkeyError } from '../../main/core/errors.js';

const hasCode =
  (code: string) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof LatchkeyError, `expected a LatchkeyError, got ${String(error)}`);
    assert.equal(error.code, code);
    return true;
  };

let root: string;
let counter = 0;
const freshDir = (): string => {
  const dir = join(root, `d${counter++}`);
  mkdirSync(dir);
  return dir;
};

before(() => {
  root = mkdtempSync(join(tmpdir(), 'latchkey-store-'));
});
after(() => rmSync(root, { recursive: true, force: true }));

describe('database and migrations', () => {
  test('migrations bring a new database to the latest version and are idempotent on reopen', () => {
    const file = join(freshDir(), 'latchkey.db');
    const db = openDatabase(file);
    assert.deepEqual(
      MIGRATIONS.map((m) => m.version),
      Array.from({ length: MIGRATIONS.length }, (_, i) => i + 1),
      'versions are 1..n in order',
    );
    assert.equal(LATEST_VERSION, MIGRATIONS.length);
    assert.equal(db.pragma('user_version', { simple: true }), LATEST_VERSION);
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .pluck()
      .all() as string[];
    for (const table of ['connections', 'meta', 'provider_clients']) assert.ok(tables.includes(table), table);
    const columns = db.prepare("SELECT name FROM pragma_table_info('connections')").pluck().all() as string[];
    assert.deepEqual(columns, [
      'id',
      'name',
      'provider',
      'auth_method',
      'account',
      'scopes',
      'status',
      'expires_at',
      'refreshable',
      'last_error',
      'created_at',
      'updated_at',
      'last_used_at',
      'variables',
    ]);
    assert.ok(!columns.some((c) => /secret|token|password/.test(c)));
    db.close();

    const again = openDatabase(file);
    assert.equal(again.pragma('user_version', { simple: true }), LATEST_VERSION);
    assert.equal(again.prepare('SELECT count(*) FROM meta').pluck().get(), 1);
    again.close();
  });

  test('WAL, synchronous, foreign keys and busy timeout are set', () => {
    const file = join(freshDir(), 'latchkey.db');
    const db = openDatabase(file);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    assert.equal(db.pragma('synchronous', { simple: true }), 1); // NORMAL
    assert.equal(db.pragma('foreign_keys', { simple: true }), 1);
    assert.equal(db.pragma('busy_timeout', { simple: true }), 5000);
    db.close();
    const full = openDatabase(file, { synchronous: 'FULL' });
    assert.equal(full.pragma('synchronous', { simple: true }), 2); // FULL
    full.close();
  });

  test('a database newer than the code is refused with database_too_new', () => {
    const file = join(freshDir(), 'latchkey.db');
    openDatabase(file).close();
    const raw = new Database(file);
    raw.pragma('user_version = 99');
    raw.close();
    assert.throws(
      () => openDatabase(file),
      (error: unknown) => {
        hasCode('database_too_new')(error);
        assert.match((error as Error).message, /99/);
        return true;
      },
    );
    // Refused without touching it.
    const check = new Database(file);
    assert.equal(check.pragma('user_version', { simple: true }), 99);
    check.close();
  });

  test('install_id is a UUID, stable across reopen, different per database', () => {
    const file = join(freshDir(), 'latchkey.db');
    const db = openDatabase(file);
    const id = installId(db);
    assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(getMeta(db, 'install_id'), id);
    assert.equal(getMeta(db, 'nope'), undefined);
    db.close();
    const again = openDatabase(file);
    assert.equal(installId(again), id);
    again.close();
    const other = openDatabase(join(freshDir(), 'latchkey.db'));
    assert.notEqual(installId(other), id);
    other.close();
  });

  test('an unwritable location is data_dir_unwritable', () => {
    const blocker = join(freshDir(), 'a-file');
    writeFileSync(blocker, 'x');
    assert.throws(
      () => openDatabase(join(blocker, 'sub', 'latchkey.db')),
      (error: unknown) => {
        hasCode('data_dir_unwritable')(error);
        assert.match((error as Error).message, /^Cannot write to /);
        return true;
      },
    );
  });

  test('a file that is not a database is refused', () => {
    const file = join(freshDir(), 'latchkey.db');
    writeFileSync(file, 'this is not sqlite'.repeat(100));
    assert.throws(() => openDatabase(file), hasCode('database_corrupt'));
  });
});

describe('connections', () => {
  let db: Database.Database;
  let store: ConnectionStore;
  before(() => {
    db = openDatabase(join(freshDir(), 'latchkey.db'));
    store = new ConnectionStore(db);
  });
  after(() => db.close());

  const base = {
    provider: 'github',
    auth_method: 'oauth' as const,
    account: 'octocat',
    scopes: ['repo', 'read:user'],
    status: 'connected' as const,
    expires_at: 1_900_000_000_000,
    refreshable: true,
    last_error: null,
  };

  test('insert, get, list, JSON scopes round trip', () => {
    const before = Date.now();
    const rec = store.insert({ id: 'c1', name: 'github', ...base });
    assert.equal(rec.id, 'c1');
    assert.deepEqual(rec.scopes, ['repo', 'read:user']);
    assert.equal(rec.refreshable, true);
    assert.equal(rec.last_used_at, null);
    assert.ok(rec.created_at >= before && rec.updated_at === rec.created_at);
    assert.deepEqual(store.getByName('github'), rec);
    assert.deepEqual(store.getById('c1'), rec);
    assert.equal(store.getById('nope'), undefined);
    assert.equal(store.getByName('nope'), undefined);
    const raw = db.prepare('SELECT scopes, refreshable FROM connections WHERE id = ?').get('c1') as {
      scopes: string;
      refreshable: number;
    };
    assert.equal(raw.scopes, '["repo","read:user"]');
    assert.equal(raw.refreshable, 1);

    store.insert({
      id: 'c2',
      name: 'anthropic',
      provider: 'anthropic',
      auth_method: 'api_key',
      account: null,
      scopes: [],
      status: 'connected',
      expires_at: null,
      refreshable: false,
      last_error: null,
    });
    assert.deepEqual(
      store.list().map((c) => c.name),
      ['anthropic', 'github'],
    );
    assert.deepEqual(store.getById('c2')?.scopes, []);
  });

  test('a duplicate name is connection_exists (409, with the name)', () => {
    assert.throws(
      () => store.insert({ id: 'c3', name: 'github', ...base }),
      (error: unknown) => {
        hasCode('connection_exists')(error);
        const e = error as LatchkeyError;
        assert.equal(e.status, 409);
        assert.equal(e.message, 'A connection named "github" already exists');
        assert.deepEqual(e.details, { name: 'github' });
        return true;
      },
    );
    // Renaming onto an existing name too.
    assert.throws(() => store.update('c2', { name: 'github' }), hasCode('connection_exists'));
  });

  test('update changes only what the patch says, including to null', async () => {
    const original = store.getById('c1')!;
    await new Promise((resolve) => setTimeout(resolve, 5));
    const updated = store.update('c1', { status: 'needs_reauth', last_error: 'invalid_grant', scopes: ['repo'] });
    assert.equal(updated.status, 'needs_reauth');
    assert.equal(updated.last_error, 'invalid_grant');
    assert.deepEqual(updated.scopes, ['repo']);
    assert.equal(updated.account, 'octocat');
    assert.equal(updated.expires_at, original.expires_at);
    assert.equal(updated.refreshable, true);
    assert.equal(updated.created_at, original.created_at);
    assert.ok(updated.updated_at > original.updated_at);

    const cleared = store.update('c1', {
      last_error: null,
      account: null,
      expires_at: null,
      refreshable: false,
      status: 'connected',
      name: 'gh',
    });
    assert.equal(cleared.last_error, null);
    assert.equal(cleared.account, null);
    assert.equal(cleared.expires_at, null);
    assert.equal(cleared.refreshable, false);
    assert.equal(cleared.name, 'gh');
    assert.deepEqual(store.getByName('gh'), cleared);
    assert.throws(() => store.update('missing', { status: 'expired' }), hasCode('unknown_connection'));
  });

  test('touch sets last_used_at without changing updated_at', () => {
    const before = store.getById('c1')!;
    store.touch('c1', 1_234);
    const after = store.getById('c1')!;
    assert.equal(after.last_used_at, 1_234);
    assert.equal(after.updated_at, before.updated_at);
    store.touch('c1');
    assert.ok(store.getById('c1')!.last_used_at! >= Date.now() - 1000);
    store.touch('missing'); // no-op
    // Written behind: a second store over the same database sees the use once flushed.
    store.touch('c1', 5_678);
    store.flush();
    assert.equal(new ConnectionStore(db).getById('c1')!.last_used_at, 5_678);
  });

  test('template variables round trip, default to none, and change only when a patch says so', () => {
    assert.deepEqual(store.getById('c1')!.variables, {}, 'a connection made without variables has none');
    const desk = store.insert({
      id: 'c4',
      name: 'desk',
      provider: 'zendesk',
      auth_method: 'api_key',
      account: null,
      scopes: [],
      status: 'connected',
      expires_at: null,
      refreshable: false,
      last_error: null,
      variables: { subdomain: 'acme' },
    });
    assert.deepEqual(desk.variables, { subdomain: 'acme' });
    assert.deepEqual(new ConnectionStore(db).getById('c4')!.variables, { subdomain: 'acme' }, 'read back from SQLite');
    assert.deepEqual(store.update('c4', { status: 'expired' }).variables, { subdomain: 'acme' });
    assert.deepEqual(store.update('c4', { variables: { subdomain: 'other' } }).variables, { subdomain: 'other' });
    assert.equal(store.delete('c4'), true);
  });

  test('the CHECK constraints refuse unknown methods and statuses', () => {
    assert.throws(() => store.insert({ id: 'bad', name: 'bad', ...base, auth_method: 'password' as never }));
    assert.throws(() => store.update('c1', { status: 'weird' as never }));
  });

  test('delete', () => {
    assert.equal(store.delete('c2'), true);
    assert.equal(store.delete('c2'), false);
    assert.equal(store.getById('c2'), undefined);
  });
});

describe('provider clients', () => {
  test('upsert, get, list, delete', async () => {
    const db = openDatabase(join(freshDir(), 'latchkey.db'));
    const clients = new ProviderClientStore(db);
    assert.equal(clients.get('github'), undefined);
    const first = clients.upsert('github', 'Iv1.abc', true);
    assert.deepEqual(clients.get('github'), first);
    assert.equal(first.has_secret, true);
    await new Promise((resolve) => setTimeout(resolve, 5));
    const second = clients.upsert('github', 'Iv1.def', false);
    assert.equal(second.client_id, 'Iv1.def');
    assert.equal(second.has_secret, false);
    assert.ok(second.updated_at > first.updated_at);
    clients.upsert('google', 'g-id', true);
    assert.deepEqual(
      clients.list().map((c) => c.provider),
      ['github', 'google'],
    );
    assert.equal(clients.delete('github'), true);
    assert.equal(clients.delete('github'), false);
    assert.deepEqual(
      clients.list().map((c) => c.provider),
      ['google'],
    );
    db.close();
  });
});

describe('data dir lock', () => {
  test('creates the data dir, writes the owner, and release removes the file', () => {
    const dataDir = join(freshDir(), 'nested', 'data');
    const lock = acquireDataDirLock(dataDir);
    const file = join(dataDir, 'latchkey.lock');
    const info = JSON.parse(readFileSync(file, 'utf8'));
    assert.equal(info.pid, process.pid);
    assert.equal(info.hostname, hostname());
    assert.equal(typeof info.started_at, 'number');
    assert.equal(typeof info.command, 'string');
    lock.release();
    assert.equal(existsSync(file), false);
    lock.release(); // idempotent
    acquireDataDirLock(dataDir).release();
  });

  test('a second acquire in the same process is refused with our pid', () => {
    const dataDir = freshDir();
    const lock = acquireDataDirLock(dataDir);
    try {
      assert.throws(
        () => acquireDataDirLock(dataDir),
        (error: unknown) => {
          hasCode('data_dir_in_use')(error);
          const e = error as LatchkeyError;
          assert.equal(e.status, 409);
          assert.deepEqual(e.details, { pid: process.pid });
          assert.match(e.message, new RegExp(`pid ${process.pid}\\b`));
          assert.ok(e.message.includes(dataDir));
          return true;
        },
      );
      // The refused attempt did not disturb the lock.
      assert.equal(JSON.parse(readFileSync(join(dataDir, 'latchkey.lock'), 'utf8')).pid, process.pid);
    } finally {
      lock.release();
    }
  });

  test('release leaves a lock that is not ours alone', () => {
    const dataDir = freshDir();
    const lock = acquireDataDirLock(dataDir);
    const file = join(dataDir, 'latchkey.lock');
    const foreign = JSON.stringify({ pid: 1, started_at: 1, command: 'other', hostname: hostname() });
    writeFileSync(file, foreign);
    lock.release();
    assert.equal(readFileSync(file, 'utf8'), foreign);
  });

  test('a lock held by another live process is refused with that pid', async () => {
    const dataDir = freshDir();
    const lockModule = new URL('../../main/core/store/lock.ts', import.meta.url).href;
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import(${JSON.stringify(lockModule)}).then(({ acquireDataDirLock }) => {
           const lock = acquireDataDirLock(${JSON.stringify(dataDir)});
           process.stdout.write('locked\\n');
           process.stdin.on('data', () => {}); process.stdin.on('end', () => { lock.release(); process.exit(0); });
         });`,
      ],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    try {
      let out = '';
      child.stdout.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error('child did not take the lock')), 15_000);
        child.stdout.on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('locked')) {
            clearTimeout(timer);
            resolve();
          }
        });
        child.on('exit', (code) => reject(new Error(`child exited early (${code})`)));
      });
      assert.throws(
        () => acquireDataDirLock(dataDir),
        (error: unknown) => {
          hasCode('data_dir_in_use')(error);
          assert.deepEqual((error as LatchkeyError).details, { pid: child.pid });
          assert.match((error as Error).message, new RegExp(`pid ${child.pid}\\b`));
          return true;
        },
      );
      // The child releases on stdin close; then the lock is ours.
      child.stdin.end();
      await once(child, 'exit');
      assert.equal(existsSync(join(dataDir, 'latchkey.lock')), false);
      acquireDataDirLock(dataDir).release();
    } finally {
      if (child.exitCode === null) child.kill();
    }
  });

  test('a stale lock (dead pid) is taken over', async () => {
    const dataDir = freshDir();
    const child = spawn(process.execPath, ['-e', '0']);
    await once(child, 'exit');
    const deadPid = child.pid!;
    const file = join(dataDir, 'latchkey.lock');
    writeFileSync(
      file,
      JSON.stringify({
        pid: deadPid,
        started_at: Date.now() - 60_000,
        command: 'latchkey serve',
        hostname: hostname(),
      }),
    );
    const lock = acquireDataDirLock(dataDir);
    assert.equal(JSON.parse(readFileSync(file, 'utf8')).pid, process.pid);
    lock.release();
    assert.equal(existsSync(file), false);
  });

  test('an empty lock file (crash before writing) is taken over', () => {
    const dataDir = freshDir();
    writeFileSync(join(dataDir, 'latchkey.lock'), '');
    const lock = acquireDataDirLock(dataDir);
    assert.equal(JSON.parse(readFileSync(join(dataDir, 'latchkey.lock'), 'utf8')).pid, process.pid);
    lock.release();
  });

  test('an unwritable data dir is data_dir_unwritable', () => {
    const blocker = join(freshDir(), 'a-file');
    writeFileSync(blocker, 'x');
    assert.throws(() => acquireDataDirLock(join(blocker, 'data')), hasCode('data_dir_unwritable'));
  });
});
