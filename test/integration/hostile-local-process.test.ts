import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, lstatSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runExec } from '../fixtures/exec-process.js';
import { ADMIN_TOKEN, startServeProcess, type ServeProcess } from '../fixtures/serve-process.js';

/**
 * What another process of the same user can get out of Latchkey: the attacks,
 * replayed against `latchkey serve` running as its own process.
 */

const PRINT_ENV = 'process.stdout.write(JSON.stringify(process.env))';

/** A request over DATA_DIR/control.sock, as any process of the person's user can send one. */
function overSocket(
  dataDir: string,
  method: string,
  path: string,
  options: { body?: unknown; token?: string } = {},
): Promise<{ status: number; body: any }> {
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        socketPath: join(dataDir, 'control.sock'),
        method,
        path: `/admin/api${path}`,
        headers: {
          host: 'latchkey',
          ...(payload ? { 'content-type': 'application/json' } : {}),
          ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
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

  test('the admin token and the vault passphrase of the parent do not reach the command; what exec issues does', async () => {
    const parent = {
      ...process.env,
      LATCHKEY_ADMIN_TOKEN: 'parent-admin-token',
      LATCHKEY_PASSPHRASE: 'parent vault passphrase',
      LATCHKEY_SOMETHING_ELSE: 'parent value',
      UNRELATED_SETTING: 'kept',
    };
    const run = await runExec(
      ['--agent', 'scripted', '--data-dir', broker.dataDir, '--', process.execPath, '-e', PRINT_ENV],
      parent,
    );
    assert.equal(run.status, 0, run.stderr);
    const env = JSON.parse(run.stdout) as Record<string, string>;
    assert.equal(env.LATCHKEY_ADMIN_TOKEN, undefined);
    assert.equal(env.LATCHKEY_PASSPHRASE, undefined);
    assert.equal(env.LATCHKEY_SOMETHING_ELSE, undefined);
    assert.ok(
      !run.stdout.includes('parent-admin-token') && !run.stdout.includes('parent vault passphrase'),
      'no trace of either value',
    );
    assert.deepEqual(
      Object.keys(env)
        .filter((name) => name.startsWith('LATCHKEY_'))
        .sort(),
      ['LATCHKEY_OPENAI_URL', 'LATCHKEY_TOKEN', 'LATCHKEY_URL'],
    );
    assert.equal(env.LATCHKEY_URL, broker.url);
    assert.equal(env.LATCHKEY_OPENAI_URL, `${broker.url}/proxy/openai`);
    assert.equal(env.OPENAI_BASE_URL, `${broker.url}/proxy/openai`);
    assert.match(env.LATCHKEY_TOKEN ?? '', /^eyJ/);
    assert.equal(env.UNRELATED_SETTING, 'kept');
  });
});

describe('the control socket without the admin token', () => {
  let broker: ServeProcess;
  let scripted: { id: string; grants: unknown };
  before(async () => {
    broker = await startServeProcess();
    await broker.admin('/connections', { provider: 'openai', secret: 'sk-test-openai-key' });
    scripted = await broker.admin('/agents', {
      name: 'scripted',
      grants: [{ connection: 'openai', scopes: ['read'] }],
    });
  });
  after(async () => {
    await broker.stop();
    rmSync(broker.dataDir, { recursive: true, force: true });
  });

  /** What an interactive agent does first: register itself (RFC 7591) and ask for access; the person has to approve. */
  async function pendingRegistration(): Promise<{ id: string; agent_name: string }> {
    const registered = await fetch(`${broker.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        redirect_uris: ['http://127.0.0.1/callback'],
        token_endpoint_auth_method: 'none',
        client_name: 'Self-approving agent',
        grant_types: ['authorization_code'],
      }),
    });
    assert.equal(registered.status, 201, await registered.clone().text());
    const { client_id } = (await registered.json()) as { client_id: string };
    const authorize = new URL(`${broker.url}/oauth/authorize`);
    authorize.search = new URLSearchParams({
      response_type: 'code',
      client_id,
      redirect_uri: 'http://127.0.0.1:49152/callback',
      scope: 'openai:read openai:write',
      state: 'state',
      code_challenge: createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    const consent = await fetch(authorize, { redirect: 'manual' });
    assert.equal(consent.status, 302);
    const { approvals } = await broker.admin('/approvals');
    const pending = (approvals as { id: string; agent_name: string; status: string }[]).find(
      (a) => a.status === 'pending' && a.agent_name === 'Self-approving agent',
    );
    assert.ok(pending, 'the registration waits for the person');
    return pending;
  }

  test('answers the status and mints a token for an active agent, as latchkey exec needs', async () => {
    const status = await overSocket(broker.dataDir, 'GET', '/status');
    assert.equal(status.status, 200);
    assert.equal(status.body.url, broker.url);
    const minted = await overSocket(broker.dataDir, 'POST', '/agent-tokens', { body: { agent: 'scripted' } });
    assert.equal(minted.status, 200, JSON.stringify(minted.body));
    assert.equal(minted.body.token_type, 'Bearer');
    assert.equal(minted.body.scope, 'openai:read', "the agent's grants, nothing more");
  });

  test('a session is held or finished only with its own token', async () => {
    const started = await overSocket(broker.dataDir, 'POST', '/sessions', {
      body: { agent: 'scripted', command: 'python' },
    });
    assert.equal(started.status, 200, JSON.stringify(started.body));
    const other = await overSocket(broker.dataDir, 'POST', '/agent-tokens', { body: { agent: 'scripted' } });
    for (const action of ['hold', 'finish']) {
      const refused = await overSocket(broker.dataDir, 'POST', `/sessions/${started.body.session.id}/${action}`, {
        body: { token: other.body.access_token },
      });
      assert.equal(refused.status, 401, `${action}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'invalid_token');
    }
    const finished = await overSocket(broker.dataDir, 'POST', `/sessions/${started.body.session.id}/finish`, {
      body: { token: started.body.access_token },
    });
    assert.deepEqual([finished.status, finished.body], [200, { ended: true }]);
  });

  test('a registered agent cannot approve itself, nor get a token before the person approves it', async () => {
    const pending = await pendingRegistration();
    const approve = await overSocket(broker.dataDir, 'POST', `/approvals/${pending.id}`, {
      body: { decision: 'approve' },
    });
    assert.equal(approve.status, 401);
    assert.equal(approve.body.error, 'missing_token');
    assert.match(
      approve.body.error_description,
      /Authorization: Bearer <admin token>.*the control socket answers only GET \/admin\/api\/status, POST \/admin\/api\/agent-tokens, POST \/admin\/api\/sessions, POST \/admin\/api\/sessions\/:id\/hold and POST \/admin\/api\/sessions\/:id\/finish\.$/,
    );
    const { approvals } = await broker.admin('/approvals');
    assert.equal((approvals as { id: string; status: string }[]).find((a) => a.id === pending.id)?.status, 'pending');
    const token = await overSocket(broker.dataDir, 'POST', '/agent-tokens', { body: { agent: pending.agent_name } });
    assert.equal(token.status, 409);
    assert.equal(token.body.error, 'agent_not_active');
  });

  test('agents, grants, resume, connections, OAuth apps and key rotation need the admin token', async () => {
    const refused: [string, string, unknown?][] = [
      ['GET', '/agents'],
      ['POST', '/agents', { name: 'planted', grants: [{ connection: 'openai', scopes: ['*'] }] }],
      ['PATCH', `/agents/${scripted.id}`, { grants: [{ connection: 'openai', scopes: ['*'] }] }],
      ['POST', `/agents/${scripted.id}/token`],
      ['POST', '/resume'],
      ['POST', '/connections', { provider: 'stripe', secret: 'rk_test_planted' }],
      ['DELETE', '/connections/openai'],
      ['PUT', '/providers/linear/client', { client_id: 'planted' }],
      ['POST', '/keys/rotate'],
      ['GET', '/audit'],
      ['GET', '/sessions'],
      ['GET', `/agents/${scripted.id}/sessions`],
      ['DELETE', '/sessions/ses_any'],
    ];
    await broker.admin('/pause', {});
    for (const [method, path, body] of refused) {
      const response = await overSocket(broker.dataDir, method, path, body === undefined ? {} : { body });
      assert.equal(response.status, 401, `${method} ${path}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error, 'missing_token');
    }
    assert.equal((await broker.admin('/pause')).paused, true, 'still paused');
    const { agents } = await broker.admin('/agents');
    assert.deepEqual(
      (agents as { name: string }[]).map((a) => a.name).filter((name) => name !== 'Self-approving agent'),
      ['scripted'],
    );
    assert.deepEqual(
      (agents as { name: string; grants: unknown }[]).find((a) => a.name === 'scripted')?.grants,
      scripted.grants,
    );
    const { connections } = await broker.admin('/connections');
    assert.deepEqual(
      (connections as { name: string }[]).map((c) => c.name),
      ['openai'],
    );
    await broker.admin('/resume', {});
  });

  test('with the admin token the socket is the whole admin API, as TCP', async () => {
    const wrong = await overSocket(broker.dataDir, 'POST', '/agents', {
      body: { name: 'by-token', grants: [] },
      token: 'guessed-token',
    });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'invalid_token');
    const created = await overSocket(broker.dataDir, 'POST', '/agents', {
      body: { name: 'by-token', grants: [] },
      token: ADMIN_TOKEN,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
});

/** Every entry under `dir` with its permission bits, in octal. */
function modes(dir: string, prefix = ''): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stats = lstatSync(path);
    found[`${prefix}${name}`] = (stats.mode & 0o7777).toString(8);
    if (stats.isDirectory()) Object.assign(found, modes(path, `${prefix}${name}/`));
  }
  return found;
}

/** What `modes` must find: folders 700, everything else (files, the socket) 600. */
function ownerOnly(dir: string): Record<string, string> {
  return Object.fromEntries(
    Object.keys(modes(dir)).map((name) => [name, lstatSync(join(dir, name)).isDirectory() ? '700' : '600']),
  );
}

const ACME = {
  id: 'acme',
  name: 'Acme',
  auth: { type: 'api_key', header: 'Authorization', format: 'Bearer {key}', scopes: { read: 'Read items' } },
  api: { base_url: 'https://api.acme.example', rules: [{ method: 'GET', path: '/items/**', scopes: ['read'] }] },
};

describe('the data dir, with umask 000', () => {
  let umask: number;
  before(() => {
    umask = process.umask(0); // inherited by the broker: the widest modes a person's shell could give
  });
  after(() => process.umask(umask));

  test('the database, its -wal and -shm, the lock, the socket, the secret store and provider files are owner-only', async () => {
    let broker = await startServeProcess();
    const { dataDir } = broker;
    try {
      await broker.admin('/connections', { provider: 'openai', secret: 'sk-test-openai-key' });
      await broker.admin('/agents', { name: 'scripted', grants: [{ connection: 'openai', scopes: ['*'] }] });
      await broker.admin('/providers', ACME);
      const exported = await fetch(`${broker.url}/admin/api/audit/export`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(exported.status, 200);
      await exported.arrayBuffer();
      const running = modes(dataDir);
      for (const name of [
        'latchkey.db',
        'latchkey.db-wal',
        'latchkey.db-shm',
        'latchkey.lock',
        'control.sock',
        'secrets.enc',
        'providers/acme.json',
      ]) {
        assert.ok(name in running, `${name} exists`);
      }
      assert.deepEqual(running, ownerOnly(dataDir));

      // A broker killed mid-run leaves -wal and -shm; those of an older version were 644 and are tightened at the next start.
      assert.equal(await broker.stop('SIGKILL'), null);
      for (const name of ['latchkey.db', 'latchkey.db-wal', 'latchkey.db-shm']) chmodSync(join(dataDir, name), 0o644);
      broker = await startServeProcess(dataDir);
      assert.deepEqual(modes(dataDir), ownerOnly(dataDir));
    } finally {
      await broker.stop();
    }
    assert.deepEqual(modes(dataDir), ownerOnly(dataDir), 'after a clean stop too');
    rmSync(dataDir, { recursive: true, force: true });
  });

  test('a data dir other users may write is refused before anything is written, naming the chmod that fixes it', () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'latchkey-open-'));
    try {
      chmodSync(dataDir, 0o777);
      const run = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          'main/cli/latchkey.ts',
          'serve',
          '--port',
          '0',
          '--data-dir',
          dataDir,
          '--secret-store',
          'file',
        ],
        {
          encoding: 'utf8',
          timeout: 30_000,
          env: { ...process.env, LATCHKEY_PASSPHRASE: 'serve process passphrase' },
        },
      );
      assert.equal(run.status, 1, run.stdout);
      assert.equal(run.stdout, '');
      assert.equal(
        run.stderr,
        `latchkey: ${dataDir} can be written by other users (mode 777); fix it with: chmod 700 ${dataDir} [data_dir_insecure]\n`,
      );
      assert.deepEqual(readdirSync(dataDir), []);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
