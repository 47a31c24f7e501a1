import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { startServeProcess, type ServeProcess } from '../fixtures/serve-process.js';

/**
 * What another process of the same user can get out of Latchkey: the attacks,
 * replayed against `latchkey serve` running as its own process.
 */

const PRINT_ENV = 'process.stdout.write(JSON.stringify(process.env))';

function exec(args: string[], env: NodeJS.ProcessEnv = process.env) {
  return spawnSync(process.execPath, ['--import', 'tsx', 'main/cli/latchkey.ts', 'exec', ...args], { encoding: 'utf8', timeout: 30_000, env });
}

describe('latchkey exec hands the command no Latchkey secret', () => {
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

  test('the admin token and the vault passphrase of the parent do not reach the command; what exec issues does', () => {
    const parent = {
      ...process.env,
      LATCHKEY_ADMIN_TOKEN: 'parent-admin-token',
      LATCHKEY_PASSPHRASE: 'parent vault passphrase',
      LATCHKEY_SOMETHING_ELSE: 'parent value',
      UNRELATED_SETTING: 'kept',
    };
    const run = exec(['--agent', 'scripted', '--data-dir', broker.dataDir, '--', process.execPath, '-e', PRINT_ENV], parent);
    assert.equal(run.status, 0, run.stderr);
    const env = JSON.parse(run.stdout) as Record<string, string>;
    assert.equal(env.LATCHKEY_ADMIN_TOKEN, undefined);
    assert.equal(env.LATCHKEY_PASSPHRASE, undefined);
    assert.equal(env.LATCHKEY_SOMETHING_ELSE, undefined);
    assert.ok(!run.stdout.includes('parent-admin-token') && !run.stdout.includes('parent vault passphrase'), 'no trace of either value');
    assert.deepEqual(Object.keys(env).filter((name) => name.startsWith('LATCHKEY_')).sort(), ['LATCHKEY_OPENAI_URL', 'LATCHKEY_TOKEN', 'LATCHKEY_URL']);
    assert.equal(env.LATCHKEY_URL, broker.url);
    assert.equal(env.LATCHKEY_OPENAI_URL, `${broker.url}/proxy/openai`);
    assert.equal(env.OPENAI_BASE_URL, `${broker.url}/proxy/openai`);
    assert.match(env.LATCHKEY_TOKEN ?? '', /^eyJ/);
    assert.equal(env.UNRELATED_SETTING, 'kept');
  });
});
