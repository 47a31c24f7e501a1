/**
 * The keychain backend against the REAL Secret Service (no mocks). Run it in a
 * session with an unlocked keyring, e.g.:
 *
 *   dbus-run-session -- sh -c 'printf pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null; \
 *     node --import tsx --test test/integration/keychain.test.ts'
 *
 * Without a usable keychain these tests fail; they are never skipped.
 */
import { test, describe, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer, type Socket } from 'node:net';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import keytar from 'keytar';
import { openKeychainBackend } from '../../main/core/vault/keychain.js';
import { Vault } from '../../main/core/vault/vault.js';

const SERVICE = 'Latchkey';
const namespace = `latchkey-test-${randomUUID()}`;
const SECRET = `gho_${randomUUID().replaceAll('-', '')}`;
const keychainModule = new URL('../../main/core/vault/keychain.ts', import.meta.url).href;

const ours = async (): Promise<string[]> =>
  (await keytar.findCredentials(SERVICE))
    .map((c) => c.account)
    .filter((account) => account.startsWith(`${namespace}/`));

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

function runChild(command: string, args: string[], env: NodeJS.ProcessEnv, limitMs: number): Promise<ChildResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not finish within ${limitMs} ms (keytar hanging?)\n${stderr}`));
    }, limitMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, elapsedMs: Date.now() - started });
    });
  });
}

/** A child script that opens the keychain backend and prints the outcome as JSON. */
const openScript = (probeTimeoutMs?: number): string => `
  import(${JSON.stringify(keychainModule)}).then(async ({ openKeychainBackend }) => {
    let outcome;
    try {
      await openKeychainBackend({ namespace: ${JSON.stringify(namespace)}${probeTimeoutMs ? `, probeTimeoutMs: ${probeTimeoutMs}` : ''} });
      outcome = { ok: true };
    } catch (error) {
      outcome = { ok: false, code: error.code, message: error.message, details: error.details };
    }
    // A keytar call stuck in libuv's thread pool makes even process.exit() hang
    // (exit joins the pool's threads), so leave with SIGKILL once reported.
    process.stdout.write(JSON.stringify(outcome) + '\\n', () => process.kill(process.pid, 'SIGKILL'));
  });`;

describe('keychain backend (real Secret Service)', () => {
  after(async () => {
    // Remove anything a failed test may have left, then prove nothing of ours remains.
    for (const account of await ours()) await keytar.deletePassword(SERVICE, account);
    assert.deepEqual(await ours(), []);
  });

  test('set/get/delete round trip', async () => {
    const backend = await openKeychainBackend({ namespace });
    assert.equal(backend.kind, 'keychain');
    assert.equal(await backend.get('connection/rt'), undefined);
    await backend.set('connection/rt', SECRET);
    assert.equal(await backend.get('connection/rt'), SECRET);
    // It really is in the keychain, under <namespace>/<key> and the default service.
    assert.equal(await keytar.getPassword(SERVICE, `${namespace}/connection/rt`), SECRET);
    await backend.set('connection/rt', `${SECRET}-2`);
    assert.equal(await backend.get('connection/rt'), `${SECRET}-2`);
    assert.equal(await backend.delete('connection/rt'), true);
    assert.equal(await backend.delete('connection/rt'), false);
    assert.equal(await backend.get('connection/rt'), undefined);
    assert.equal(await keytar.getPassword(SERVICE, `${namespace}/connection/rt`), null);
  });

  test('the open probe leaves no entry behind', async () => {
    await openKeychainBackend({ namespace });
    assert.deepEqual(await ours(), []);
  });

  test('a second backend instance (fresh Vault, same namespace) reads the value back', async () => {
    const writer = new Vault(await openKeychainBackend({ namespace }));
    await writer.set('client/github', SECRET);
    await writer.set('connection/x', 'another-value');

    const reader = new Vault(await openKeychainBackend({ namespace }));
    assert.equal(reader.kind, 'keychain');
    assert.equal(await reader.get('client/github'), SECRET);
    assert.equal(await reader.get('connection/x'), 'another-value');

    // Another namespace (another data dir) does not see it.
    const stranger = new Vault(await openKeychainBackend({ namespace: `${namespace}-other` }));
    assert.equal(await stranger.get('client/github'), undefined);

    assert.deepEqual((await ours()).sort(), [`${namespace}/client/github`, `${namespace}/connection/x`]);
    assert.equal(await reader.delete('client/github'), true);
    assert.equal(await reader.delete('connection/x'), true);
    assert.equal(await writer.get('client/github'), SECRET, 'the writer vault serves its memory copy');
    assert.equal(await new Vault(await openKeychainBackend({ namespace })).get('client/github'), undefined);
  });

  test('cleanup: no entry with our namespace remains', async () => {
    assert.deepEqual(await ours(), []);
    const others = (await keytar.findCredentials(SERVICE)).filter((c) => c.account.startsWith(namespace));
    assert.deepEqual(others, []);
  });

  test('without a reachable D-Bus, opening fails fast with keychain_unavailable', async () => {
    const result = await runChild(
      process.execPath,
      ['--import', 'tsx', '-e', openScript()],
      { ...process.env, DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent' },
      15_000,
    );
    const outcome = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
    assert.equal(outcome.ok, false, 'opening must fail without D-Bus');
    assert.equal(outcome.code, 'keychain_unavailable');
    assert.match(outcome.message, /^The OS keychain is not available \(.+\)\. Start a Secret Service/);
    assert.match(outcome.message, /--secret-store file and LATCHKEY_PASSPHRASE/);
    // Process start + tsx dominate; the keytar call itself fails in milliseconds.
    assert.ok(result.elapsedMs < 10_000, `took ${result.elapsedMs} ms`);
  });

  test('a locked keyring (fresh D-Bus session, nobody unlocked it) is keychain_unavailable, not a silent success', async () => {
    // Its own keyring folder: a second gnome-keyring-daemon must not share (and rewrite) the real one's files.
    const lockedHome = mkdtempSync(join(tmpdir(), 'latchkey-locked-keyring-'));
    after(() => rmSync(lockedHome, { recursive: true, force: true }));
    const env = { ...process.env, DBUS_SESSION_BUS_ADDRESS: '', GNOME_KEYRING_CONTROL: '', XDG_DATA_HOME: lockedHome };
    // First session: create a login keyring there (with a password), then end the session.
    // In the foreground, and stopped by us: a daemonized one outlives its D-Bus session.
    const setup = [
      'printf pw | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 & pid=$!',
      'i=0; while [ ! -s "$XDG_DATA_HOME/keyrings/login.keyring" ] && [ $i -lt 200 ]; do sleep 0.05; i=$((i+1)); done',
      'sleep 0.2; kill $pid; wait $pid 2>/dev/null; true',
    ].join('\n');
    await runChild('dbus-run-session', ['--', 'sh', '-c', setup], env, 20_000);
    assert.ok(existsSync(join(lockedHome, 'keyrings', 'login.keyring')), 'setup: login keyring created');
    // Second session: the daemon starts on D-Bus activation with that keyring locked.
    // A read-only probe would pass here: a locked collection answers searches (with nothing) but refuses writes.
    const result = await runChild(
      'dbus-run-session',
      ['--', process.execPath, '--import', 'tsx', '-e', openScript(5_000)],
      env,
      20_000,
    );
    const outcome = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
    assert.equal(outcome.ok, false, `opening a locked keyring must fail\n${result.stderr}`);
    assert.equal(outcome.code, 'keychain_unavailable');
    assert.match(outcome.message, /locked/i);
  });

  test('a Secret Service that never answers is keychain_unavailable after the probe timeout', async () => {
    // A bus that accepts connections and then says nothing: keytar (libsecret) blocks forever here.
    const socketPath = join(tmpdir(), `latchkey-silent-bus-${process.pid}-${Date.now()}`);
    const sockets = new Set<Socket>();
    const server = createServer((socket) => {
      sockets.add(socket);
      socket.on('data', () => {});
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(socketPath, resolve));
    try {
      const result = await runChild(
        process.execPath,
        ['--import', 'tsx', '-e', openScript(2_000)],
        { ...process.env, DBUS_SESSION_BUS_ADDRESS: `unix:path=${socketPath}` },
        15_000,
      );
      const outcome = JSON.parse(result.stdout.trim().split('\n').pop() ?? '{}');
      assert.equal(outcome.ok, false, result.stderr);
      assert.equal(outcome.code, 'keychain_unavailable');
      assert.match(outcome.message, /did not answer within 2 s/);
      assert.deepEqual(outcome.details, { timed_out: true });
      assert.ok(result.elapsedMs < 10_000, `took ${result.elapsedMs} ms`);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
