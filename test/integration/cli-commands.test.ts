/**
 * Every `latchkey` command as a person runs it, against `latchkey serve` as a child process.
 * The keychain case needs a real Secret Service: run this file in a session with an
 * unlocked keyring (see test/integration/keychain.test.ts); it is never skipped.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import keytar from 'keytar';
import { authorize, enterUserCode, ScriptedBrowser } from '../fixtures/browser.js';
import { PUBLIC_CLIENT_ID, startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import { startServeProcess, type ServeProcess } from '../fixtures/serve-process.js';
import { buildProgram } from '../../main/cli/program.js';
import type { OAuth2Auth } from '../../main/core/catalog/types.js';

const CLI = ['--import', 'tsx', 'main/cli/latchkey.ts'];
const PASSPHRASE = 'serve process passphrase';

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  done: Promise<Result>;
}

/** The CLI as a person runs it: by default with the passphrase of the file store and no admin token in the environment. */
function start(args: string[], options: { env?: Record<string, string | undefined>; input?: string } = {}): Running {
  const child = spawn(process.execPath, [...CLI, ...args], {
    env: {
      ...process.env,
      NO_COLOR: '1',
      LATCHKEY_ADMIN_TOKEN: undefined,
      LATCHKEY_PASSPHRASE: PASSPHRASE,
      ...options.env,
    },
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  if (options.input !== undefined) child.stdin?.end(options.input);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk) => (out += chunk));
  child.stderr?.on('data', (chunk) => (err += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const done = new Promise<Result>((resolve) =>
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout: out, stderr: err });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, done };
}

const latchkey = (
  args: string[],
  options: { env?: Record<string, string | undefined>; input?: string } = {},
): Promise<Result> => start(args, options).done;

/** A failure is one line on stderr and nothing on stdout. */
function assertOneLineError(result: Result, code: 1 | 2, pattern: RegExp): void {
  assert.equal(result.code, code, `exit code; stderr: ${result.stderr}`);
  assert.equal(result.stdout, '');
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
  assert.match(result.stderr, pattern);
}

/** Waits (bounded) until stdout matches. */
async function waitForOutput(run: Running, pattern: RegExp, timeoutMs = 30_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const match = pattern.exec(run.stdout());
    if (match) return match;
    if (run.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`no ${pattern} in stdout: ${run.stdout()} stderr: ${run.stderr()}`);
}

describe('latchkey commands against `latchkey serve`', () => {
  let serve: ServeProcess;
  let provider: TestProvider;
  let dir: (args: string[]) => string[];

  before(async () => {
    provider = await startTestProvider({ deviceFlow: { interval: 1 } });
    serve = await startServeProcess();
    dir = (args) => [...args, '--data-dir', serve.dataDir];
    const auth = {
      ...(provider.definition().auth as OAuth2Auth),
      device_authorization_url: `${provider.issuer}/device/auth`,
    };
    await serve.admin('/providers', provider.definition({ auth }));
    const client = await fetch(`${serve.url}/admin/api/providers/acme/client`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${serve.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ client_id: PUBLIC_CLIENT_ID }),
    });
    assert.equal(client.status, 200);
  });
  after(async () => {
    await serve.stop();
    await provider.close();
    rmSync(serve.dataDir, { recursive: true, force: true });
  });

  test('status needs no admin credential and says what the broker holds', async () => {
    const json = await latchkey(dir(['status', '--json']), { env: { LATCHKEY_PASSPHRASE: undefined } });
    assert.equal(json.code, 0, json.stderr);
    const status = JSON.parse(json.stdout);
    assert.equal(status.running, true);
    assert.equal(status.url, serve.url);
    assert.equal(status.paused, false);
    assert.deepEqual(status.counts, { connections: 0, agents: 0, pending_approvals: 0 });

    const human = await latchkey(dir(['status']), { env: { LATCHKEY_PASSPHRASE: undefined } });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`is running at ${serve.url.replace(/\./g, '\\.')}`));
    assert.match(human.stdout, /0 connections, 0 agents, 0 pending approvals/);
  });

  test('admin commands without any admin credential: one line that says what to set', async () => {
    const result = await latchkey(dir(['agents']), { env: { LATCHKEY_PASSPHRASE: undefined } });
    assertOneLineError(result, 1, /admin_token_required/);
    assert.match(result.stderr, /LATCHKEY_PASSPHRASE/);
    assert.match(result.stderr, /LATCHKEY_ADMIN_TOKEN/);
  });

  test('LATCHKEY_ADMIN_TOKEN alone is enough (automation)', async () => {
    const result = await latchkey(dir(['providers', '--json']), {
      env: { LATCHKEY_PASSPHRASE: undefined, LATCHKEY_ADMIN_TOKEN: serve.adminToken },
    });
    assert.equal(result.code, 0, result.stderr);
    const acme = (JSON.parse(result.stdout) as { id: string; connect_methods: string[] }[]).find(
      (p) => p.id === 'acme',
    );
    assert.deepEqual(acme?.connect_methods, ['browser', 'device']);
  });

  test('providers: an aligned table', async () => {
    const result = await latchkey(dir(['providers']));
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout.trim().split('\n');
    assert.match(lines[0] as string, /^ID\s+NAME\s+CONNECT WITH\s+OAUTH APP$/);
    const acme = lines.find((line) => line.startsWith('acme '));
    assert.match(acme as string, /browser, device\s+latchkey-test$/);
    // Aligned: every row's second column starts where the header's does.
    const column = (lines[0] as string).indexOf('NAME');
    for (const line of lines.slice(1)) assert.notEqual(line[column - 1], undefined, line);
    assert.ok(
      lines.slice(1).every((line) => line[column - 2] === ' ' && line[column] !== ' '),
      result.stdout,
    );
  });

  test('connect in the browser end to end: --no-browser prints the URL, the person signs in, the command reports the connection', async () => {
    const run = start(
      dir([
        'connect',
        'acme',
        '--no-browser',
        '--scope',
        'openid',
        '--scope',
        'items:read',
        '--scope',
        'offline_access',
      ]),
    );
    const [, url] = await waitForOutput(run, /Open this URL to sign in: (\S+)/);
    const browser = new ScriptedBrowser();
    const callback = await authorize(browser, url as string, `${serve.url}/oauth/callback`);
    const page = await browser.get(callback);
    assert.equal(page.status, 200, page.body);
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Connected "acme" \(acme, alice[^)]*\)\./);

    const listed = await latchkey(dir(['connections', '--json']));
    assert.equal(listed.code, 0, listed.stderr);
    const acme = (JSON.parse(listed.stdout) as { name: string; auth_method: string; scopes: string[] }[]).find(
      (c) => c.name === 'acme',
    );
    assert.equal(acme?.auth_method, 'oauth');
    assert.ok(acme?.scopes.includes('items:read'));
  });

  test('connect --device prints the code and waits for the person', async () => {
    const run = start(dir(['connect', 'acme', '--device', '--name', 'acme-device']));
    const [, uri, code] = await waitForOutput(run, /Open (\S+) and enter the code (\S+)/);
    const page = await enterUserCode(new ScriptedBrowser(), uri as string, code as string, 'approve');
    assert.equal(page.status, 200, page.body);
    const result = await run.done;
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Connected "acme-device" \(acme, alice[^)]*\)\./);
  });

  test('a flow the person refuses ends the command with one line and exit 1', async () => {
    const run = start(dir(['connect', 'acme', '--device', '--name', 'acme-refused']));
    const [, uri, code] = await waitForOutput(run, /Open (\S+) and enter the code (\S+)/);
    await enterUserCode(new ScriptedBrowser(), uri as string, code as string, 'abort');
    const result = await run.done;
    assert.equal(result.code, 1);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
    assert.match(result.stderr, /latchkey connect/);
  });

  test('connect --key - reads the key from stdin, and only from stdin', async () => {
    const key = `sk-test-${randomBytes(8).toString('hex')}`;
    const result = await latchkey(dir(['connect', 'openai', '--name', 'openai-cli', '--key', '-']), {
      input: `${key}\n`,
    });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Connected "openai-cli" \(openai\)\./);
    assert.ok(!result.stdout.includes(key) && !result.stderr.includes(key), 'the key is never echoed');
    const listed = JSON.parse((await latchkey(dir(['connections', '--json']))).stdout) as {
      name: string;
      auth_method: string;
    }[];
    assert.equal(listed.find((c) => c.name === 'openai-cli')?.auth_method, 'api_key');

    assertOneLineError(await latchkey(dir(['connect', 'openai', '--key', key])), 2, /"-".*stdin/);
  });

  test('disconnect', async () => {
    const result = await latchkey(dir(['disconnect', 'openai-cli']));
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Disconnected "openai-cli"/);
    const listed = JSON.parse((await latchkey(dir(['connections', '--json']))).stdout) as { name: string }[];
    assert.ok(!listed.some((c) => c.name === 'openai-cli'));
    assertOneLineError(await latchkey(dir(['disconnect', 'openai-cli'])), 1, /openai-cli/);
  });

  test('agents: create prints the secret once and it works; list, revoke, delete', async () => {
    const created = await latchkey(
      dir(['agents', 'create', 'bot', '--grant', 'acme:items:read', '--grant', 'acme:openid']),
    );
    assert.equal(created.code, 0, created.stderr);
    const clientId = /client_id:\s+(\S+)/.exec(created.stdout)?.[1] as string;
    const secret = /client_secret:\s+(\S+)/.exec(created.stdout)?.[1] as string;
    const token = await fetch(`${serve.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
      },
      body: 'grant_type=client_credentials',
    });
    assert.equal(token.status, 200, "the printed secret is the agent's");

    const listed = await latchkey(dir(['agents', '--json']));
    assert.equal(listed.code, 0, listed.stderr);
    const agents = JSON.parse(listed.stdout) as {
      name: string;
      status: string;
      grants: { connection: string; scopes: string[] }[];
    }[];
    const bot = agents.find((a) => a.name === 'bot');
    assert.deepEqual(bot?.grants, [{ connection: 'acme', scopes: ['items:read', 'openid'] }]);
    assert.ok(!listed.stdout.includes(secret), 'never listed again');
    const table = await latchkey(dir(['agents']));
    assert.match(table.stdout, /^bot\s+active\s+acme:items:read acme:openid\s+by you\s+\d{4}-/m);

    const revoked = await latchkey(dir(['agents', 'revoke', 'bot']));
    assert.equal(revoked.code, 0, revoked.stderr);
    const after = JSON.parse((await latchkey(dir(['agents', '--json']))).stdout) as { name: string; status: string }[];
    assert.equal(after.find((a) => a.name === 'bot')?.status, 'revoked');

    const deleted = await latchkey(dir(['agents', 'delete', 'bot']));
    assert.equal(deleted.code, 0, deleted.stderr);
    const gone = JSON.parse((await latchkey(dir(['agents', '--json']))).stdout) as { name: string }[];
    assert.ok(!gone.some((a) => a.name === 'bot'));
  });

  test('agents create --ask: those granted scopes are ask-first, shown as (ask); an --ask without its --grant is a usage error', async () => {
    const created = await latchkey(
      dir([
        'agents',
        'create',
        'careful',
        '--grant',
        'acme:items:read',
        '--grant',
        'acme:openid',
        '--ask',
        'acme:openid',
        '--json',
      ]),
    );
    assert.equal(created.code, 0, created.stderr);
    assert.deepEqual(JSON.parse(created.stdout).grants, [
      { connection: 'acme', scopes: ['items:read', 'openid'], ask: ['openid'] },
    ]);
    const table = await latchkey(dir(['agents']));
    assert.match(table.stdout, /^careful\s+active\s+acme:items:read acme:openid\(ask\)\s/m);
    const ungranted = await latchkey(
      dir(['agents', 'create', 'loose', '--grant', 'acme:items:read', '--ask', 'other:write']),
    );
    assert.equal(ungranted.code, 2);
    assert.match(
      ungranted.stderr,
      /^latchkey: --ask other:write needs a --grant on "other" too \(see `latchkey agents create --help`\)\n$/,
    );
    assert.equal((await latchkey(dir(['agents', 'delete', 'careful']))).code, 0);
  });

  test('bad input: unknown agent (exit 1), bad grant syntax and a missing grant (exit 2), each one line', async () => {
    assertOneLineError(
      await latchkey(dir(['agents', 'revoke', 'nobody'])),
      1,
      /No agent named "nobody"\. .*\[unknown_agent\]/,
    );
    assertOneLineError(
      await latchkey(dir(['agents', 'create', 'x', '--grant', 'acme'])),
      2,
      /"acme" is not CONNECTION:SCOPE.*latchkey agents create --help/,
    );
    assertOneLineError(
      await latchkey(dir(['agents', 'create', 'x', '--grant', ':items:read'])),
      2,
      /not CONNECTION:SCOPE/,
    );
    assertOneLineError(await latchkey(dir(['agents', 'create', 'x'])), 2, /--grant/);
    assertOneLineError(await latchkey(dir(['agents', 'create', 'x', '--grant', 'nowhere:read'])), 1, /nowhere/);
    assertOneLineError(await latchkey(['agentz']), 2, /unknown command 'agentz'.*agents/);
    assertOneLineError(await latchkey(dir(['agents', '--bogus'])), 2, /unknown option '--bogus'/);
  });

  test('approvals, approve with other grants, deny', async () => {
    const first = await requestAuthorization(serve.url, 'Interactive CLI', 'acme:items:read acme:openid');
    const second = await requestAuthorization(serve.url, 'Notebook helper', 'acme:items:read');
    const listed = await latchkey(dir(['approvals', '--json']));
    assert.equal(listed.code, 0, listed.stderr);
    const pending = JSON.parse(listed.stdout) as { id: string; status: string; requested_scope: string }[];
    assert.deepEqual(pending.map((a) => a.id).sort(), [first, second].sort());
    assert.ok(pending.every((a) => a.status === 'pending'));
    const table = await latchkey(dir(['approvals']));
    assert.match(
      table.stdout,
      new RegExp(
        `^${first}\\s+Interactive CLI\\s+pending\\s+acme:items:read acme:openid\\s+self-registered\\s+127\\.0\\.0\\.1:53682`,
        'm',
      ),
    );
    assert.equal(JSON.parse((await latchkey(dir(['status', '--json']))).stdout).counts.pending_approvals, 2);

    const approved = await latchkey(dir(['approve', first, '--grant', 'acme:items:read']));
    assert.equal(approved.code, 0, approved.stderr);
    assert.match(approved.stdout, /may use acme:items:read\.$/m);
    const denied = await latchkey(dir(['deny', second]));
    assert.equal(denied.code, 0, denied.stderr);

    const all = JSON.parse((await latchkey(dir(['approvals', '--all', '--json']))).stdout) as {
      id: string;
      status: string;
      granted: unknown;
    }[];
    assert.deepEqual(all.find((a) => a.id === first)?.granted, [{ connection: 'acme', scopes: ['items:read'] }]);
    assert.equal(all.find((a) => a.id === second)?.status, 'denied');
    assert.equal((await latchkey(dir(['approvals']))).stdout.trim(), 'Nothing waiting for you.');
    assertOneLineError(await latchkey(dir(['deny', 'no-such-request'])), 1, /unknown_approval/);
  });

  test('pause and resume the agents', async () => {
    assert.equal((await latchkey(dir(['pause']))).code, 0);
    assert.equal(JSON.parse((await latchkey(dir(['status', '--json']))).stdout).paused, true);
    assert.match((await latchkey(dir(['status']))).stdout, /PAUSED/);
    assert.equal((await latchkey(dir(['resume']))).code, 0);
    assert.equal(JSON.parse((await latchkey(dir(['status', '--json']))).stdout).paused, false);
  });

  test('audit: table, filters, --json, verify and export', async () => {
    await latchkey(dir(['agents', 'create', 'auditor', '--grant', 'acme:items:read']));
    const json = await latchkey(dir(['audit', '--json', '--since', '1h']));
    assert.equal(json.code, 0, json.stderr);
    const entries = JSON.parse(json.stdout) as {
      id: number;
      kind: string;
      decision: string;
      agent_name: string | null;
      connection: string | null;
    }[];
    assert.ok(
      entries.some((e) => e.kind === 'connection' && e.connection === 'acme'),
      json.stdout,
    );
    assert.ok(
      entries.every((e, i) => i === 0 || (entries[i - 1] as { id: number }).id > e.id),
      'newest first',
    );

    const byAgent = JSON.parse((await latchkey(dir(['audit', '--agent', 'auditor', '--json']))).stdout) as {
      agent_name: string;
    }[];
    assert.ok(byAgent.length > 0);
    assert.ok(byAgent.every((e) => e.agent_name === 'auditor'));
    const byConnection = JSON.parse(
      (await latchkey(dir(['audit', '--connection', 'acme-device', '--decision', 'info', '--json']))).stdout,
    ) as { connection: string; decision: string }[];
    assert.ok(byConnection.length > 0);
    assert.ok(byConnection.every((e) => e.connection === 'acme-device' && e.decision === 'info'));
    assert.deepEqual(
      JSON.parse((await latchkey(dir(['audit', '--since', '2000-01-01T00:00:00Z', '--limit', '1', '--json']))).stdout)
        .length,
      1,
    );

    const table = await latchkey(dir(['audit', '--connection', 'acme-device']));
    assert.match(
      table.stdout.split('\n')[0] as string,
      /^TIME\s+AGENT\s+CONNECTION\s+DECISION\s+REQUEST\s+STATUS\s+REASON$/,
    );
    assert.match(table.stdout, /acme-device\s+info\s+connection\s+-\s+acme: connected/);

    const verified = await latchkey(dir(['audit', 'verify']));
    assert.equal(verified.code, 0, verified.stderr);
    assert.match(verified.stdout, /intact: \d+ entries checked/);

    const file = join(serve.dataDir, 'export.csv');
    const exported = await latchkey(dir(['audit', 'export', '--format', 'csv', '--output', file]));
    assert.equal(exported.code, 0, exported.stderr);
    const csv = readFileSync(file, 'utf8').split('\r\n');
    assert.equal(
      csv[0],
      'id,at,kind,decision,reason,agent_id,agent_name,connection,method,path,status,latency_ms,bytes_in,bytes_out,session_id,prev_hash,hash',
    );
    assert.ok(csv.length > 2);
    assert.equal(statSync(file).mode & 0o077, 0, 'readable by the person only');
    const jsonl = await latchkey(dir(['audit', 'export', '--format', 'jsonl', '--agent', 'auditor']));
    assert.equal(jsonl.code, 0, jsonl.stderr);
    const lines = jsonl.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { agent_name: string });
    assert.ok(lines.length > 0 && lines.every((e) => e.agent_name === 'auditor'));

    assertOneLineError(await latchkey(dir(['audit', '--agent', 'nobody'])), 1, /No agent named "nobody"/);
    assertOneLineError(await latchkey(dir(['audit', '--since', 'yesterday'])), 2, /neither a duration/);
    assertOneLineError(await latchkey(dir(['audit', '--decision', 'maybe'])), 2, /allow, deny, info/);
    assertOneLineError(await latchkey(dir(['audit', 'export', '--format', 'xml'])), 2, /jsonl, csv/);
    assertOneLineError(await latchkey(dir(['audit', 'export'])), 2, /--format/);
  });

  test('every command has help', async () => {
    // Walk the whole command tree in-process (a new command is covered without touching this test)…
    const program = buildProgram([]);
    const commands: Command[] = [];
    const walk = (command: Command): void => {
      for (const sub of command.commands) {
        commands.push(sub);
        walk(sub);
      }
    };
    walk(program);
    assert.ok(commands.length >= 19, `${commands.length} commands`);
    for (const command of commands) {
      assert.ok(command.description().length > 10, `${command.name()} has a description`);
      const raw = ['serve', 'exec'].includes(command.name()) && command.parent === program;
      if (!raw) assert.match(command.helpInformation(), /^Usage: latchkey /, command.name());
    }
    // …and as a person sees it: exit 0, on stdout; serve and exec print their own.
    for (const args of [
      ['agents', 'create', '--help'],
      ['serve', '--help'],
      ['exec', '--help'],
    ]) {
      const result = await latchkey(args);
      assert.equal(result.code, 0, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`^Usage: latchkey ${args.slice(0, -1).join(' ')}`));
    }
  });
});

describe('latchkey commands without a broker', () => {
  test('each says no broker runs and how to start one, in one line, exit 1', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'latchkey-cli-none-'));
    try {
      for (const args of [['status'], ['agents'], ['connections', '--json'], ['audit', 'verify'], ['pause']]) {
        assertOneLineError(
          await latchkey([...args, '--data-dir', empty]),
          1,
          /broker_not_running.*latchkey serve|latchkey serve.*broker_not_running/,
        );
      }
      const json = await latchkey(['status', '--json', '--data-dir', empty]);
      assert.equal(json.code, 1);
      assert.deepEqual(JSON.parse(json.stdout), { running: false, data_dir: empty });
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});

describe('the admin credential from the OS keychain', () => {
  test('`serve` keeps its admin token in the keychain; the CLI reads it from there, with no token or passphrase in the environment', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-cli-keychain-'));
    const serve = start(['serve', '--port', '0', '--data-dir', dataDir], { env: { LATCHKEY_PASSPHRASE: undefined } });
    let namespace: string | undefined;
    try {
      const [, adminToken] = await waitForOutput(serve, /#admin=(\S+)/);
      const status = await latchkey(['status', '--json', '--data-dir', dataDir], {
        env: { LATCHKEY_PASSPHRASE: undefined },
      });
      assert.equal(status.code, 0, status.stderr);
      const { install_id, secret_store } = JSON.parse(status.stdout) as { install_id: string; secret_store: string };
      assert.equal(secret_store, 'keychain');
      namespace = install_id;
      assert.equal(await keytar.getPassword('Latchkey', `${install_id}/admin/token`), adminToken);

      const paused = await latchkey(['pause', '--data-dir', dataDir], { env: { LATCHKEY_PASSPHRASE: undefined } });
      assert.equal(paused.code, 0, paused.stderr);
      const check = await fetch(`${/listening on (\S+)/.exec(serve.stdout())?.[1]}/admin/api/pause`, {
        headers: { authorization: `Bearer ${adminToken}` },
      });
      assert.deepEqual(await check.json(), { paused: true });
      const agents = await latchkey(['agents', '--json', '--data-dir', dataDir], {
        env: { LATCHKEY_PASSPHRASE: undefined },
      });
      assert.equal(agents.code, 0, agents.stderr);
      assert.deepEqual(JSON.parse(agents.stdout), []);
    } finally {
      serve.child.kill('SIGTERM');
      await serve.done;
      if (namespace) {
        for (const { account } of await keytar.findCredentials('Latchkey'))
          if (account.startsWith(`${namespace}/`)) await keytar.deletePassword('Latchkey', account);
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

/** An interactive agent registers itself (RFC 7591) and asks for `scope`: a pending approval; returns its id. */
async function requestAuthorization(url: string, name: string, scope: string): Promise<string> {
  const registered = await fetch(`${url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      client_name: name,
      redirect_uris: ['http://127.0.0.1:53682/callback'],
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code'],
      response_types: ['code'],
    }),
  });
  assert.equal(registered.status, 201, await registered.clone().text());
  const { client_id } = (await registered.json()) as { client_id: string };
  const verifier = randomBytes(32).toString('base64url');
  const authorizeUrl = new URL(`${url}/oauth/authorize`);
  for (const [k, v] of Object.entries({
    response_type: 'code',
    client_id,
    redirect_uri: 'http://127.0.0.1:53682/callback',
    state: 'state',
    scope,
    code_challenge: createHash('sha256').update(verifier).digest('base64url'),
    code_challenge_method: 'S256',
  }))
    authorizeUrl.searchParams.set(k, v);
  const toConsent = await fetch(authorizeUrl, { redirect: 'manual' });
  assert.equal(toConsent.status, 302, await toConsent.text());
  return new URL(toConsent.headers.get('location') as string, url).pathname.split('/')[2] as string;
}
