/**
 * The audit log against a hostile local process: one that floods the proxy with bad
 * tokens, and one that can write the database (but not the secret store). Runs the real
 * broker against the real Secret Service; the database is read and rewritten with a raw
 * SQLite connection, as such a process would.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog } from '../../main/core/audit/audit-log.js';
import { entryHash, GENESIS_HASH, type ChainedFields } from '../../main/core/audit/chain.js';
import { clearTestKeychain, startTestBroker, type TestBroker } from '../fixtures/broker.js';

const FLOOD = 500;

type Row = ChainedFields & { prev_hash: string; hash: string };

const dbFile = (dataDir: string): string => join(dataDir, 'latchkey.db');

/** What a process with the database file sees (committed data only). */
function rows(dataDir: string, where = '1 = 1', params: unknown[] = []): Row[] {
  const db = new Database(dbFile(dataDir), { readonly: true });
  try {
    return db.prepare(`SELECT * FROM audit WHERE ${where} ORDER BY id`).all(...params) as Row[];
  } finally {
    db.close();
  }
}

/** A provider keyed with a static API key (never called: these tests only connect and disconnect). */
async function addKeyProvider(broker: TestBroker): Promise<void> {
  const created = await broker.admin('/providers', {
    body: {
      id: 'hostile',
      name: 'Hostile',
      auth: { type: 'api_key', header: 'Authorization', format: 'Bearer {key}', scopes: { read: 'Read' } },
      api: { base_url: 'http://127.0.0.1:9', rules: [{ method: 'GET', path: '/**', scopes: ['read'] }] },
    },
  });
  assert.equal(created.status, 201, created.body?.error);
}

const dataDirs: string[] = [];
after(async () => {
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
  await clearTestKeychain();
});

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-hostile-'));
  dataDirs.push(dir);
  return dir;
}

describe('a local process flooding the proxy without a valid token', () => {
  test(`${FLOOD} refused requests add a handful of rows, and one aggregate entry counts them all`, async () => {
    const dataDir = freshDataDir();
    const broker = await startTestBroker({ dataDir });
    let closed = false;
    try {
      const before = rows(dataDir).length;
      const statuses = new Map<number, number>();
      let sent = 0;
      // 8 workers, FLOOD requests in all: mostly a forged token, some with none, on two connections.
      const worker = async (): Promise<void> => {
        while (sent < FLOOD) {
          const n = sent++;
          const headers: Record<string, string> = n % 5 === 0 ? {} : { authorization: `Bearer forged-${n}` };
          const response = await fetch(`${broker.url}/proxy/${n % 2 === 0 ? 'github' : 'slack'}/user?n=${n}`, {
            headers,
          });
          await response.text();
          statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      assert.deepEqual([...statuses], [[401, FLOOD]], 'every request was refused');

      const during = rows(dataDir).slice(before);
      assert.equal(during.length, 4, 'one row per connection and reason (2 × 2), whatever the number of requests');
      for (const row of during) assert.match(row.reason ?? '', /^(invalid_token|missing_token)$/);

      await broker.close(); // closes the window early: its count is written, not lost
      closed = true;
      const aggregates = rows(dataDir, "reason LIKE '%refused requests without a valid token%'");
      assert.equal(aggregates.length, 1, 'one aggregate entry for the window');
      const aggregate = aggregates[0] as Row;
      assert.match(
        aggregate.reason ?? '',
        new RegExp(
          `^${FLOOD} refused requests without a valid token in the last minute \\(invalid_token: ${(FLOOD * 4) / 5}, missing_token: ${FLOOD / 5}\\)`,
        ),
      );
      assert.equal(aggregate.kind, 'proxy');
      assert.equal(aggregate.decision, 'deny');
      assert.equal(aggregate.connection, null, 'two connections were named');

      const db = new Database(dbFile(dataDir), { readonly: true });
      assert.deepEqual(await new AuditLog(db).verify(), { ok: true, checked: before + during.length + 1 });
      db.close();
    } finally {
      if (!closed) await broker.close();
    }
  });
});

describe('a local process flooding the token and registration endpoints', () => {
  test(`${FLOOD} token requests with bad client credentials and refused registrations stay bounded in the log`, async () => {
    const dataDir = freshDataDir();
    const broker = await startTestBroker({ dataDir });
    let closed = false;
    try {
      const agent = await broker.admin('/agents', { body: { name: 'real', grants: [] } });
      assert.equal(agent.status, 201, JSON.stringify(agent.body));
      const before = rows(dataDir).length;
      let sent = 0;
      const worker = async (): Promise<void> => {
        while (sent < FLOOD) {
          const n = sent++;
          // A real client with a guessed secret, an invented client, and registrations the broker refuses.
          const response =
            n % 5 === 4
              ? await fetch(`${broker.url}/oauth/register`, {
                  method: 'POST',
                  headers: { 'content-type': 'application/json' },
                  body: JSON.stringify({ client_name: 'real', redirect_uris: ['http://127.0.0.1:1/cb'] }),
                })
              : await fetch(`${broker.url}/oauth/token`, {
                  method: 'POST',
                  headers: {
                    'content-type': 'application/x-www-form-urlencoded',
                    authorization: `Basic ${Buffer.from(`${n % 2 ? agent.body.client_id : `guess-${n}`}:wrong-${n}`).toString('base64')}`,
                  },
                  body: 'grant_type=client_credentials',
                });
          await response.text();
          assert.ok(response.status >= 400 && response.status < 500, `request ${n}: ${response.status}`);
        }
      };
      await Promise.all(Array.from({ length: 8 }, worker));
      const during = rows(dataDir).slice(before);
      assert.ok(during.length <= 2 * 33, `${during.length} rows for ${FLOOD} refused requests`);

      await broker.close(); // closes the windows early: their counts are written, not lost
      closed = true;
      const aggregates = rows(dataDir, "reason LIKE '%refused requests without valid credentials%'");
      assert.deepEqual(aggregates.map((a) => a.kind).sort(), ['agent', 'token'], 'one aggregate per kind of entry');
      const counted = aggregates
        .map((a) => Number(/^(\d+) refused/.exec(a.reason ?? '')?.[1]))
        .reduce((sum, n) => sum + n, 0);
      assert.equal(counted, FLOOD, 'every refused request is counted');
    } finally {
      if (!closed) await broker.close();
    }
  });
});

describe('connection changes are on record before the admin API answers', () => {
  test('connect and disconnect: the entry is committed when the answer arrives, and a failed write fails the request', async () => {
    const dataDir = freshDataDir();
    const broker = await startTestBroker({ dataDir });
    try {
      await addKeyProvider(broker);

      const connected = await broker.admin('/connections', {
        body: { provider: 'hostile', name: 'first', secret: 'key-1' },
      });
      assert.equal(connected.status, 201);
      assert.deepEqual(
        rows(dataDir, 'connection = ?', ['first']).map((r) => [r.kind, r.reason]),
        [['connection', 'hostile: connected']],
      );

      const removed = await broker.admin('/connections/first', { method: 'DELETE' });
      assert.equal(removed.status, 200);
      assert.deepEqual(
        rows(dataDir, 'connection = ?', ['first']).map((r) => r.reason),
        ['hostile: connected', 'hostile: removed'],
      );

      // The audit table refuses writes (a full disk, say): the change cannot be recorded, so it is not reported as done.
      const writer = new Database(dbFile(dataDir));
      writer.exec("CREATE TRIGGER audit_refuses BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'disk full'); END;");
      try {
        const unrecorded = await broker.admin('/connections', {
          body: { provider: 'hostile', name: 'second', secret: 'key-2' },
        });
        assert.equal(unrecorded.status, 500, unrecorded.body?.error);
        assert.equal(unrecorded.body.error, 'audit_write_failed');
      } finally {
        writer.exec('DROP TRIGGER audit_refuses');
        writer.close();
      }
    } finally {
      await broker.close();
    }
  });
});

describe('a local process that rewrites the database', () => {
  /** Replaces the rows by `edit(rows)`, chained and with the head in meta, exactly as Latchkey would have written them. */
  async function rewriteChain(dataDir: string, edit: (rows: Row[]) => Row[]): Promise<void> {
    const db = new Database(dbFile(dataDir));
    try {
      const original = db.prepare('SELECT * FROM audit ORDER BY id').all() as Row[];
      const edited = edit(original);
      let prev = GENESIS_HASH;
      const chained = edited.map((row, i) => {
        const fields = { ...row, id: i + 1 };
        const hash = entryHash(prev, fields);
        const out = { ...fields, prev_hash: prev, hash };
        prev = hash;
        return out;
      });
      db.transaction(() => {
        db.prepare('DELETE FROM audit').run();
        const insert = db.prepare(
          'INSERT INTO audit (id, at, kind, decision, reason, agent_id, agent_name, connection, method, path, status, latency_ms, bytes_in, bytes_out, prev_hash, hash) VALUES (@id, @at, @kind, @decision, @reason, @agent_id, @agent_name, @connection, @method, @path, @status, @latency_ms, @bytes_in, @bytes_out, @prev_hash, @hash)',
        );
        for (const row of chained) insert.run(row);
        const last = chained.at(-1) as Row;
        db.prepare("UPDATE meta SET value = ? WHERE key = 'audit_head'").run(`${last.id}:${last.hash}`);
      })();
      assert.equal(
        (await new AuditLog(db).verify()).ok,
        true,
        'the rewrite is consistent: the database alone shows nothing wrong',
      );
    } finally {
      db.close();
    }
  }

  test('a consistent rewrite of rows and head is caught by the copy of the head in the secret store, across restarts', async () => {
    const dataDir = freshDataDir();
    let broker = await startTestBroker({ dataDir });
    try {
      await addKeyProvider(broker);
      for (const name of ['alpha', 'beta', 'gamma'])
        assert.equal(
          (await broker.admin('/connections', { body: { provider: 'hostile', name, secret: `key-${name}` } })).status,
          201,
        );
      assert.deepEqual((await broker.admin('/audit/verify')).body, { ok: true, checked: 3 });
      await broker.close(); // the copy of the head is written behind: close writes it

      // Erase "beta" from history and redo the chain and the head.
      await rewriteChain(dataDir, (all) => all.filter((row) => row.connection !== 'beta'));
      assert.deepEqual(
        rows(dataDir).map((r) => r.connection),
        ['alpha', 'gamma'],
      );

      broker = await startTestBroker({ dataDir });
      const verdict = (await broker.admin('/audit/verify')).body as {
        ok: boolean;
        checked: number;
        first_bad?: number;
        reason?: string;
      };
      assert.equal(verdict.ok, false, 'the rewrite is detected');
      assert.equal(verdict.first_bad, 3);
      assert.match(verdict.reason ?? '', /copy of the head kept in the secret store/);

      // New entries do not launder the rewrite, in this run or the next.
      assert.equal(
        (await broker.admin('/connections', { body: { provider: 'hostile', name: 'delta', secret: 'key-delta' } }))
          .status,
        201,
      );
      assert.equal((await broker.admin('/audit/verify')).body.ok, false);
      await broker.close();
      broker = await startTestBroker({ dataDir });
      assert.equal((await broker.admin('/audit/verify')).body.ok, false);
    } finally {
      await broker.close();
    }
  });

  test('an entry rewritten in place, chain and head redone, is caught too', async () => {
    const dataDir = freshDataDir();
    let broker = await startTestBroker({ dataDir });
    try {
      await addKeyProvider(broker);
      for (const name of ['alpha', 'beta'])
        assert.equal(
          (await broker.admin('/connections', { body: { provider: 'hostile', name, secret: `key-${name}` } })).status,
          201,
        );
      await broker.close();

      await rewriteChain(dataDir, (all) =>
        all.map((row) => (row.connection === 'alpha' ? { ...row, reason: 'hostile: removed' } : row)),
      );

      broker = await startTestBroker({ dataDir });
      const verdict = (await broker.admin('/audit/verify')).body as {
        ok: boolean;
        checked: number;
        first_bad?: number;
        reason?: string;
      };
      assert.deepEqual(
        [verdict.ok, verdict.checked, verdict.first_bad],
        [false, 1, 2],
        'the head entry differs from its copy',
      );
      assert.match(verdict.reason ?? '', /^Entry #2 differs from the copy of the head kept in the secret store/);
    } finally {
      await broker.close();
    }
  });
});
