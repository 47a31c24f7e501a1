import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuditLog } from '../../main/core/audit/audit-log.js';
import { openDatabase } from '../fixtures/database.js';

const dir = mkdtempSync(join(tmpdir(), 'latchkey-audit-kill-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const IN_FLIGHT = 16;
const MAX_REQUESTS = 3000;
const MAX_LOAD_MS = 3000;
/** Kill once this many were acknowledged (or at half the time budget), with requests in flight. */
const KILL_AFTER_ACKS = 1000;

test('nothing acknowledged is lost when the process is killed with SIGKILL in the middle of a load', async () => {
  const file = join(dir, 'latchkey.db');
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/audit-child.ts', file], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = once(child, 'exit');
  try {
    const deadline = Date.now() + 20_000;
    while (!/port \d+\n/.test(stdout)) {
      assert.ok(Date.now() < deadline && child.exitCode === null, `the child did not start: ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const port = Number(/port (\d+)/.exec(stdout)?.[1]);

    const acknowledged: number[] = [];
    let sent = 0;
    let failed = 0;
    let killed = false;
    const started = Date.now();
    const kill = (): void => {
      if (killed) return;
      killed = true;
      child.kill('SIGKILL');
    };
    const worker = async (): Promise<void> => {
      while (!killed && sent < MAX_REQUESTS && Date.now() - started < MAX_LOAD_MS) {
        sent++;
        try {
          const response = await fetch(`http://127.0.0.1:${port}/v1/thing?n=${sent}&secret=s3cr3t`, {
            signal: AbortSignal.timeout(5000),
          });
          const body = await response.text();
          if (response.status === 200) acknowledged.push(Number(body));
          else failed++;
        } catch {
          failed++; // killed mid-request: never acknowledged
        }
        if (acknowledged.length >= KILL_AFTER_ACKS || Date.now() - started > MAX_LOAD_MS / 2) kill();
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    kill();
    const [, signal] = await exited;
    assert.equal(signal, 'SIGKILL');
    console.log(
      `audit durability: ${sent} requests sent, ${acknowledged.length} acknowledged, ${failed} cut off by the kill, in ${Date.now() - started} ms`,
    );
    assert.ok(acknowledged.length > 0, 'the load produced acknowledged requests');

    // The database as the next start finds it: WAL recovery, then every acknowledged id.
    const db = openDatabase(file);
    try {
      const audit = new AuditLog(db);
      const present = new Set(db.prepare('SELECT id FROM audit').pluck().all() as number[]);
      const missing = acknowledged.filter((id) => !present.has(id));
      assert.deepEqual(missing, [], 'every acknowledged entry survived the kill');
      assert.ok(present.size >= acknowledged.length);
      assert.deepEqual(await audit.verify(), { ok: true, checked: present.size });
      const sample = audit.query({ limit: 1 }).entries[0];
      assert.match(sample?.path ?? '', /^\/v1\/thing\?n=REDACTED&secret=REDACTED$/);
      await audit.close();
    } finally {
      db.close();
    }
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
});
