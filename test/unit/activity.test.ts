import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '../fixtures/database.js';
import { AuditLog, type AuditEntry, type AuditInput } from '../../main/core/audit/audit-log.js';
import { auditActivity } from '../../main/core/audit/activity.js';

const root = mkdtempSync(join(tmpdir(), 'latchkey-activity-'));
const db = openDatabase(join(root, 'latchkey.db'));
after(() => {
  db.close();
  rmSync(root, { recursive: true, force: true });
});

const HOUR = 3_600_000;
const now = Date.parse('2030-01-02T12:30:00Z');
let clock = 0;
const committed: AuditEntry[][] = [];
const audit = new AuditLog(db, { now: () => clock, onCommitted: (entries) => committed.push(entries) });

async function at(ms: number, input: Partial<AuditInput>): Promise<void> {
  clock = ms;
  await audit.append({
    kind: 'proxy',
    decision: 'allow',
    agent_id: 'ag-a',
    agent_name: 'cursor',
    connection: 'github',
    method: 'GET',
    path: '/user',
    status: 200,
    ...input,
  });
}

test('activity counts proxied calls per agent and hour bucket, with denials, errors, busiest connections and last calls', async () => {
  await at(now - 30 * HOUR, {}); // outside the day
  await at(now - 2 * HOUR, {});
  await at(now - 2 * HOUR + 1000, { decision: 'deny', status: 403, reason: 'no grant' });
  await at(now - 1000, { status: 502 });
  await at(now - 500, {
    agent_id: 'ag-b',
    agent_name: 'claude',
    connection: 'slack',
    path: '/chat.postMessage',
    method: 'POST',
  });
  await at(now - 100, { kind: 'token', decision: 'deny' }); // not a proxied call
  await at(now - 50, { kind: 'proxy', agent_id: null, decision: 'deny' }); // no agent (unauthenticated)

  const day = auditActivity(db, 'day', now);
  assert.equal(day.bucket_ms, HOUR);
  assert.deepEqual(
    day.buckets.map(({ at: bucket, agent_id, calls, denied, errors }) => ({ bucket, agent_id, calls, denied, errors })),
    [
      { bucket: '2030-01-02T10:00:00.000Z', agent_id: 'ag-a', calls: 2, denied: 1, errors: 0 },
      { bucket: '2030-01-02T12:00:00.000Z', agent_id: 'ag-a', calls: 1, denied: 0, errors: 1 },
      { bucket: '2030-01-02T12:00:00.000Z', agent_id: 'ag-b', calls: 1, denied: 0, errors: 0 },
    ],
  );
  assert.deepEqual(day.connections, [
    { connection: 'github', calls: 3, denied: 1, errors: 1 },
    { connection: 'slack', calls: 1, denied: 0, errors: 0 },
  ]);
  assert.deepEqual(
    day.agents.map((a) => [a.agent_id, a.agent_name, a.calls, a.last_at, a.last_status, a.last_path]),
    [
      ['ag-a', 'cursor', 3, new Date(now - 1000).toISOString(), 502, '/user'],
      ['ag-b', 'claude', 1, new Date(now - 500).toISOString(), 200, '/chat.postMessage'],
    ],
  );

  const hour = auditActivity(db, 'hour', now);
  assert.deepEqual(
    hour.agents.map((a) => [a.agent_id, a.calls]),
    [
      ['ag-a', 1],
      ['ag-b', 1],
    ],
  );
  assert.equal(auditActivity(db, 'week', now).agents[0]?.calls, 4);
});

test('the audit log reports each committed batch, with the committed entries', async () => {
  committed.length = 0;
  const appended = await Promise.all([at(now, {}), at(now, { path: '/repos' })]);
  assert.equal(appended.length, 2);
  assert.equal(committed.length, 1);
  assert.deepEqual(
    committed[0]?.map((e) => e.path),
    ['/user', '/repos'],
  );
  assert.ok(committed[0]?.every((e) => typeof e.id === 'number' && e.hash.length === 64));
});
