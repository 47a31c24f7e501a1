import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog } from '../../main/core/audit/audit-log.js';
import { startServeProcess } from '../fixtures/serve-process.js';

test('every proxied response the agent received is in the audit log after kill -9 mid-load', async () => {
  const upstream = createServer((_req, res) => res.end('{"ok":true}'));
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const broker = await startServeProcess();
  try {
    await broker.admin('/providers', {
      id: 'durable',
      name: 'Durable',
      auth: { type: 'api_key', header: 'Authorization', format: 'Bearer {key}', scopes: { read: 'Read' } },
      api: {
        base_url: `http://127.0.0.1:${(upstream.address() as { port: number }).port}`,
        rules: [{ method: 'GET', path: '/**', scopes: ['read'] }],
      },
    });
    await broker.admin('/connections', { provider: 'durable', secret: 'upstream-key' });
    const token = await broker.agentToken('loader', [{ connection: 'durable', scopes: ['read'] }]);

    const acknowledged: number[] = [];
    let next = 0;
    let killed = false;
    const worker = async (): Promise<void> => {
      // Bounded: at most 3000 requests in all, and none after the kill.
      while (!killed && next < 3000) {
        const n = next++;
        try {
          const response = await fetch(`${broker.url}/proxy/durable/items/${n}`, {
            headers: { authorization: `Bearer ${token}` },
          });
          await response.text(); // the response is acknowledged only once its body has fully arrived
          if (response.status === 200) acknowledged.push(n);
        } catch {
          // the broker died under this request: not acknowledged
        }
        if (!killed && acknowledged.length >= 400) {
          killed = true;
          broker.child.kill('SIGKILL');
        }
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    await broker.stop();
    assert.ok(killed, 'the broker was killed in the middle of the load');

    const db = new Database(join(broker.dataDir, 'latchkey.db'));
    const paths = new Set(
      db.prepare("SELECT path FROM audit WHERE kind = 'proxy' AND decision = 'allow'").pluck().all() as string[],
    );
    const missing = acknowledged.filter((n) => !paths.has(`/items/${n}`));
    assert.deepEqual(
      missing,
      [],
      `${missing.length} of ${acknowledged.length} acknowledged responses have no audit entry`,
    );
    assert.equal((await new AuditLog(db).verify()).ok, true);
    db.close();
  } finally {
    await broker.stop('SIGKILL');
    upstream.close();
    rmSync(broker.dataDir, { recursive: true, force: true });
  }
});
