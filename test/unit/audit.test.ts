import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { openDatabase } from '../fixtures/database.js';
import {
  AuditLog,
  redactPath,
  type AuditEntry,
  type AuditInput,
  type AuditVerification,
} from '../../main/core/audit/audit-log.js';
import { GENESIS_HASH, entryHash, type ChainedFields } from '../../main/core/audit/chain.js';
import { csvCell } from '../../main/core/audit/export-format.js';
import { AuditHeadCopy, type HeadCopyStore } from '../../main/core/audit/head-copy.js';
import { UnauthenticatedDenials } from '../../main/core/audit/unauthenticated-denials.js';
import { MAX_AUDIT_PATH } from '../../main/core/audit/redact.js';
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
const open: Database.Database[] = [];
before(() => {
  root = mkdtempSync(join(tmpdir(), 'latchkey-audit-'));
});
after(() => {
  for (const db of open) if (db.open) db.close();
  rmSync(root, { recursive: true, force: true });
});

/** A fresh database and log; the clock advances 1 s per entry from a fixed start. */
function fresh(): { db: Database.Database; audit: AuditLog; t0: number } {
  const db = openDatabase(join(root, `a${counter++}`, 'latchkey.db'));
  open.push(db);
  const t0 = Date.parse('2030-01-01T00:00:00Z');
  let tick = 0;
  return { db, audit: new AuditLog(db, { now: () => t0 + 1000 * tick++ }), t0 };
}

/** verify()'s verdict without its sentence, which every failure must carry (and only failures). */
async function verdict(audit: AuditLog): Promise<Omit<AuditVerification, 'reason'>> {
  const { reason, ...rest } = await audit.verify();
  assert.equal(typeof reason === 'string' && reason.length > 0, !rest.ok, `reason: ${String(reason)}`);
  return rest;
}

const proxy = (over: Partial<AuditInput> = {}): AuditInput => ({
  kind: 'proxy',
  decision: 'allow',
  agent_id: 'ag_1',
  agent_name: 'bot',
  connection: 'github',
  method: 'GET',
  path: '/user',
  status: 200,
  latency_ms: 12,
  bytes_in: 0,
  bytes_out: 321,
  ...over,
});

async function fill(
  audit: AuditLog,
  n: number,
  over: (i: number) => Partial<AuditInput> = () => ({}),
): Promise<AuditEntry[]> {
  const entries: AuditEntry[] = [];
  for (let i = 0; i < n; i++) entries.push(await audit.append(proxy(over(i))));
  return entries;
}

describe('audit log: append and query', () => {
  test('append returns the committed, chained entry; query returns it newest first with every field', async () => {
    const { audit, t0 } = fresh();
    const first = await audit.append(
      proxy({ path: '/search?q=secret%20thing&token=abc&flag', latency_ms: 12.6, reason: 'rule repo:read' }),
    );
    assert.equal(first.id, 1);
    assert.equal(first.at, new Date(t0).toISOString());
    assert.equal(first.prev_hash, GENESIS_HASH);
    assert.match(first.hash, /^[0-9a-f]{64}$/);
    assert.equal(first.path, '/search?q=REDACTED&token=REDACTED&flag');
    assert.equal(first.latency_ms, 13);
    const second = await audit.append({ kind: 'control', decision: 'info', reason: 'paused' });
    assert.equal(second.prev_hash, first.hash);
    assert.deepEqual(second, {
      id: 2,
      at: new Date(t0 + 1000).toISOString(),
      kind: 'control',
      decision: 'info',
      reason: 'paused',
      agent_id: null,
      agent_name: null,
      connection: null,
      method: null,
      path: null,
      status: null,
      latency_ms: null,
      bytes_in: null,
      bytes_out: null,
      session_id: null,
      prev_hash: first.hash,
      hash: second.hash,
    });
    const page = audit.query({});
    assert.deepEqual(page.entries, [second, first]);
    assert.equal(page.next_cursor, null);
  });

  test('filters by agent, connection, decision, kind and time, combined with AND', async () => {
    const { audit, t0 } = fresh();
    await fill(audit, 12, (i) => ({
      agent_id: i % 2 === 0 ? 'ag_even' : 'ag_odd',
      connection: i % 3 === 0 ? 'slack' : 'github',
      decision: i % 4 === 0 ? 'deny' : 'allow',
      kind: i === 11 ? 'token' : 'proxy',
    }));
    const ids = (filter: Parameters<AuditLog['query']>[0]): number[] => audit.query(filter).entries.map((e) => e.id);
    assert.deepEqual(ids({ agent: 'ag_even' }), [11, 9, 7, 5, 3, 1]);
    assert.deepEqual(ids({ connection: 'slack' }), [10, 7, 4, 1]);
    assert.deepEqual(ids({ decision: 'deny' }), [9, 5, 1]);
    assert.deepEqual(ids({ kind: 'token' }), [12]);
    assert.deepEqual(ids({ agent: 'ag_even', decision: 'deny', connection: 'slack' }), [1]);
    assert.deepEqual(ids({ since: t0 + 3000, until: t0 + 5000 }), [6, 5, 4]);
    assert.deepEqual(ids({ agent: 'nobody' }), []);
  });

  test('denied entries page off their own index; allowed ones are indexed by nothing but their id', async () => {
    const { db, audit } = fresh();
    const asked: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = ((sql: string) => {
      asked.push(sql);
      return prepare(sql);
    }) as typeof db.prepare;
    await fill(audit, 20, (i) => ({ decision: i % 5 === 0 ? 'deny' : 'allow' }));
    assert.equal(audit.query({ decision: 'deny' }).entries.length, 4);
    const sql = asked.find((s) => s.includes("decision = 'deny'"));
    assert.ok(sql, 'the query for denied entries names the decision as a literal');
    const plan = prepare(`EXPLAIN QUERY PLAN ${sql}`)
      .all({ limit: 51 })
      .map((row) => (row as { detail: string }).detail)
      .join('; ');
    assert.match(plan, /USING (COVERING )?INDEX audit_denied/);
    const indexes = (
      prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit'").all() as { name: string }[]
    )
      .map((row) => row.name)
      .sort();
    assert.deepEqual(indexes, ['audit_agent', 'audit_at', 'audit_connection', 'audit_denied']);
  });

  test('keyset paging is stable while new entries arrive, and ends with a null cursor', async () => {
    const { audit } = fresh();
    await fill(audit, 25);
    const first = audit.query({ limit: 10 });
    assert.deepEqual(
      first.entries.map((e) => e.id),
      [25, 24, 23, 22, 21, 20, 19, 18, 17, 16],
    );
    assert.equal(first.next_cursor, '16');
    await fill(audit, 7); // ids 26..32 arrive between pages
    const second = audit.query({ limit: 10, cursor: first.next_cursor as string });
    assert.deepEqual(
      second.entries.map((e) => e.id),
      [15, 14, 13, 12, 11, 10, 9, 8, 7, 6],
    );
    const third = audit.query({ limit: 10, cursor: second.next_cursor as string });
    assert.deepEqual(
      third.entries.map((e) => e.id),
      [5, 4, 3, 2, 1],
    );
    assert.equal(third.next_cursor, null);
    const exact = audit.query({ limit: 32 });
    assert.equal(exact.entries.length, 32);
    assert.equal(exact.next_cursor, null, 'no cursor when nothing is left');
  });

  test('invalid filters, limits and cursors are refused with stable codes', () => {
    const { audit } = fresh();
    assert.throws(() => audit.query({ limit: 0 }), hasCode('invalid_request'));
    assert.throws(() => audit.query({ limit: 501 }), hasCode('invalid_request'));
    assert.throws(() => audit.query({ limit: 1.5 }), hasCode('invalid_request'));
    assert.throws(() => audit.query({ cursor: 'abc' }), hasCode('invalid_cursor'));
    assert.throws(() => audit.query({ cursor: '0' }), hasCode('invalid_cursor'));
    assert.throws(() => audit.query({ decision: 'maybe' as never }), hasCode('invalid_request'));
    assert.throws(() => audit.query({ kind: 'other' as never }), hasCode('invalid_request'));
    assert.throws(() => audit.query({ since: Number.NaN }), hasCode('invalid_request'));
    assert.throws(() => audit.query({ agent: '' }), hasCode('invalid_request'));
    assert.throws(() => audit.export({}, 'xml' as never), hasCode('invalid_request'));
  });

  test('invalid input is rejected without touching the chain; oversized text is capped, odd strings round-trip', async () => {
    const { audit } = fresh();
    await assert.rejects(audit.append({ kind: 'nope' as never, decision: 'allow' }), hasCode('invalid_audit_entry'));
    await assert.rejects(audit.append({ kind: 'proxy', decision: 'perhaps' as never }), hasCode('invalid_audit_entry'));
    await assert.rejects(audit.append(proxy({ status: -1 })), hasCode('invalid_audit_entry'));
    await assert.rejects(audit.append(proxy({ bytes_out: 1.5 })), hasCode('invalid_audit_entry'));
    await assert.rejects(audit.append(proxy({ latency_ms: Number.POSITIVE_INFINITY })), hasCode('invalid_audit_entry'));
    await assert.rejects(audit.append(proxy({ reason: 42 as never })), hasCode('invalid_audit_entry'));
    const entry = await audit.append(
      proxy({ reason: 'x'.repeat(5000), agent_name: 'lone \ud800 surrogate \u0000 nul', path: `/${'p'.repeat(5000)}` }),
    );
    assert.equal(entry.id, 1, 'rejected inputs took no id');
    assert.equal(entry.reason?.length, 1024);
    assert.equal(entry.path?.length, MAX_AUDIT_PATH);
    assert.equal(entry.agent_name, 'lone \ufffd surrogate \u0000 nul');
    assert.deepEqual(audit.query({}).entries[0], entry, 'read back exactly as hashed');
    assert.deepEqual(await audit.verify(), { ok: true, checked: 1 });
  });
});

describe('audit log: hash chain', () => {
  test('an untouched chain verifies, empty or not', async () => {
    const { audit } = fresh();
    assert.deepEqual(await audit.verify(), { ok: true, checked: 0 });
    await fill(audit, 20);
    assert.deepEqual(await audit.verify(), { ok: true, checked: 20 });
  });

  test('editing a row is reported at that row', async () => {
    const { db, audit } = fresh();
    await fill(audit, 10);
    db.prepare('UPDATE audit SET status = 500 WHERE id = 6').run();
    assert.deepEqual(await verdict(audit), { ok: false, checked: 5, first_bad: 6 });
  });

  test('overwriting a stored hash is reported at that row', async () => {
    const { db, audit } = fresh();
    await fill(audit, 10);
    db.prepare('UPDATE audit SET hash = ? WHERE id = 4').run('f'.repeat(64));
    assert.deepEqual(await verdict(audit), { ok: false, checked: 3, first_bad: 4 });
  });

  test('editing a row and recomputing its own hash still breaks the link from the next row', async () => {
    const { db, audit } = fresh();
    await fill(audit, 10);
    const row = db.prepare('SELECT * FROM audit WHERE id = 4').get() as ChainedFields & { prev_hash: string };
    const edited = { ...row, status: 404 };
    db.prepare('UPDATE audit SET status = 404, hash = ? WHERE id = 4').run(entryHash(row.prev_hash, edited));
    assert.deepEqual(await verdict(audit), { ok: false, checked: 4, first_bad: 5 });
  });

  test('deleting a row in the middle is reported at the row after the gap', async () => {
    const { db, audit } = fresh();
    await fill(audit, 10);
    db.prepare('DELETE FROM audit WHERE id = 3').run();
    assert.deepEqual(await verdict(audit), { ok: false, checked: 2, first_bad: 4 });
  });

  test('moving a row to another position is detected', async () => {
    const { db, audit } = fresh();
    await fill(audit, 10);
    db.prepare('UPDATE audit SET id = 100 WHERE id = 5').run();
    assert.deepEqual(await verdict(audit), { ok: false, checked: 4, first_bad: 6 });
  });

  test('swapping the contents of two rows is detected', async () => {
    const { db, audit } = fresh();
    await fill(audit, 6, (i) => ({ status: 200 + i }));
    db.exec(
      'UPDATE audit SET id = -2 WHERE id = 2; UPDATE audit SET id = 2 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = -2;',
    );
    assert.deepEqual(await verdict(audit), { ok: false, checked: 1, first_bad: 2 });
  });

  test('cutting off the tail is detected through the head kept in meta, and stays detected after new appends', async () => {
    const { db, audit } = fresh();
    await fill(audit, 10);
    db.prepare('DELETE FROM audit WHERE id > 7').run();
    assert.deepEqual(await verdict(audit), { ok: false, checked: 7, first_bad: 8 });
    const next = await audit.append(proxy());
    assert.equal(next.id, 11, 'the chain continues from the recorded head, not from the truncated table');
    assert.equal((await audit.verify()).first_bad, 11);
  });

  test('a correctly chained row forged past the head is detected', async () => {
    const { db, audit } = fresh();
    const last = (await fill(audit, 3)).at(-1) as AuditEntry;
    const forged = { ...last, id: 4, at: Date.parse(last.at), prev_hash: last.hash };
    db.prepare(
      'INSERT INTO audit (id, at, kind, decision, reason, agent_id, agent_name, connection, method, path, status, latency_ms, bytes_in, bytes_out, prev_hash, hash) VALUES (@id, @at, @kind, @decision, @reason, @agent_id, @agent_name, @connection, @method, @path, @status, @latency_ms, @bytes_in, @bytes_out, @prev_hash, @hash)',
    ).run({ ...forged, hash: entryHash(last.hash, forged) });
    assert.deepEqual(
      await verdict(audit),
      { ok: false, checked: 4, first_bad: 4 },
      'only the head kept in meta gives it away',
    );
  });
});

describe('audit log: the recorded head', () => {
  test('rows without a head record, or with a malformed one, do not verify', async () => {
    const { db, audit } = fresh();
    await fill(audit, 5);
    db.prepare("UPDATE meta SET value = 'not a head' WHERE key = 'audit_head'").run();
    const malformed = await audit.verify();
    assert.deepEqual([malformed.ok, malformed.checked, malformed.first_bad], [false, 5, undefined]);
    assert.match(malformed.reason ?? '', /head\) in the database is malformed/);
    db.prepare("DELETE FROM meta WHERE key = 'audit_head'").run();
    const missing = await audit.verify();
    assert.deepEqual([missing.ok, missing.checked, missing.first_bad], [false, 5, undefined]);
    assert.match(missing.reason ?? '', /head\) is missing/);
  });

  test('an empty log needs no head record', async () => {
    const { db, audit } = fresh();
    db.prepare("DELETE FROM meta WHERE key = 'audit_head'").run();
    assert.deepEqual(await audit.verify(), { ok: true, checked: 0 });
  });
});

describe('audit log: verify over a large log', () => {
  /** n chained rows written straight into the table (as fast as SQLite takes them), like a long-lived log. */
  function insertChain(db: Database.Database, n: number): void {
    const insert = db.prepare(
      'INSERT INTO audit (id, at, kind, decision, reason, agent_id, agent_name, connection, method, path, status, latency_ms, bytes_in, bytes_out, prev_hash, hash) VALUES (@id, @at, @kind, @decision, @reason, @agent_id, @agent_name, @connection, @method, @path, @status, @latency_ms, @bytes_in, @bytes_out, @prev_hash, @hash)',
    );
    db.transaction(() => {
      let prev = GENESIS_HASH;
      for (let id = 1; id <= n; id++) {
        const fields: ChainedFields = {
          id,
          at: 1_900_000_000_000 + id,
          kind: 'proxy',
          decision: 'allow',
          reason: null,
          agent_id: 'ag_1',
          agent_name: 'bot',
          connection: 'github',
          method: 'GET',
          path: `/items/${id}`,
          status: 200,
          latency_ms: 3,
          bytes_in: 0,
          bytes_out: 10,
        };
        const hash = entryHash(prev, fields);
        insert.run({ ...fields, prev_hash: prev, hash });
        prev = hash;
      }
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('audit_head', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(`${n}:${prev}`);
    })();
  }

  /** Runs verify() while counting turns of the event loop that other work got meanwhile. */
  async function verifyCountingTurns(audit: AuditLog): Promise<{ result: AuditVerification; turns: number }> {
    let turns = 0;
    let done = false;
    const spin = (): void => {
      if (done) return;
      turns++;
      setImmediate(spin);
    };
    setImmediate(spin);
    const result = await audit.verify();
    done = true;
    return { result, turns };
  }

  test('50 000 rows: verify yields to the event loop between chunks and still finds a break across a chunk boundary', async () => {
    const { db, audit } = fresh();
    insertChain(db, 50_000);
    const intact = await verifyCountingTurns(audit);
    assert.deepEqual(intact.result, { ok: true, checked: 50_000 });
    assert.ok(
      intact.turns >= 25,
      `other work ran ${intact.turns} times during verify; a walk that never yields lets it run 0 times`,
    );

    // Row 1000 ends a chunk: its loss shows in the link of row 1001, read in the next one.
    db.prepare('DELETE FROM audit WHERE id = 1000').run();
    assert.deepEqual(await verdict(audit), { ok: false, checked: 999, first_bad: 1001 });
    db.prepare('DELETE FROM audit WHERE id > 49_990').run();
    assert.deepEqual(await verdict(audit), { ok: false, checked: 999, first_bad: 1001 }, 'the first break is reported');
  });

  test('entries appended during a verify are left for the next one', async () => {
    const { db, audit } = fresh();
    insertChain(db, 5000);
    const running = audit.verify();
    const during = await audit.append(proxy());
    assert.equal(during.id, 5001);
    assert.deepEqual(await running, { ok: true, checked: 5000 });
    assert.deepEqual(await audit.verify(), { ok: true, checked: 5001 });
  });
});

describe('audit log: the copy of the head outside the database', () => {
  /** A secret store in memory that counts its writes and can be made to fail. */
  class Store implements HeadCopyStore {
    readonly values = new Map<string, string>();
    writes = 0;
    failing = false;
    async get(key: string): Promise<string | undefined> {
      return this.values.get(key);
    }
    async set(key: string, value: string): Promise<void> {
      if (this.failing) throw new Error('keychain locked');
      this.writes++;
      this.values.set(key, value);
    }
  }

  const errors: unknown[] = [];
  const load = (store: Store, delayMs = 60_000): Promise<AuditHeadCopy> =>
    AuditHeadCopy.load(store, { delayMs, onError: (error) => errors.push(error) });

  test('written behind: many commits, one store write, the newest head on close', async () => {
    const { db } = fresh();
    const store = new Store();
    const audit = new AuditLog(db, { headCopy: await load(store) });
    await fill(audit, 5);
    await Promise.all(Array.from({ length: 20 }, () => audit.append(proxy())));
    assert.equal(store.writes, 0, 'nothing written before the delay or close');
    await audit.close();
    assert.equal(store.writes, 1);
    const head = audit.query({ limit: 1 }).entries[0] as AuditEntry;
    assert.equal(store.values.get('audit/head'), `25:${head.hash}`);
  });

  test('a copy a few commits behind (the broker died before writing it) still verifies; new commits catch it up', async () => {
    const { db } = fresh();
    const store = new Store();
    const first = new AuditLog(db, { headCopy: await load(store) });
    await fill(first, 3);
    await first.close(); // the copy says #3
    const second = new AuditLog(db, { headCopy: await load(store) });
    await fill(second, 4); // #4..#7, then kill -9: never closed, the copy still says #3
    const restarted = new AuditLog(db, { headCopy: await load(store) });
    assert.deepEqual(await restarted.verify(), { ok: true, checked: 7 });
    await restarted.append(proxy());
    await restarted.close();
    assert.match(store.values.get('audit/head') ?? '', /^8:/);
  });

  test('a database shorter than the copy, a different entry at its id or a malformed copy do not verify, and the copy keeps the evidence', async () => {
    const { db } = fresh();
    const store = new Store();
    const audit = new AuditLog(db, { headCopy: await load(store) });
    await fill(audit, 6);
    await audit.close();
    const copied = store.values.get('audit/head');

    // The tail cut off and the head in meta moved back with it: consistent inside the database.
    const row4 = db.prepare('SELECT hash FROM audit WHERE id = 4').get() as { hash: string };
    db.prepare('DELETE FROM audit WHERE id > 4').run();
    db.prepare("UPDATE meta SET value = ? WHERE key = 'audit_head'").run(`4:${row4.hash}`);
    assert.deepEqual(await new AuditLog(db).verify(), { ok: true, checked: 4 }, 'the database alone shows nothing');
    const reopened = new AuditLog(db, { headCopy: await load(store) });
    const short = await reopened.verify();
    assert.deepEqual([short.ok, short.checked, short.first_bad], [false, 4, 5]);
    assert.match(short.reason ?? '', /copy of the head kept in the secret store is at #6/);
    await fill(reopened, 3);
    await reopened.close();
    assert.equal(store.values.get('audit/head'), copied, 'a contradicted copy is never overwritten');
    const after = await new AuditLog(db, { headCopy: await load(store) }).verify();
    assert.deepEqual([after.ok, after.first_bad], [false, 6], 'the new entry #6 is not the one copied');

    store.values.set('audit/head', 'garbage');
    const malformed = await new AuditLog(db, { headCopy: await load(store) }).verify();
    assert.equal(malformed.ok, false);
    assert.match(malformed.reason ?? '', /copy of the head kept in the secret store is malformed/);
  });

  test('a database rewritten while the log is open freezes the copy at the next commit', async () => {
    const { db } = fresh();
    const store = new Store();
    const audit = new AuditLog(db, { headCopy: await load(store) });
    const original = await fill(audit, 5);
    const row3 = original[2] as AuditEntry;
    db.prepare('DELETE FROM audit WHERE id > 3').run();
    db.prepare("UPDATE meta SET value = ? WHERE key = 'audit_head'").run(`3:${row3.hash}`);
    assert.equal((await audit.verify()).first_bad, 4);
    await audit.append(proxy()); // chained onto the rewritten head #3, not onto #5
    const after = await audit.verify();
    assert.deepEqual([after.ok, after.first_bad], [false, 5], 'the next commit does not launder the rewrite');
    await audit.close();
    assert.equal(store.values.get('audit/head'), `5:${(original[4] as AuditEntry).hash}`);
    assert.equal((await new AuditLog(db, { headCopy: await load(store) }).verify()).ok, false);
  });

  test('a log without a copy yet adopts its current head; a failed store write is reported and retried', async () => {
    const { db, audit } = fresh();
    await fill(audit, 2);
    const store = new Store();
    store.failing = true;
    const adopting = new AuditLog(db, { headCopy: await load(store) });
    const before = errors.length;
    await adopting.close();
    assert.equal(errors.length, before + 1, 'the failed write was reported');
    store.failing = false;
    const again = new AuditLog(db, { headCopy: await load(store) });
    await again.close();
    assert.match(store.values.get('audit/head') ?? '', /^2:[0-9a-f]{64}$/);
  });
});

describe('unauthenticated refusals', () => {
  const refused = (over: Partial<AuditInput> = {}): AuditInput => ({
    kind: 'proxy',
    decision: 'deny',
    status: 401,
    reason: 'invalid_token',
    connection: 'github',
    method: 'GET',
    path: '/user',
    ...over,
  });

  /** Waits (bounded) until `check` holds, giving the window's timer a chance to fire. */
  async function eventually(check: () => boolean): Promise<void> {
    for (let i = 0; i < 200 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(check());
  }

  test('the first refusal per source and reason is written; the rest are counted into one entry when the window closes', async () => {
    const written: AuditInput[] = [];
    const denials = new UnauthenticatedDenials(
      { append: async (input) => void written.push(input) },
      { windowMs: 300, onError: (error) => assert.fail(String(error)) },
    );
    for (let i = 0; i < 300; i++) await denials.append(refused({ path: `/user?n=${i}` }));
    for (let i = 0; i < 100; i++) await denials.append(refused({ reason: 'missing_token' }));
    await denials.append({ ...refused(), decision: 'allow', status: 401, reason: 'upstream said 401' });
    await denials.append(proxy());
    assert.deepEqual(
      written.map((e) => e.reason),
      ['invalid_token', 'missing_token', 'upstream said 401', undefined],
      'allowed calls pass straight through',
    );
    await eventually(() => written.length === 5);
    assert.deepEqual(written[4], {
      kind: 'proxy',
      decision: 'deny',
      status: 401,
      connection: 'github',
      reason:
        '400 refused requests without a valid token in the last 300 ms (invalid_token: 300, missing_token: 100); the first from each source is also recorded on its own',
    });
    await denials.append(refused());
    assert.equal(written.length, 6, 'a new window writes the first refusal again');
    await denials.close();
    assert.equal(written.length, 6, 'a window with nothing only counted ends without an entry');
  });

  test('sources are capped per window, so a flood over many paths adds a bounded number of rows', async () => {
    const written: AuditInput[] = [];
    const denials = new UnauthenticatedDenials(
      { append: async (input) => void written.push(input) },
      { windowMs: 60_000, maxSources: 8, onError: (error) => assert.fail(String(error)) },
    );
    for (let i = 0; i < 1000; i++) await denials.append(refused({ connection: `c${i}` }));
    assert.equal(written.length, 8);
    await denials.close();
    assert.equal(written.length, 9);
    assert.match(
      written[8]?.reason ?? '',
      /^1000 refused requests without a valid token in the last minute \(invalid_token: 1000\)/,
    );
    assert.equal(written[8]?.connection, null);
  });

  test("refusals before the token is checked (a foreign Origin) count as unauthenticated; an authenticated agent's never do", async () => {
    const written: AuditInput[] = [];
    const denials = new UnauthenticatedDenials(
      { append: async (input) => void written.push(input) },
      { onError: (error) => assert.fail(String(error)) },
    );
    for (let i = 0; i < 50; i++) await denials.append(refused({ status: 403, reason: 'forbidden_origin' }));
    for (let i = 0; i < 5; i++)
      await denials.append(refused({ status: 403, reason: 'insufficient_scope', agent_id: 'ag_1' }));
    assert.deepEqual(
      written.map((e) => e.reason),
      ['forbidden_origin', ...Array(5).fill('insufficient_scope')],
    );
    await denials.close();
    assert.match(
      written.at(-1)?.reason ?? '',
      /^50 refused requests without a valid token in the last minute \(forbidden_origin: 50\)/,
    );
  });

  test('an aggregate that cannot be written is reported', async () => {
    const failures: unknown[] = [];
    let fail = false;
    const denials = new UnauthenticatedDenials(
      {
        append: async () => {
          if (fail) throw new Error('disk full');
        },
      },
      { onError: (error) => failures.push(error) },
    );
    await denials.append(refused());
    await denials.append(refused());
    fail = true;
    await denials.close();
    assert.equal(failures.length, 1);
  });
});

describe('audit log: group commit and durability contract', () => {
  test('200 concurrent appends all commit, in call order, in fewer transactions than appends', async () => {
    const { audit } = fresh();
    const results = await Promise.all(
      Array.from({ length: 200 }, (_, i) => audit.append(proxy({ status: 200, bytes_out: i }))),
    );
    assert.equal(results.length, 200);
    for (let i = 0; i < results.length; i++) {
      assert.equal(results[i]?.bytes_out, i);
      if (i > 0) {
        assert.ok((results[i]?.id ?? 0) > (results[i - 1]?.id ?? 0), 'ids strictly increase in call order');
        assert.equal(results[i]?.prev_hash, results[i - 1]?.hash);
      }
    }
    const stats = audit.stats();
    assert.equal(stats.appends, 200);
    assert.equal(stats.pending, 0);
    assert.ok(stats.commits < 200, `expected batching, got ${stats.commits} commits`);
    assert.equal(audit.query({ limit: 500 }).entries.length, 200);
    assert.deepEqual(await audit.verify(), { ok: true, checked: 200 });
  });

  test('appends made during a commit wave land in the next batch and keep the chain', async () => {
    const { audit } = fresh();
    // Each wave is appended after the previous wave's commit ran (its setImmediate was queued
    // first), so the split into batches does not depend on how loaded the machine is.
    const waves: Promise<AuditEntry>[][] = [];
    for (let wave = 0; wave < 3; wave++) {
      waves.push(Array.from({ length: 30 }, () => audit.append(proxy())));
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.equal((await Promise.all(waves.flat())).length, 90);
    assert.equal(audit.stats().commits, 3);
    assert.deepEqual(await audit.verify(), { ok: true, checked: 90 });
  });

  test('a failed write rejects every append of its batch and leaves the chain as it was', async () => {
    const { db, audit } = fresh();
    await fill(audit, 3);
    db.exec(
      "CREATE TRIGGER audit_fail BEFORE INSERT ON audit BEGIN SELECT RAISE(ABORT, 'simulated disk failure'); END;",
    );
    const outcomes = await Promise.allSettled([audit.append(proxy()), audit.append(proxy())]);
    for (const outcome of outcomes) {
      assert.equal(outcome.status, 'rejected');
      hasCode('audit_write_failed')(outcome.status === 'rejected' ? outcome.reason : undefined);
      assert.ok(
        !String((outcome as PromiseRejectedResult).reason.message).includes('simulated'),
        'the message names no internals',
      );
    }
    db.exec('DROP TRIGGER audit_fail');
    const next = await audit.append(proxy());
    assert.equal(next.id, 4);
    assert.deepEqual(await audit.verify(), { ok: true, checked: 4 });
  });

  test('close commits what is pending, then refuses appends', async () => {
    const { audit } = fresh();
    const pending = Array.from({ length: 5 }, () => audit.append(proxy()));
    assert.equal(audit.stats().pending, 5);
    await audit.close();
    assert.equal(audit.stats().pending, 0);
    assert.equal((await Promise.all(pending)).length, 5);
    await assert.rejects(audit.append(proxy()), hasCode('audit_closed'));
    assert.deepEqual(await audit.verify(), { ok: true, checked: 5 });
  });

  test('a second AuditLog on the same database continues the same chain (restart)', async () => {
    const { db, audit } = fresh();
    await fill(audit, 3);
    await audit.close();
    const again = new AuditLog(db);
    const entry = await again.append(proxy());
    assert.equal(entry.id, 4);
    assert.deepEqual(await again.verify(), { ok: true, checked: 4 });
  });
});

describe('redactPath', () => {
  test('keeps parameter names, redacts every value, drops the fragment, is idempotent', () => {
    assert.equal(redactPath('/repos/o/r/issues'), '/repos/o/r/issues');
    assert.equal(redactPath('/a?x=1&y=two&z='), '/a?x=REDACTED&y=REDACTED&z=REDACTED');
    assert.equal(redactPath('/a?key=sk_live_123&a=b=c&&bare'), '/a?key=REDACTED&a=REDACTED&&bare');
    assert.equal(redactPath('/a?'), '/a?');
    assert.equal(redactPath('/a?x=1#frag=2'), '/a?x=REDACTED');
    assert.equal(redactPath('/a?x=1?y=2'), '/a?x=REDACTED');
    const once = redactPath('/a?q=secret&p=1');
    assert.equal(redactPath(once), once);
  });

  test('percent-encodes control characters and caps the length', () => {
    assert.equal(redactPath('/a\r\nb\u0000\u007f'), '/a%0D%0Ab%00%7F');
    const long = redactPath(`/${'x'.repeat(10_000)}?q=${'v'.repeat(10)}`);
    assert.equal(long.length, MAX_AUDIT_PATH);
    assert.ok(long.endsWith('…'));
    assert.equal(redactPath(long), long);
    const query = redactPath(`/a?${'n'.repeat(MAX_AUDIT_PATH - 8)}=secretvalue`);
    assert.ok(!query.includes('secret'));
    assert.equal(redactPath(query), query);
  });
});

describe('audit export', () => {
  test('CSV cells are RFC 4180 quoted and guarded against formula injection', () => {
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(42), '42');
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('line\nbreak'), '"line\nbreak"');
    assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-2+3'), "'-2+3");
    assert.equal(csvCell('@SUM(A1)'), "'@SUM(A1)");
    assert.equal(csvCell('\tcmd'), "'\tcmd");
  });

  test('CSV export: header, one CRLF line per entry oldest first, hostile text neutralised', async () => {
    const { audit } = fresh();
    await audit.append(proxy({ reason: '=cmd|"/c calc"!A1', agent_name: 'bot, "the" one' }));
    await audit.append(proxy({ reason: null, method: 'POST' }));
    const csv = [...audit.export({}, 'csv')].join('');
    const lines = csv.split('\r\n');
    assert.equal(
      lines[0],
      'id,at,kind,decision,reason,agent_id,agent_name,connection,method,path,status,latency_ms,bytes_in,bytes_out,session_id,prev_hash,hash',
    );
    assert.equal(lines.length, 4, 'header, two entries, and the final CRLF');
    assert.equal(lines[3], '');
    assert.match(
      lines[1] as string,
      /^1,2030-01-01T00:00:00\.000Z,proxy,allow,"'=cmd\|""\/c calc""!A1",ag_1,"bot, ""the"" one",github,GET,\/user,200,12,0,321,,0{64},[0-9a-f]{64}$/,
    );
    assert.match(lines[2] as string, /^2,[^,]+,proxy,allow,,ag_1,bot,github,POST,/);
  });

  test('JSONL export: every line parses to the entry, filters apply, output is chunked lazily', async () => {
    const { audit } = fresh();
    await fill(audit, 1203, (i) => ({ decision: i % 100 === 0 ? 'deny' : 'allow' }));
    const iterator = audit.export({}, 'jsonl')[Symbol.iterator]();
    const firstChunk = iterator.next();
    assert.equal(firstChunk.done, false);
    // The export holds no open statement between chunks: the log stays writable meanwhile.
    const during = await audit.append(proxy());
    const chunks = [firstChunk.value as string];
    for (let next = iterator.next(); !next.done; next = iterator.next()) chunks.push(next.value);
    assert.equal(chunks.length, 3, '500 + 500 + 203 rows');
    const entries = chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as AuditEntry);
    assert.equal(entries.length, 1203, 'only what existed when the export started');
    assert.ok(!entries.some((e) => e.id === during.id));
    assert.deepEqual(
      entries.map((e) => e.id),
      Array.from({ length: 1203 }, (_, i) => i + 1),
    );
    assert.deepEqual(entries[0], audit.query({ cursor: '2', limit: 1 }).entries[0]);
    for (let i = 1; i < entries.length; i++)
      assert.equal(entries[i]?.prev_hash, entries[i - 1]?.hash, 'an export re-verifies offline');
    const denied = [...audit.export({ decision: 'deny' }, 'jsonl')].join('').split('\n').filter(Boolean);
    assert.equal(denied.length, 13);
    assert.deepEqual([...audit.export({ agent: 'nobody' }, 'jsonl')], []);
  });
});
