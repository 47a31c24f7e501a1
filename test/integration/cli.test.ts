import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';

const CLI = ['--import', 'tsx', 'main/cli/latchkey.ts'];
const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-cli-'));
  dirs.push(dir);
  return dir;
};
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

interface Run {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
}

function latchkey(args: string[], env: Record<string, string | undefined> = {}): Run {
  const child = spawn(process.execPath, [...CLI, ...args], {
    env: { ...process.env, LATCHKEY_PASSPHRASE: undefined, LATCHKEY_ADMIN_TOKEN: undefined, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  child.stderr?.on('data', (chunk) => (err += chunk));
  return { child, stdout: () => out, stderr: () => err };
}

/** Waits (bounded) until the output holds `lines` lines, or the process exits. */
async function waitForLines(run: Run, lines: number, timeoutMs = 20_000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const got = run.stdout().split('\n').filter(Boolean);
    if (got.length >= lines || run.child.exitCode !== null) return got;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`timed out; stdout: ${run.stdout()} stderr: ${run.stderr()}`);
}

async function exitOf(run: Run, timeoutMs = 20_000): Promise<number | null> {
  if (run.child.exitCode !== null) return run.child.exitCode;
  const timer = setTimeout(() => run.child.kill('SIGKILL'), timeoutMs);
  const [code] = await once(run.child, 'exit');
  clearTimeout(timer);
  return code as number | null;
}

const fileStore = (dataDir: string, extra: string[] = []) => [
  'serve',
  '--port',
  '0',
  '--data-dir',
  dataDir,
  '--secret-store',
  'file',
  ...extra,
];

describe('latchkey serve', () => {
  test('prints exactly the two ready lines, answers, refuses a second broker on the same data dir, and exits 0 on SIGTERM', async () => {
    const dataDir = tempDir();
    const first = latchkey(fileStore(dataDir), {
      LATCHKEY_PASSPHRASE: 'correct horse',
      LATCHKEY_ADMIN_TOKEN: 'automation-token-123',
    });
    const lines = await waitForLines(first, 2);
    assert.equal(lines.length, 2, first.stderr());
    assert.match(lines[0] as string, /^Latchkey listening on http:\/\/127\.0\.0\.1:(\d+)$/);
    const port = /:(\d+)$/.exec(lines[0] as string)?.[1];
    assert.equal(lines[1], `Dashboard: http://127.0.0.1:${port}/#admin=automation-token-123`);

    const status = await fetch(`http://127.0.0.1:${port}/admin/api/status`, {
      headers: { authorization: 'Bearer automation-token-123' },
    });
    assert.equal(status.status, 200);
    assert.equal(((await status.json()) as { secret_store: string }).secret_store, 'file');
    // The same port answers on [::1] (this machine has IPv6 loopback), for localhost redirects.
    const v6 = await fetch(`http://[::1]:${port}/admin/api/status`, {
      headers: { authorization: 'Bearer automation-token-123' },
    });
    assert.equal(v6.status, 200);

    const second = latchkey(fileStore(dataDir), { LATCHKEY_PASSPHRASE: 'correct horse' });
    assert.equal(await exitOf(second), 1);
    assert.match(second.stderr(), new RegExp(`pid ${first.child.pid}`));
    assert.match(second.stderr(), /data_dir_in_use/);

    first.child.kill('SIGTERM');
    assert.equal(await exitOf(first), 0);
    assert.equal(first.stdout().split('\n').filter(Boolean).length, 2, 'nothing else on stdout');
  });

  test('a random admin token per start when none is given', async () => {
    const tokens: string[] = [];
    for (let i = 0; i < 2; i += 1) {
      const run = latchkey(fileStore(tempDir()), { LATCHKEY_PASSPHRASE: 'pw' });
      const lines = await waitForLines(run, 2);
      tokens.push(/#admin=(.+)$/.exec(lines[1] as string)?.[1] as string);
      run.child.kill('SIGINT');
      assert.equal(await exitOf(run), 0);
    }
    assert.ok((tokens[0] as string).length >= 40);
    assert.notEqual(tokens[0], tokens[1]);
  });

  test('the file store refuses to start without a passphrase', async () => {
    const run = latchkey(fileStore(tempDir()));
    assert.equal(await exitOf(run), 1);
    assert.match(run.stderr(), /LATCHKEY_PASSPHRASE/);
    assert.equal(run.stderr().trim().split('\n').length, 1, 'one-line error');
  });

  test('a port in use is a one-line error that says what to do', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const run = latchkey(['serve', '--port', String(port), '--data-dir', tempDir(), '--secret-store', 'file'], {
        LATCHKEY_PASSPHRASE: 'pw',
      });
      assert.equal(await exitOf(run), 1);
      assert.match(run.stderr(), new RegExp(`Port ${port} .*in use.*--port`));
      assert.equal(run.stderr().trim().split('\n').length, 1);
    } finally {
      blocker.close();
    }
  });

  test('a data dir that cannot be written is a one-line error', async () => {
    const parent = tempDir();
    const file = join(parent, 'not-a-dir');
    writeFileSync(file, 'x');
    const run = latchkey(fileStore(join(file, 'data')), { LATCHKEY_PASSPHRASE: 'pw' });
    assert.equal(await exitOf(run), 1);
    assert.match(run.stderr(), /data_dir_unwritable|Cannot write/);
    assert.equal(run.stderr().trim().split('\n').length, 1);
  });

  test('without a Secret Service the keychain store fails and points to --secret-store file', async () => {
    const run = latchkey(['serve', '--port', '0', '--data-dir', tempDir()], {
      DBUS_SESSION_BUS_ADDRESS: 'unix:path=/nonexistent/bus',
    });
    assert.equal(await exitOf(run, 30_000), 1);
    assert.match(run.stderr(), /keychain_unavailable/);
    assert.match(run.stderr(), /--secret-store file/);
    // One line that names what to install, not a stack trace.
    assert.equal(run.stderr().trim().split('\n').length, 1, run.stderr());
    if (process.platform === 'linux')
      assert.match(run.stderr(), /sudo apt-get install libsecret-1-0 gnome-keyring dbus/);
  });

  test('a bad provider file is reported with file, JSON path and reason; good ones still load', async () => {
    const providers = tempDir();
    mkdirSync(providers, { recursive: true });
    writeFileSync(
      join(providers, 'broken.json'),
      JSON.stringify({
        id: 'broken',
        name: 'Broken',
        auth: { type: 'api_key', header: 'Authorization', format: 'Bearer' },
        api: { base_url: 'https://api.broken.example', rules: [] },
      }),
    );
    writeFileSync(
      join(providers, 'fine.json'),
      JSON.stringify({
        id: 'fine',
        name: 'Fine',
        auth: { type: 'api_key', header: 'Authorization', format: 'Bearer {key}' },
        api: { base_url: 'https://api.fine.example', rules: [] },
      }),
    );
    const run = latchkey(fileStore(tempDir(), ['--providers', providers]), {
      LATCHKEY_PASSPHRASE: 'pw',
      LATCHKEY_ADMIN_TOKEN: 'tok',
    });
    const lines = await waitForLines(run, 2);
    const port = /:(\d+)$/.exec(lines[0] as string)?.[1];
    assert.match(run.stderr(), /broken\.json: \/auth\/format: .*\{key\}/);
    const listed = await fetch(`http://127.0.0.1:${port}/admin/api/providers`, {
      headers: { authorization: 'Bearer tok' },
    });
    const ids = ((await listed.json()) as { providers: { id: string }[] }).providers.map((p) => p.id);
    assert.ok(ids.includes('fine'));
    assert.ok(!ids.includes('broken'));
    run.child.kill('SIGTERM');
    assert.equal(await exitOf(run), 0);
  });
});
