import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExec } from '../fixtures/exec-process.js';
import { startServeProcess, type ServeProcess } from '../fixtures/serve-process.js';

/** Prints the Latchkey variables and what discovery answers the command's token (the token is revoked once exec exits). */
const PRINT_ENV = `(async () => {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^(LATCHKEY_|OPENAI_BASE_URL)/.test(k)));
  const discovery = await fetch(process.env.LATCHKEY_URL + '/v1/connections', { headers: { authorization: 'Bearer ' + process.env.LATCHKEY_TOKEN } });
  process.stdout.write(JSON.stringify({ env, discovery: { status: discovery.status, body: await discovery.json() } }));
})()`;

describe('latchkey exec', () => {
  let broker: ServeProcess;
  before(async () => {
    broker = await startServeProcess();
    await broker.admin('/connections', { provider: 'openai', secret: 'sk-test-openai-key' });
    await broker.admin('/agents', { name: 'scripted', grants: [{ connection: 'openai', scopes: ['*'] }] });
  });
  after(async () => {
    await broker.stop();
    rmSync(broker.dataDir, { recursive: true, force: true });
  });

  test('runs the command with the broker URL, a fresh agent token and the proxy base URLs', async () => {
    const run = await runExec([
      '--agent',
      'scripted',
      '--data-dir',
      broker.dataDir,
      '--',
      process.execPath,
      '-e',
      PRINT_ENV,
    ]);
    assert.equal(run.status, 0, run.stderr);
    const { env, discovery } = JSON.parse(run.stdout) as {
      env: Record<string, string>;
      discovery: { status: number; body: { connections: { name: string }[] } };
    };
    assert.equal(env.LATCHKEY_URL, broker.url);
    assert.equal(env.LATCHKEY_OPENAI_URL, `${broker.url}/proxy/openai`);
    assert.equal(env.OPENAI_BASE_URL, `${broker.url}/proxy/openai`);
    // The token is the agent's own: discovery accepts it and shows its grant.
    assert.equal(discovery.status, 200);
    assert.deepEqual(
      discovery.body.connections.map((c) => c.name),
      ['openai'],
    );
    assert.ok(!run.stdout.includes('sk-test-openai-key'), 'the provider key never reaches the command');
  });

  test("passes the command's exit code through", async () => {
    const run = await runExec([
      '--agent',
      'scripted',
      '--data-dir',
      broker.dataDir,
      '--',
      process.execPath,
      '-e',
      'process.exit(7)',
    ]);
    assert.equal(run.status, 7);
  });

  test('an unknown agent is named in a one-line error listing the agents', async () => {
    const run = await runExec(['--agent', 'nobody', '--data-dir', broker.dataDir, '--', 'true']);
    assert.equal(run.status, 1);
    assert.match(run.stderr, /No agent named "nobody"\. Agents: scripted/);
  });

  test('without a running broker it says how to start one', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'latchkey-exec-'));
    try {
      const run = await runExec(['--agent', 'scripted', '--data-dir', empty, '--', 'true']);
      assert.equal(run.status, 1);
      assert.match(run.stderr, /broker_not_running/);
      assert.match(run.stderr, /latchkey serve/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
