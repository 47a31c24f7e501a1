/**
 * Ask-first grants against the real broker: an agent with `ask: ["items:write"]` calls a
 * stand-in provider API through /proxy. Its writes wait for the person's answer over the admin
 * API; the provider is called only when the person allowed it. The broker's clock is
 * injected, so "allow for 1 hour" is checked without waiting an hour.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { startApiStandIn, type ApiStandIn } from '../fixtures/api-stand-in.js';

const HOLD_TIMEOUT_MS = 1500;
let clock = Date.now();
let broker: TestBroker;
let api: ApiStandIn;
let agentId: string;
let token: string;
let clientSecret: { client_id: string; client_secret: string };

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(
  method: string,
  path: string,
  options: { body?: unknown; signal?: AbortSignal; bearer?: string } = {},
): Promise<Answer> {
  const response = await fetch(`${broker.url}/proxy/acme${path}`, {
    method,
    headers: {
      authorization: `Bearer ${options.bearer ?? token}`,
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

async function approvals(): Promise<any[]> {
  const listed = await broker.admin('/approvals');
  assert.equal(listed.status, 200, JSON.stringify(listed.body));
  return listed.body.approvals;
}

/** The held calls, once there are `count` of them (bounded wait: the call reaches the broker asynchronously). */
async function heldCalls(count: number): Promise<any[]> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const calls = (await approvals()).filter((a) => a.kind === 'call');
    if (calls.length === count) return calls;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.fail(`expected ${count} held calls`);
}

const posts = () => api.requests.filter((r) => r.method === 'POST').length;
const decide = (id: string, body: Record<string, unknown>) => broker.admin(`/approvals/${id}`, { body });

before(async () => {
  api = await startApiStandIn({
    acme: (request) => ({ status: request.method === 'POST' ? 201 : 200, body: { ok: true, path: request.path } }),
  });
  broker = await startTestBroker({
    secretStore: 'file',
    passphrase: 'a long test passphrase',
    askFirst: { timeoutMs: HOLD_TIMEOUT_MS, now: () => clock },
  });
  const added = await broker.admin('/providers', {
    body: {
      id: 'acme',
      name: 'Acme',
      auth: {
        type: 'api_key',
        header: 'Authorization',
        format: 'Bearer {key}',
        scopes: { 'items:read': 'Read items', 'items:write': 'Create items' },
      },
      api: {
        base_url: `${api.url}/acme`,
        rules: [
          { method: 'GET', path: '/api/items/**', scopes: ['items:read'] },
          { method: 'POST', path: '/api/items', scopes: ['items:write'] },
          { method: 'POST', path: '/repos/*/*/issues', scopes: ['items:write'] },
        ],
      },
    },
  });
  assert.equal(added.status, 201, JSON.stringify(added.body));
  const connected = await broker.admin('/connections', {
    body: { provider: 'acme', name: 'acme', secret: 'acme-key', scopes: ['items:read', 'items:write'] },
  });
  assert.equal(connected.status, 201, JSON.stringify(connected.body));
  const created = await broker.admin('/agents', {
    body: {
      name: 'writer',
      grants: [{ connection: 'acme', scopes: ['items:read', 'items:write'], ask: ['items:write'] }],
    },
  });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  assert.deepEqual(created.body.grants, [
    { connection: 'acme', scopes: ['items:read', 'items:write'], ask: ['items:write'] },
  ]);
  agentId = created.body.id;
  clientSecret = { client_id: created.body.client_id, client_secret: created.body.client_secret };
  const minted = await broker.admin(`/agents/${agentId}/token`, { method: 'POST' });
  assert.equal(minted.status, 200, JSON.stringify(minted.body));
  token = minted.body.access_token;
});

after(async () => {
  await broker?.dispose();
  await api?.close();
});

describe('ask-first grants at the proxy', () => {
  test('a POST under an ask scope is held and listed; allowed once it reaches the provider once, and the next POST is held again', async () => {
    const read = await call('GET', '/api/items/1');
    assert.equal(read.status, 200, 'a read under a scope that does not ask goes straight through');

    const before = posts();
    const pending = call('POST', '/repos/person/repo/issues', { body: { title: 'Crash on save' } });
    const [held] = await heldCalls(1);
    assert.equal(posts(), before, 'the provider is not called while the call waits');
    assert.deepEqual(
      { ...held, id: 'ID', created_at: 'T', expires_at: 'T' },
      {
        kind: 'call',
        id: 'ID',
        agent_id: agentId,
        agent_name: 'writer',
        connection: 'acme',
        method: 'POST',
        path: '/repos/person/repo/issues',
        summary: 'create issues in person/repo',
        scopes: ['items:write'],
        body_bytes: Buffer.byteLength(JSON.stringify({ title: 'Crash on save' })),
        status: 'pending',
        created_at: 'T',
        expires_at: 'T',
      },
    );
    assert.ok(
      (await approvals()).every((a) => a.kind === 'call' || a.kind === 'registration'),
      'every listed approval says its kind',
    );

    const decided = await decide(held.id, { decision: 'approve' });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    assert.equal(decided.body.status, 'approved');
    const answered = await pending;
    assert.equal(answered.status, 201);
    assert.equal(posts(), before + 1, 'called once');
    assert.deepEqual(await heldCalls(0), []);

    const again = call('POST', '/api/items', { body: { name: 'second' } });
    const [heldAgain] = await heldCalls(1);
    assert.notEqual(heldAgain.id, held.id);
    assert.equal(posts(), before + 1);
    await decide(heldAgain.id, { decision: 'approve', for: 'once' });
    assert.equal((await again).status, 201);

    // The decisions are audit entries tied to the calls they decided, and each call's entry names its approval.
    const audit = (await broker.admin(`/audit?agent=${agentId}&limit=50`)).body.entries as any[];
    const decision = audit.find((e) => e.kind === 'approval' && e.reason?.includes(held.id));
    assert.ok(decision, 'the decision is audited');
    assert.deepEqual(
      [decision.decision, decision.connection, decision.method, decision.path],
      ['allow', 'acme', 'POST', '/repos/person/repo/issues'],
    );
    const proxied = audit.find((e) => e.kind === 'proxy' && e.path === '/repos/person/repo/issues');
    assert.match(proxied.reason, new RegExp(`call approval ${held.id} approved once`));
    assert.equal(proxied.status, 201);
  });

  test('"allow for 1 hour" lets the next calls through until the hour is over', async () => {
    const pending = call('POST', '/api/items', { body: {} });
    const [held] = await heldCalls(1);
    assert.equal((await decide(held.id, { decision: 'approve', for: '1h' })).status, 200);
    assert.equal((await pending).status, 201);

    const before = posts();
    for (let i = 0; i < 3; i++)
      assert.equal((await call('POST', '/api/items', { body: { i } })).status, 201, 'not held within the hour');
    assert.equal(posts(), before + 3);
    assert.deepEqual(await heldCalls(0), []);

    clock += 59 * 60_000;
    assert.equal((await call('POST', '/api/items', { body: {} })).status, 201, 'still within the hour');
    clock += 60_000;
    const later = call('POST', '/api/items', { body: {} });
    const [heldLater] = await heldCalls(1);
    assert.equal(posts(), before + 4, 'held again once the hour is over');
    await decide(heldLater.id, { decision: 'deny' });
    assert.equal((await later).status, 403);
  });

  test('denied: 403 call_denied and the provider never called', async () => {
    const before = posts();
    const pending = call('POST', '/api/items', { body: { name: 'nope' } });
    const [held] = await heldCalls(1);
    const decided = await decide(held.id, { decision: 'deny' });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    assert.equal(decided.body.status, 'denied');
    const answered = await pending;
    assert.equal(answered.status, 403);
    assert.equal(answered.body.error, 'call_denied');
    assert.equal(answered.body.approval_id, held.id);
    assert.equal(posts(), before);
    const audit = (await broker.admin(`/audit?agent=${agentId}&limit=20`)).body.entries as any[];
    const decision = audit.find((e) => e.kind === 'approval' && e.reason?.includes(held.id));
    assert.equal(decision?.decision, 'deny');
    assert.equal(audit.find((e) => e.kind === 'proxy' && e.reason === 'call_denied')?.status, 403);
  });

  test('no answer in time: 403 approval_timeout with Retry-After, and the provider never called', async () => {
    const before = posts();
    const started = Date.now();
    const answered = await call('POST', '/api/items', { body: {} });
    assert.equal(answered.status, 403);
    assert.equal(answered.body.error, 'approval_timeout');
    assert.ok(Date.now() - started >= HOLD_TIMEOUT_MS - 50, 'it waited for the configured time');
    assert.equal(answered.headers.get('retry-after'), String(Math.ceil(HOLD_TIMEOUT_MS / 1000)));
    assert.equal(posts(), before);
    assert.deepEqual(await heldCalls(0), []);
  });

  test("the agent's own token cannot answer its call; a wrong answer is refused clearly", async () => {
    const pending = call('POST', '/api/items', { body: {} });
    const [held] = await heldCalls(1);
    const byAgent = await fetch(`${broker.url}/admin/api/approvals/${held.id}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ decision: 'approve' }),
    });
    assert.equal(byAgent.status, 401);
    await byAgent.arrayBuffer();
    assert.equal((await decide(held.id, { decision: 'approve', for: 'forever' })).status, 400);
    assert.equal(
      (await decide(held.id, { decision: 'approve', grants: [{ connection: 'acme', scopes: ['items:read'] }] })).status,
      400,
      'grants are for registrations',
    );
    assert.equal((await heldCalls(1))[0].id, held.id, 'still waiting');
    await decide(held.id, { decision: 'deny' });
    assert.equal((await pending).body.error, 'call_denied');
    assert.equal((await decide(held.id, { decision: 'approve' })).status, 404, 'decided calls leave the list');
  });

  test('held calls do not block other calls; a call whose agent hangs up leaves the list', async () => {
    const controller = new AbortController();
    const abandoned = call('POST', '/api/items', { body: {}, signal: controller.signal }).catch(
      (error: Error) => error,
    );
    await heldCalls(1);
    assert.equal((await call('GET', '/api/items/2')).status, 200, 'a read goes through while a write waits');
    controller.abort();
    assert.ok((await abandoned) instanceof Error);
    assert.deepEqual(await heldCalls(0), []);
  });

  test('the kill switch refuses held calls too: paused, they end with 403 paused and leave the list', async () => {
    const before = posts();
    const pending = call('POST', '/api/items', { body: {} });
    await heldCalls(1);
    assert.equal((await broker.admin('/pause', { method: 'POST' })).status, 200);
    const answered = await pending;
    assert.equal(answered.status, 403);
    assert.equal(answered.body.error, 'paused');
    assert.deepEqual(await heldCalls(0), []);
    assert.equal(posts(), before);
    assert.equal((await broker.admin('/resume', { method: 'POST' })).status, 200);
  });

  test('"always" takes the scope out of ask: the next writes go straight through', async () => {
    const pending = call('POST', '/api/items', { body: {} });
    const [held] = await heldCalls(1);
    assert.equal((await decide(held.id, { decision: 'approve', for: 'always' })).status, 200);
    assert.equal((await pending).status, 201);
    const agent = await broker.admin(`/agents/${agentId}`);
    assert.deepEqual(agent.body.grants, [{ connection: 'acme', scopes: ['items:read', 'items:write'] }]);
    assert.equal((await call('POST', '/api/items', { body: {} })).status, 201);
    assert.deepEqual(await heldCalls(0), []);
  });
});

describe('ask-first grants at the MCP tools', () => {
  test('a tool call that writes is held like a proxied one, and runs once the person allows it', async () => {
    const issued = await fetch(`${broker.url}/oauth/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${clientSecret.client_id}:${clientSecret.client_secret}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: `${broker.url}/mcp` }),
    });
    assert.equal(issued.status, 200);
    const mcpToken = ((await issued.json()) as { access_token: string }).access_token;
    const patched = await broker.admin(`/agents/${agentId}`, {
      method: 'PATCH',
      body: { grants: [{ connection: 'acme', scopes: ['items:read', 'items:write'], ask: ['items:write'] }] },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));

    const before = posts();
    const pending = fetch(`${broker.url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
        authorization: `Bearer ${mcpToken}`,
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'acme_request', arguments: { method: 'POST', path: '/api/items', body: { name: 'via mcp' } } },
      }),
    });
    const [held] = await heldCalls(1);
    assert.equal([held.method, held.path, held.summary].join(' '), 'POST /api/items create items');
    assert.equal(posts(), before);
    await decide(held.id, { decision: 'approve' });
    const text = await (await pending).text();
    const payload = /^data: (.*)$/m.exec(text)?.[1] ?? text;
    const result = JSON.parse(JSON.parse(payload).result.content[0].text);
    assert.equal(result.status, 201);
    assert.equal(posts(), before + 1);
  });
});

describe('ask in grants over the admin API', () => {
  test('PATCH sets and clears ask; ask must be within the grant; the default is no ask', async () => {
    const patched = await broker.admin(`/agents/${agentId}`, {
      method: 'PATCH',
      body: { grants: [{ connection: 'acme', scopes: ['*'], ask: ['items:write'] }] },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    assert.deepEqual(patched.body.grants, [{ connection: 'acme', scopes: ['*'], ask: ['items:write'] }]);
    const pending = call('POST', '/api/items', { body: {} });
    const [held] = await heldCalls(1);
    await decide(held.id, { decision: 'deny' });
    assert.equal((await pending).status, 403, 'a "*" grant asks too');

    const outside = await broker.admin(`/agents/${agentId}`, {
      method: 'PATCH',
      body: { grants: [{ connection: 'acme', scopes: ['items:read'], ask: ['items:write'] }] },
    });
    assert.equal(outside.status, 400);
    assert.equal(outside.body.error, 'invalid_grant_scope');

    const cleared = await broker.admin(`/agents/${agentId}`, {
      method: 'PATCH',
      body: { grants: [{ connection: 'acme', scopes: ['items:read', 'items:write'] }] },
    });
    assert.deepEqual(cleared.body.grants, [{ connection: 'acme', scopes: ['items:read', 'items:write'] }]);
    assert.equal((await call('POST', '/api/items', { body: {} })).status, 201);
  });
});
