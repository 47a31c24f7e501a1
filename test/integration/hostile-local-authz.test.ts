/**
 * Latchkey's authorization server against a hostile local process (issue 6): anyone on
 * the machine can register a client, pick its name and redirect URI, and read every
 * error. The whole broker runs in-process with the real Secret Service; two loopback APIs
 * stand in for providers, and oauth4webapi plays the agents' OAuth client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import * as oauth from 'oauth4webapi';
import { MIGRATIONS, migrate } from '../fixtures/database.js';
import { clearTestKeychain, startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { startResourceServer, type ResourceServer } from '../fixtures/resource-server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

/** An API-key provider whose API is `resources`, reading items with items:read. */
const keyProvider = (id: string, resources: ResourceServer) => ({
  id,
  name: `Items ${id}`,
  auth: {
    type: 'api_key',
    header: 'Authorization',
    format: 'Bearer {key}',
    scopes: { 'items:read': 'Read items', 'items:write': 'Write items' },
  },
  api: { base_url: resources.url, rules: [{ method: 'GET', path: '/api/**', scopes: ['items:read'] }] },
});

async function proxy(broker: TestBroker, token: string, path: string): Promise<{ status: number; body: any }> {
  const response = await fetch(`${broker.url}/proxy/${path}`, { headers: { authorization: `Bearer ${token}` } });
  const text = await response.text();
  return { status: response.status, body: text.startsWith('{') ? JSON.parse(text) : text };
}

async function clientCredentialsToken(
  broker: TestBroker,
  agent: { client_id: string; client_secret: string },
): Promise<string> {
  const as = await oauth.processDiscoveryResponse(
    new URL(broker.url),
    await oauth.discoveryRequest(new URL(broker.url), { algorithm: 'oauth2', ...insecure }),
  );
  const client = { client_id: agent.client_id };
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    client,
    oauth.ClientSecretBasic(agent.client_secret),
    new URLSearchParams(),
    insecure,
  );
  return (await oauth.processClientCredentialsResponse(as, client, response)).access_token;
}

async function register(broker: TestBroker, metadata: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const response = await fetch(`${broker.url}/oauth/register`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ token_endpoint_auth_method: 'none', ...metadata }),
  });
  return { status: response.status, body: await response.json() };
}

/** GET /oauth/authorize as a browser would, without following the answer. */
async function authorize(broker: TestBroker, params: Record<string, string>): Promise<Response> {
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const query = new URLSearchParams({
    response_type: 'code',
    state: 'st4te',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    ...params,
  });
  return fetch(`${broker.url}/oauth/authorize?${query}`, { redirect: 'manual' });
}

/** An error page: HTML under the pages' CSP, status 400, and no redirect anywhere. */
async function errorPage(response: Response): Promise<string> {
  assert.equal(
    response.status,
    400,
    `expected an error page, got ${response.status} → ${response.headers.get('location')}`,
  );
  assert.equal(response.headers.get('location'), null);
  assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
  assert.match(response.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  assert.equal(response.headers.get('x-frame-options'), 'DENY');
  return response.text();
}

describe('a hostile local process against the authorization server', () => {
  let first: ResourceServer;
  let second: ResourceServer;
  let broker: TestBroker;

  before(async () => {
    first = await startResourceServer({
      validate: async (token) => (token === 'key-first' ? { active: true, scope: 'items:read' } : { active: false }),
    });
    second = await startResourceServer({
      validate: async (token) => (token === 'key-second' ? { active: true, scope: 'items:read' } : { active: false }),
    });
    broker = await startTestBroker();
    for (const definition of [keyProvider('items-a', first), keyProvider('items-b', second)]) {
      const added = await broker.admin('/providers', { body: definition });
      assert.equal(added.status, 201, JSON.stringify(added.body));
    }
    for (const [name, provider, secret] of [
      ['acme-2', 'items-a', 'key-first'],
      ['other', 'items-a', 'key-first'],
    ]) {
      const connected = await broker.admin('/connections', { body: { provider, name, secret } });
      assert.equal(connected.status, 201, JSON.stringify(connected.body));
    }
  });
  after(async () => {
    await broker.dispose();
    await first.close();
    await second.close();
    await clearTestKeychain();
  });

  test('item 4: a disconnect drops the grants on that connection; a new connection of the same name is out of reach of old grants and tokens', async () => {
    const created = await broker.admin('/agents', {
      body: {
        name: 'keeper',
        grants: [
          { connection: 'acme-2', scopes: ['*'] },
          { connection: 'other', scopes: ['items:read'] },
        ],
      },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const agent = created.body;
    const token = await clientCredentialsToken(broker, agent);
    assert.equal((await proxy(broker, token, 'acme-2/api/items')).status, 200);

    const removed = await broker.admin('/connections/acme-2', { method: 'DELETE' });
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.deepEqual(
      (await broker.admin(`/agents/${agent.id}`)).body.grants,
      [{ connection: 'other', scopes: ['items:read'] }],
      'the grant on acme-2 is gone, the other stays',
    );

    // Another provider's account under the old name.
    const reused = await broker.admin('/connections', {
      body: { provider: 'items-b', name: 'acme-2', secret: 'key-second' },
    });
    assert.equal(reused.status, 201, JSON.stringify(reused.body));
    const stale = await proxy(broker, token, 'acme-2/api/items');
    assert.equal(stale.status, 404, JSON.stringify(stale.body));
    assert.equal(stale.body.error, 'unknown_connection');
    assert.equal(second.total(), 0, "the new upstream never saw the old token's call");
    assert.equal((await proxy(broker, token, 'other/api/items')).status, 200, "the agent's other grant keeps working");
    assert.deepEqual(
      (await broker.admin(`/agents/${agent.id}`)).body.grants,
      [{ connection: 'other', scopes: ['items:read'] }],
      'reusing the name revives nothing',
    );

    // Even granted the new acme-2 again, a token issued for the old one does not reach it: tokens bind connection ids.
    const regranted = await broker.admin(`/agents/${agent.id}`, {
      method: 'PATCH',
      body: {
        grants: [
          { connection: 'acme-2', scopes: ['*'] },
          { connection: 'other', scopes: ['items:read'] },
        ],
      },
    });
    assert.equal(regranted.status, 200, JSON.stringify(regranted.body));
    assert.equal((await proxy(broker, token, 'acme-2/api/items')).status, 404);
    assert.equal(second.total(), 0);
    const fresh = await clientCredentialsToken(broker, agent);
    assert.equal(
      (await proxy(broker, fresh, 'acme-2/api/items')).status,
      200,
      'a token issued for the new connection reaches it',
    );
    assert.equal(second.hits['GET /api/items'], 1);
  });

  test("item 5: names with hidden characters or that look like another agent's are refused, at registration and in the admin API", async () => {
    const reader = await broker.admin('/agents', {
      body: { name: 'reader', grants: [{ connection: 'other', scopes: ['items:read'] }] },
    });
    assert.equal(reader.status, 201, JSON.stringify(reader.body));
    const lookAlikes = [
      'reader\u200b',
      'r\u0435ader',
      '\u202eevil',
      'READER',
      '\uff52\uff45\uff41\uff44\uff45\uff52',
      'rèader',
    ];
    for (const name of lookAlikes) {
      const registered = await register(broker, { client_name: name, redirect_uris: ['http://127.0.0.1/cb'] });
      assert.equal(registered.status, 400, `${JSON.stringify(name)}: ${JSON.stringify(registered.body)}`);
      assert.equal(registered.body.error, 'invalid_client_metadata');
      assert.ok(registered.body.error_description, 'the refusal says why');
      assert.ok(!registered.body.error_description.includes('reader'), 'and does not name the agent it resembles');
    }
    for (const name of ['reader\u200b', '\u202eevil', 'ev\u2066il']) {
      const created = await broker.admin('/agents', { body: { name, grants: [] } });
      assert.equal(created.status, 400, JSON.stringify(name));
      assert.equal(created.body.error, 'invalid_name');
    }
    const twin = await broker.admin('/agents', { body: { name: 'r\u0435ader', grants: [] } });
    assert.equal(twin.status, 409);
    assert.equal(twin.body.error, 'agent_exists');
    const renamed = await broker.admin(`/agents/${reader.body.id}`, { method: 'PATCH', body: { name: 'Reader' } });
    assert.equal(renamed.status, 200, 'an agent may take a name that only looks like its own');
    assert.ok(
      !(await broker.admin('/agents')).body.agents.some((a: { name: string }) =>
        /[\u200b\u202e\u2066\u0435]/u.test(a.name),
      ),
    );
  });

  test("item 5: a self-registered request says so, with its redirect host, on the approval screen's data and the consent page", async () => {
    const registered = await register(broker, {
      client_name: 'Desk helper',
      redirect_uris: ['https://desk.example/cb', 'http://127.0.0.1/cb'],
    });
    assert.equal(registered.status, 201, JSON.stringify(registered.body));
    const started = await authorize(broker, {
      client_id: registered.body.client_id,
      redirect_uri: 'https://desk.example/cb',
      scope: 'other:items:read',
    });
    assert.equal(started.status, 302);
    const consent = started.headers.get('location') ?? '';
    assert.match(consent, /^\/consent\/[A-Za-z0-9_-]+$/);
    const approval = (await broker.admin('/approvals')).body.approvals.find(
      (a: { client_id: string }) => a.client_id === registered.body.client_id,
    );
    assert.equal(approval.registered_via, 'dcr');
    assert.deepEqual(approval.redirect_hosts, ['desk.example', '127.0.0.1']);
    const page = await (await fetch(`${broker.url}${consent}`)).text();
    assert.match(page, /Self-registered<\/strong> via dynamic client registration/);
    assert.match(page, /desk\.example/);
  });

  test('item 10: errors for a client nobody approved are an error page, never a redirect to its URI', async () => {
    const phisher = await register(broker, { client_name: 'Phisher', redirect_uris: ['https://evil.example/phish'] });
    assert.equal(phisher.status, 201, JSON.stringify(phisher.body));
    const base = {
      client_id: phisher.body.client_id,
      redirect_uri: 'https://evil.example/phish',
      scope: 'other:items:read',
    };
    const broken: Record<string, string>[] = [
      { response_type: 'token' },
      { code_challenge_method: 'plain' },
      { code_challenge: 'short' },
      { scope: 'not-a-scope' },
    ];
    for (const params of broken) {
      const page = await errorPage(await authorize(broker, { ...base, ...params }));
      assert.ok(!page.includes('evil.example'), JSON.stringify(params));
    }
    // About the redirect URI itself: an error page for any client.
    await errorPage(await authorize(broker, { ...base, redirect_uri: 'https://elsewhere.example/cb' }));
    await errorPage(await authorize(broker, { client_id: phisher.body.client_id, scope: 'other:items:read' }));
  });

  test('item 11: an unapproved client learns neither which connections exist nor what they hold; approved clients and the admin do', async () => {
    const prober = await register(broker, { client_name: 'Prober', redirect_uris: ['http://127.0.0.1/cb'] });
    assert.equal(prober.status, 201, JSON.stringify(prober.body));
    const base = { client_id: prober.body.client_id, redirect_uri: 'http://127.0.0.1:50000/cb' };
    const missing = await errorPage(await authorize(broker, { ...base, scope: 'nope:items:read' }));
    const unheld = await errorPage(await authorize(broker, { ...base, scope: 'other:zzz' }));
    assert.match(missing, /invalid_scope/);
    assert.equal(missing, unheld, 'an unknown connection and an unheld scope read the same');
    for (const leak of ['nope', 'No connection', 'does not hold', 'items:read', 'zzz'])
      assert.ok(!missing.includes(leak), leak);

    // Once the person approved it, the client is told what is wrong (by a redirect to its own URI).
    const started = await authorize(broker, { ...base, scope: 'other:items:read' });
    const approvalId = (started.headers.get('location') ?? '').split('/').pop() as string;
    const decided = await broker.admin(`/approvals/${approvalId}`, { body: { decision: 'approve' } });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    const answered = await authorize(broker, { ...base, scope: 'nope:items:read' });
    assert.equal(answered.status, 302);
    const error = new URL(answered.headers.get('location') ?? '').searchParams;
    assert.equal(error.get('error'), 'invalid_scope');
    assert.match(error.get('error_description') ?? '', /No connection named "nope"/);

    const agent = (await broker.admin('/agents')).body.agents.find(
      (a: { client_id: string }) => a.client_id === prober.body.client_id,
    );
    const adminAnswer = await broker.admin(`/agents/${agent.id}`, {
      method: 'PATCH',
      body: { grants: [{ connection: 'other', scopes: ['zzz'] }] },
    });
    assert.equal(adminAnswer.status, 400);
    assert.deepEqual(
      adminAnswer.body.available_scopes,
      ['items:read', 'items:write'],
      'the admin is told what the connection holds',
    );
  });
});

describe('migration of stored grants to connection ids', () => {
  test('grants naming existing connections are bound to their ids; grants naming gone ones are dropped', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-grants-migration-'));
    const db = new Database(join(dir, 'old.db'));
    try {
      migrate(
        db,
        MIGRATIONS.filter((m) => m.version <= 3),
      );
      db.prepare(
        "INSERT INTO connections (id, name, provider, auth_method, status, created_at, updated_at) VALUES ('c-1', 'github', 'github', 'oauth', 'connected', 0, 0)",
      ).run();
      db.prepare(`INSERT INTO agents (id, name, client_id, client_secret_hash, token_endpoint_auth_method, status, grants, registered_via, created_at, updated_at)
        VALUES ('a-1', 'ci', 'client-1', 'hash', 'client_secret_basic', 'active', ?, 'admin', 0, 0)`).run(
        JSON.stringify([
          { connection: 'github', scopes: ['repo'] },
          { connection: 'gone', scopes: ['*'] },
        ]),
      );
      migrate(db);
      assert.deepEqual(
        JSON.parse(db.prepare<[], string>("SELECT grants FROM agents WHERE id = 'a-1'").pluck().get() as string),
        [{ connection_id: 'c-1', scopes: ['repo'] }],
      );
    } finally {
      db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
