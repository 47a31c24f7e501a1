/**
 * Exec sessions against `latchkey serve` as a child process: the token of `latchkey exec`
 * lives as long as its session (not the short access-token lifetime), is refused with
 * `token_revoked` once the session ends in any of its ways, and survives a kill -9 and
 * restart of the broker. Also `latchkey sessions`, the sessions API and `audit --follow`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  ADMIN_TOKEN,
  clientCredentialsToken,
  startServeProcess,
  type ServeProcess,
} from '../fixtures/serve-process.js';

const CLI = ['--import', 'tsx', 'main/cli/latchkey.ts'];
/** Access tokens of this broker live 2 s: every wait past it is 3 s. */
const TOKEN_TTL_SECONDS = 2;
const PAST_TOKEN_TTL_MS = 3_000;

/** The command run under exec: answers `env`, `call PATH` (through the proxy, with LATCHKEY_TOKEN) and `exit N`, one JSON line each. */
const CHILD = `
const lines = require('node:readline').createInterface({ input: process.stdin });
lines.on('line', async (line) => {
  const [command, arg] = line.split(' ');
  if (command === 'env') console.log(JSON.stringify({ pid: process.pid, env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('LATCHKEY_'))) }));
  if (command === 'call') {
    const response = await fetch(process.env.LATCHKEY_URL + arg, { headers: { authorization: 'Bearer ' + process.env.LATCHKEY_TOKEN } });
    console.log(JSON.stringify({ status: response.status, body: await response.json() }));
  }
  if (command === 'exit') process.exit(Number(arg));
});`;

interface ExecChild {
  child: ChildProcess;
  /** Sends one line to the command and resolves with its JSON answer. */
  ask<T = { status: number; body: { error?: string } }>(line: string): Promise<T>;
  stderr(): string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startExec(
  broker: ServeProcess,
  agent: string,
  options: { env?: NodeJS.ProcessEnv; args?: string[] } = {},
): ExecChild {
  const child = spawn(
    process.execPath,
    [
      ...CLI,
      'exec',
      '--agent',
      agent,
      '--data-dir',
      broker.dataDir,
      ...(options.args ?? []),
      '--',
      process.execPath,
      '-e',
      CHILD,
    ],
    {
      env: options.env ?? { ...process.env, LATCHKEY_ADMIN_TOKEN: undefined, LATCHKEY_PASSPHRASE: undefined },
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let err = '';
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const answers = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  const waiting: ((line: string) => void)[] = [];
  answers.on('line', (line) => waiting.shift()?.(line));
  const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    }),
  );
  return {
    child,
    ask: (line) =>
      new Promise((resolve, reject) => {
        waiting.push((answer) => resolve(JSON.parse(answer)));
        child.stdin?.write(`${line}\n`, (error) => error && reject(error));
      }),
    stderr: () => err,
    exit,
  };
}

function latchkey(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [...CLI, ...args], {
    env: { ...process.env, NO_COLOR: '1', LATCHKEY_ADMIN_TOKEN: ADMIN_TOKEN, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: 60_000,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve) => child.once('close', (code) => resolve({ code, stdout, stderr })));
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 100 ms, at most 100 times. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>): Promise<T> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const value = await check();
    if (value !== undefined) return value;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function callWith(broker: ServeProcess, token: string): Promise<{ status: number; error?: string }> {
  const response = await fetch(`${broker.url}/proxy/items/things`, { headers: { authorization: `Bearer ${token}` } });
  const body = (await response.json()) as { error?: string };
  return { status: response.status, ...(body.error === undefined ? {} : { error: body.error }) };
}

interface Session {
  id: string;
  agent_id: string;
  agent_name: string;
  command: string;
  pid: number | null;
  calls: number;
  held: boolean;
}

async function sessionsOf(broker: ServeProcess): Promise<Session[]> {
  return ((await broker.admin('/sessions')) as { sessions: Session[] }).sessions;
}

async function startUpstream(): Promise<Server> {
  const upstream = createServer((_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
  );
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  return upstream;
}

async function brokerWithItems(upstream: Server, dataDir?: string, port?: number): Promise<ServeProcess> {
  const broker = await startServeProcess(dataDir, {
    args: ['--access-token-ttl', String(TOKEN_TTL_SECONDS)],
    ...(port === undefined ? {} : { port }),
  });
  if (dataDir === undefined) {
    await broker.admin('/providers', {
      id: 'items',
      name: 'Items',
      auth: { type: 'api_key', header: 'Authorization', format: 'Bearer {key}', scopes: { read: 'Read' } },
      api: {
        base_url: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
        rules: [{ method: 'GET', path: '/**', scopes: ['read'] }],
      },
    });
    await broker.admin('/connections', { provider: 'items', secret: 'upstream-key' });
  }
  return broker;
}

describe('exec sessions', () => {
  let upstream: Server;
  let broker: ServeProcess;
  before(async () => {
    upstream = await startUpstream();
    broker = await brokerWithItems(upstream);
  });
  after(async () => {
    await broker.stop();
    upstream.close();
    rmSync(broker.dataDir, { recursive: true, force: true });
  });

  test('the token outlives the access-token lifetime while the command runs, and is revoked when it exits', async () => {
    const agent = await broker.admin('/agents', {
      name: 'sleeper',
      grants: [{ connection: 'items', scopes: ['read'] }],
    });
    const exec = startExec(broker, 'sleeper');
    const { env } = await exec.ask<{ env: Record<string, string> }>('env');
    assert.equal((await exec.ask('call /proxy/items/things')).status, 200);
    // A token of the same agent from the token endpoint, for comparison: it lives TOKEN_TTL_SECONDS.
    const shortLived = await clientCredentialsToken(broker.url, agent.client_id, agent.client_secret);
    await sleep(PAST_TOKEN_TTL_MS);
    assert.deepEqual(
      await callWith(broker, shortLived),
      { status: 401, error: 'token_expired' },
      'access tokens of this broker do expire',
    );
    assert.equal((await exec.ask('call /proxy/items/things')).status, 200, 'the session token is still valid');
    assert.equal((await callWith(broker, env.LATCHKEY_TOKEN as string)).status, 200);

    exec.child.stdin?.write('exit 3\n');
    assert.deepEqual(await exec.exit, { code: 3, signal: null }, "the command's exit code");
    assert.deepEqual(await callWith(broker, env.LATCHKEY_TOKEN as string), { status: 401, error: 'token_revoked' });
    assert.deepEqual(await sessionsOf(broker), []);
    assert.equal(exec.stderr(), '', 'exec says nothing of its own');
  });

  test("the command's environment holds no LATCHKEY_* variable exec did not set, even when the parent had them", async () => {
    await broker.admin('/agents', { name: 'clean', grants: [{ connection: 'items', scopes: ['read'] }] });
    const exec = startExec(broker, 'clean', {
      env: {
        ...process.env,
        LATCHKEY_ADMIN_TOKEN: ADMIN_TOKEN,
        LATCHKEY_PASSPHRASE: 'serve process passphrase',
        LATCHKEY_SOMETHING: 'else',
      },
    });
    const { env } = await exec.ask<{ env: Record<string, string> }>('env');
    assert.deepEqual(Object.keys(env).sort(), ['LATCHKEY_ITEMS_URL', 'LATCHKEY_TOKEN', 'LATCHKEY_URL']);
    assert.equal(env.LATCHKEY_URL, broker.url);
    exec.child.stdin?.end('exit 0\n');
    assert.equal((await exec.exit).code, 0);
  });

  test('listed by the CLI and the API with its command, pid and calls; ended by `latchkey sessions end`', async () => {
    const agent = await broker.admin('/agents', {
      name: 'listed',
      grants: [{ connection: 'items', scopes: ['read'] }],
    });
    const exec = startExec(broker, 'listed', { args: ['--ttl', '2h'] });
    const { pid, env } = await exec.ask<{ pid: number; env: Record<string, string> }>('env');
    assert.equal((await exec.ask('call /proxy/items/things')).status, 200);
    assert.equal((await exec.ask('call /proxy/items/things')).status, 200);

    const listed = await eventually('the session to be listed with its pid', async () => {
      const result = await latchkey(['sessions', '--json', '--data-dir', broker.dataDir]);
      assert.equal(result.code, 0, result.stderr);
      const sessions = JSON.parse(result.stdout) as (Session & { started_at: string; expires_at: string })[];
      return sessions.find((s) => s.agent_name === 'listed' && s.pid === pid && s.calls === 2);
    });
    assert.equal(listed.command, 'node');
    assert.equal(listed.held, true);
    const ttl = Date.parse(listed.expires_at) - Date.parse(listed.started_at);
    assert.equal(ttl, 2 * 3600_000, '--ttl 2h');
    const table = await latchkey(['sessions', '--data-dir', broker.dataDir]);
    assert.match(table.stdout, new RegExp(`${listed.id}\\s+listed\\s+node\\s+${pid}`));
    const ofAgent = (await broker.admin(`/agents/${agent.id}/sessions`)) as { sessions: Session[] };
    assert.deepEqual(
      ofAgent.sessions.map((s) => s.id),
      [listed.id],
    );

    // The audit entries of its calls name the session.
    const audit = (await broker.admin(`/audit?agent=${agent.id}&kind=proxy`)) as {
      entries: { session_id: string | null }[];
    };
    assert.equal(audit.entries.length, 2);
    assert.ok(audit.entries.every((e) => e.session_id === listed.id));

    const ended = await latchkey(['sessions', 'end', listed.id, '--data-dir', broker.dataDir]);
    assert.equal(ended.code, 0, ended.stderr);
    assert.match(ended.stdout, /Ended exec session/);
    const refused = await exec.ask('call /proxy/items/things');
    assert.deepEqual([refused.status, refused.body.error], [401, 'token_revoked']);
    assert.match(exec.stderr(), /ended: ended in Latchkey/);
    assert.deepEqual(await callWith(broker, env.LATCHKEY_TOKEN as string), { status: 401, error: 'token_revoked' });

    const again = await latchkey(['sessions', 'end', listed.id, '--data-dir', broker.dataDir]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^latchkey: No live exec session .*\[unknown_session\]\n$/);
    exec.child.stdin?.end('exit 0\n');
    assert.equal((await exec.exit).code, 0, 'the command ran on after its session ended');
  });

  test('SIGTERM to exec goes to the command; the session ends with it', async () => {
    await broker.admin('/agents', { name: 'signalled', grants: [{ connection: 'items', scopes: ['read'] }] });
    const exec = startExec(broker, 'signalled');
    const { env } = await exec.ask<{ env: Record<string, string> }>('env');
    exec.child.kill('SIGTERM');
    assert.deepEqual(await exec.exit, { code: 128 + 15, signal: null }, 'the command died of SIGTERM: 143');
    assert.deepEqual(await callWith(broker, env.LATCHKEY_TOKEN as string), { status: 401, error: 'token_revoked' });
  });

  test('exec killed with SIGKILL (it cannot say anything): the broker sees its connection close and ends the session', async () => {
    await broker.admin('/agents', { name: 'crashed', grants: [{ connection: 'items', scopes: ['read'] }] });
    const exec = startExec(broker, 'crashed');
    const { pid, env } = await exec.ask<{ pid: number; env: Record<string, string> }>('env');
    try {
      exec.child.kill('SIGKILL');
      await exec.exit;
      const refused = await eventually('the token to be refused', async () => {
        const result = await callWith(broker, env.LATCHKEY_TOKEN as string);
        return result.status === 200 ? undefined : result;
      });
      assert.deepEqual(refused, { status: 401, error: 'token_revoked' });
      const audit = (await broker.admin('/audit?kind=agent')) as { entries: { reason: string }[] };
      assert.ok(audit.entries.some((e) => /ended: latchkey exec ended \(killed or crashed\)/.test(e.reason)));
    } finally {
      process.kill(pid, 'SIGKILL'); // the orphaned command
    }
  });

  test('revoking the agent ends its sessions', async () => {
    const agent = await broker.admin('/agents', {
      name: 'revoked',
      grants: [{ connection: 'items', scopes: ['read'] }],
    });
    const exec = startExec(broker, 'revoked');
    assert.equal((await exec.ask('call /proxy/items/things')).status, 200);
    await broker.admin(`/agents/${agent.id}/revoke`, {});
    const refused = await exec.ask('call /proxy/items/things');
    assert.deepEqual([refused.status, refused.body.error], [401, 'token_revoked']);
    assert.deepEqual(
      (await sessionsOf(broker)).filter((s) => s.agent_id === agent.id),
      [],
    );
    exec.child.stdin?.end('exit 0\n');
    await exec.exit;
  });

  test('a --ttl out of range or malformed is a usage error', async () => {
    const run = await latchkey(['exec', '--agent', 'clean', '--ttl', '8d', '--data-dir', broker.dataDir, '--', 'true']);
    assert.equal(run.code, 2);
    assert.match(run.stderr, /^latchkey: --ttl is from 1m to 7d, not 8d \[invalid_option\]\n$/);
    const malformed = await latchkey([
      'exec',
      '--agent',
      'clean',
      '--ttl',
      'soon',
      '--data-dir',
      broker.dataDir,
      '--',
      'true',
    ]);
    assert.equal(malformed.code, 2);
    assert.match(
      malformed.stderr,
      /^latchkey: --ttl is a duration such as 30m, 12h or 7d, not "soon" \[invalid_option\]\n$/,
    );
  });

  test('audit --follow prints an entry made after it started, and ends on Ctrl-C', async () => {
    const agent = await broker.admin('/agents', {
      name: 'followed',
      grants: [{ connection: 'items', scopes: ['read'] }],
    });
    const follow = spawn(
      process.execPath,
      [...CLI, 'audit', '--follow', '--json', '--agent', 'followed', '--data-dir', broker.dataDir],
      {
        env: { ...process.env, LATCHKEY_ADMIN_TOKEN: ADMIN_TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      },
    );
    let stderr = '';
    follow.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const lines = createInterface({ input: follow.stdout });
    // The first proxied call's entry (the token's issuance comes before it).
    const first = new Promise<string>((resolve) =>
      lines.on('line', (line) => JSON.parse(line).kind === 'proxy' && resolve(line)),
    );
    await eventually('audit --follow to be ready', async () =>
      stderr.includes('Following new audit entries') ? true : undefined,
    );
    // Fetched now: the broker's access tokens live 2 s.
    const token = await clientCredentialsToken(broker.url, agent.client_id, agent.client_secret);
    assert.equal((await callWith(broker, token)).status, 200);
    const entry = JSON.parse(await first) as { kind: string; agent_name: string; path: string; status: number };
    assert.deepEqual([entry.kind, entry.agent_name, entry.path, entry.status], ['proxy', 'followed', '/things', 200]);
    const exited = new Promise<number | null>((resolve) => follow.once('close', resolve));
    follow.kill('SIGINT');
    assert.equal(await exited, 0);
    assert.doesNotMatch(stderr, /broker stopped/);
  });
});

describe('exec sessions across a broker restart', () => {
  test('kill -9 of the broker mid-session and a restart keep the session and its token working; audit --follow ends when the broker stops', async () => {
    const upstream = await startUpstream();
    let broker = await brokerWithItems(upstream);
    const { dataDir } = broker;
    const port = Number(new URL(broker.url).port);
    try {
      await broker.admin('/agents', { name: 'durable', grants: [{ connection: 'items', scopes: ['read'] }] });
      const exec = startExec(broker, 'durable');
      const { env } = await exec.ask<{ env: Record<string, string> }>('env');
      assert.equal((await exec.ask('call /proxy/items/things')).status, 200);
      const [session] = await sessionsOf(broker);

      const follow = spawn(process.execPath, [...CLI, 'audit', '--follow', '--data-dir', dataDir], {
        env: { ...process.env, LATCHKEY_ADMIN_TOKEN: ADMIN_TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 60_000,
      });
      let followErr = '';
      follow.stderr.setEncoding('utf8').on('data', (chunk: string) => (followErr += chunk));
      const followExit = new Promise<number | null>((resolve) => follow.once('close', resolve));
      await eventually('audit --follow to be ready', async () =>
        followErr.includes('Following new audit entries') ? true : undefined,
      );

      await broker.stop('SIGKILL');
      assert.equal(await followExit, 0, followErr);
      assert.match(followErr, /the broker stopped; no more entries/);

      broker = await brokerWithItems(upstream, dataDir, port);
      const held = await eventually(`exec to hold its session again (exec said: ${exec.stderr()})`, async () =>
        (await sessionsOf(broker)).find((s) => s.id === session?.id && s.held),
      );
      assert.equal(held.agent_name, 'durable');
      await sleep(PAST_TOKEN_TTL_MS); // past any access token's lifetime, to be sure
      assert.equal((await exec.ask('call /proxy/items/things')).status, 200, 'the same token works after the restart');
      assert.match(exec.stderr(), /the broker stopped; the session is held again as soon as it is back/);

      exec.child.stdin?.end('exit 0\n');
      assert.equal((await exec.exit).code, 0);
      assert.deepEqual(await callWith(broker, env.LATCHKEY_TOKEN as string), { status: 401, error: 'token_revoked' });
    } finally {
      await broker.stop('SIGKILL');
      upstream.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
