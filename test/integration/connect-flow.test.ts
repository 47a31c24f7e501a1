import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { authorize, ScriptedBrowser } from '../fixtures/browser.js';
import { connect, setUp } from '../fixtures/connect.js';
import { PUBLIC_CLIENT_ID, startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import {
  clearTestKeychain,
  filesContaining,
  startTestBroker,
  testKeychainEntries,
  type TestBroker,
} from '../fixtures/broker.js';

/** The credential the broker keeps for a connection, read straight from the Secret Service. */
async function keychainCredential(broker: TestBroker, name: string) {
  const record = broker.core.service.get(name);
  const entry = (await testKeychainEntries()).find((e) => e.account.endsWith(`/connection/${record.id}`));
  assert.ok(entry, `no keychain entry for ${name}`);
  return JSON.parse(entry.password) as { access_token: string; refresh_token?: string; expires_at: number | null };
}

/** Redeems a refresh token directly at the provider, as an attacker holding it would. */
async function useRefreshToken(provider: TestProvider, refreshToken: string) {
  const response = await fetch(`${provider.issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      refresh_token: refreshToken,
      client_id: PUBLIC_CLIENT_ID,
    }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

describe('connect flow against a real oidc-provider', () => {
  let provider: TestProvider;
  let broker: TestBroker;

  before(async () => {
    provider = await startTestProvider();
    broker = await startTestBroker();
    await setUp(provider, broker);
  });
  after(async () => {
    await broker.dispose();
    await provider.close();
    await clearTestKeychain();
  });

  test('the authorization request carries PKCE S256, a state and the loopback redirect URI', async () => {
    const started = await broker.admin('/connections', { body: { provider: 'acme', name: 'probe' } });
    const url = new URL(started.body.authorize_url);
    assert.equal(url.origin + url.pathname, `${provider.issuer}/auth`);
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.match(url.searchParams.get('code_challenge') ?? '', /^[A-Za-z0-9_-]{43}$/);
    assert.ok((url.searchParams.get('state') ?? '').length >= 32);
    assert.equal(url.searchParams.get('redirect_uri'), `http://127.0.0.1:${broker.port}/oauth/callback`);
    assert.equal(url.searchParams.get('scope'), 'openid email offline_access items:read');
    assert.equal(started.body.redirect_uri, `http://127.0.0.1:${broker.port}/oauth/callback`);
  });

  test('login and consent at the provider, then the callback stores the connection', async () => {
    const before = provider.tokenRequests.authorization_code ?? 0;
    const { started, browser, callback } = await connect(broker);
    assert.match(callback, /[?&]code=/);
    const page = await browser.get(callback);
    assert.equal(page.status, 200, page.body);
    assert.match(page.body, /Connected to acme/);
    assert.match(page.body, /you can close this tab/i);
    assert.equal(provider.tokenRequests.authorization_code, before + 1);

    const flow = await broker.admin(`/connections/flows/${started.flow_id}`);
    assert.equal(flow.body.status, 'connected');
    assert.equal(flow.body.connection.name, 'acme');

    const { body } = await broker.admin('/connections');
    const acme = body.connections.find((c: { name: string }) => c.name === 'acme');
    assert.equal(acme.account, 'alice@example.test');
    assert.equal(acme.status, 'connected');
    assert.equal(acme.auth_method, 'oauth');
    assert.deepEqual([...acme.scopes].sort(), ['email', 'items:read', 'offline_access', 'openid']);
    assert.ok(Date.parse(acme.expires_at) > Date.now());
  });

  test('no token string appears in the data dir, the admin API or the OpenAPI document', async () => {
    const credential = await keychainCredential(broker, 'acme');
    assert.ok(credential.access_token.length > 20 && credential.refresh_token);
    for (const secret of [credential.access_token, credential.refresh_token as string]) {
      assert.deepEqual(filesContaining(broker.dataDir, secret), []);
      const listed = JSON.stringify((await broker.admin('/connections')).body);
      assert.ok(!listed.includes(secret));
    }
  });

  test("the provider verifies PKCE: the code is useless without the broker's verifier", async () => {
    const { browser, callback } = await connect(broker, { provider: 'acme', name: 'pkce-probe' });
    const code = new URL(callback).searchParams.get('code') as string;
    const response = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        code,
        client_id: PUBLIC_CLIENT_ID,
        redirect_uri: `http://127.0.0.1:${broker.port}/oauth/callback`,
        code_verifier: 'x'.repeat(43),
      }),
    });
    const body = (await response.json()) as { error: string; error_description: string };
    assert.equal(response.status, 400);
    assert.equal(body.error, 'invalid_grant');
    // The same code still works with the verifier only the broker holds.
    const page = await browser.get(callback);
    assert.equal(page.status, 200, page.body);
  });

  test('refresh rotates the refresh token and the old one stops working', async () => {
    const { browser, callback } = await connect(broker, { provider: 'acme', name: 'rotation' });
    assert.equal((await browser.get(callback)).status, 200);
    const old = await keychainCredential(broker, 'rotation');
    const before = provider.tokenRequests.refresh_token ?? 0;
    const refreshed = await broker.admin('/connections/rotation/refresh', { method: 'POST' });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(provider.tokenRequests.refresh_token, before + 1);
    const current = await keychainCredential(broker, 'rotation');
    assert.notEqual(current.access_token, old.access_token);
    assert.notEqual(current.refresh_token, old.refresh_token);
    const reuse = await useRefreshToken(provider, old.refresh_token as string);
    assert.equal(reuse.status, 400);
    assert.equal(reuse.body.error, 'invalid_grant');
    // Reuse of a rotated token makes the provider revoke the whole grant (OAuth 2.1 §4.3.1):
    // the broker's next refresh learns it and asks the person to reconnect.
    const after = await broker.admin('/connections/rotation/refresh', { method: 'POST' });
    assert.equal(after.status, 412);
    assert.equal(after.body.error, 'reauthorization_required');
  });

  test('50 concurrent refresh triggers cause exactly one token request', async () => {
    const record = broker.core.service.get('acme');
    const before = provider.tokenRequests.refresh_token ?? 0;
    const results = await Promise.all(Array.from({ length: 50 }, () => broker.core.tokens.refresh(record)));
    assert.equal(provider.tokenRequests.refresh_token, before + 1);
    assert.equal(new Set(results.map((r) => r.access_token)).size, 1);
  });

  test('a callback whose state belongs to no flow is rejected and the flow stays pending', async () => {
    const { started, browser, callback } = await connect(broker, { provider: 'acme', name: 'state-probe' });
    const forged = new URL(callback);
    forged.searchParams.set('state', 'not-the-state-we-sent');
    const page = await browser.get(forged.href);
    assert.equal(page.status, 400);
    assert.match(page.body, /does not belong to any connect flow/);
    assert.equal((await broker.admin(`/connections/flows/${started.flow_id}`)).body.status, 'pending');
  });

  test('a replayed callback (the same code and state) is rejected', async () => {
    const { browser, callback } = await connect(broker, { provider: 'acme', name: 'replay-probe' });
    assert.equal((await browser.get(callback)).status, 200);
    const again = await browser.get(callback);
    assert.equal(again.status, 400);
    assert.match(again.body, /already used/);
  });

  test("the provider's own error (access_denied) fails the flow with that error", async () => {
    const started = await broker.admin('/connections', { body: { provider: 'acme', name: 'denied-probe' } });
    const state = new URL(started.body.authorize_url).searchParams.get('state') as string;
    const page = await fetch(
      `${broker.url}/oauth/callback?${new URLSearchParams({ error: 'access_denied', error_description: 'The person said no', state, iss: provider.issuer })}`,
    );
    assert.equal(page.status, 400);
    assert.match(await page.text(), /access_denied/);
    const flow = await broker.admin(`/connections/flows/${started.body.flow_id}`);
    assert.equal(flow.body.status, 'failed');
    assert.equal(flow.body.error, 'authorization_failed');
    assert.equal(flow.body.provider_error, 'access_denied');
    assert.match(flow.body.error_description, /The person said no/);
  });

  test('invalid_grant on refresh turns the connection into needs_reauth and keeps its data', async () => {
    const { browser, callback } = await connect(broker, { provider: 'acme', name: 'revoked-upstream' });
    assert.equal((await browser.get(callback)).status, 200);
    const credential = await keychainCredential(broker, 'revoked-upstream');
    // The person revokes Latchkey's access at the provider.
    const revoke = await fetch(`${provider.issuer}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: credential.refresh_token as string, client_id: PUBLIC_CLIENT_ID }),
    });
    assert.equal(revoke.status, 200);
    const refreshed = await broker.admin('/connections/revoked-upstream/refresh', { method: 'POST' });
    assert.equal(refreshed.status, 412);
    assert.equal(refreshed.body.error, 'reauthorization_required');
    const listed = (await broker.admin('/connections')).body.connections.find(
      (c: { name: string }) => c.name === 'revoked-upstream',
    );
    assert.equal(listed.status, 'needs_reauth');
    assert.equal(listed.account, 'alice@example.test');
    assert.deepEqual([...listed.scopes].sort(), ['email', 'items:read', 'offline_access', 'openid']);
    assert.ok(listed.last_error);

    // Reconnecting under the same name brings it back.
    const again = await connect(broker, { provider: 'acme', name: 'revoked-upstream' });
    assert.equal((await again.browser.get(again.callback)).status, 200);
    const back = (await broker.admin('/connections')).body.connections.find(
      (c: { name: string }) => c.name === 'revoked-upstream',
    );
    assert.equal(back.status, 'connected');
  });

  test('disconnect revokes at the provider and forgets the tokens and the row', async () => {
    const credential = await keychainCredential(broker, 'acme');
    const record = broker.core.service.get('acme');
    const revocationsBefore = provider.revocations;
    const deleted = await broker.admin('/connections/acme', { method: 'DELETE' });
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));
    assert.deepEqual(deleted.body, { deleted: true, revoked_at_provider: true });
    assert.ok(provider.revocations > revocationsBefore);
    assert.equal((await useRefreshToken(provider, credential.refresh_token as string)).body.error, 'invalid_grant');
    assert.ok(!(await testKeychainEntries()).some((e) => e.account.endsWith(`/connection/${record.id}`)));
    const listed = (await broker.admin('/connections')).body.connections.map((c: { name: string }) => c.name);
    assert.ok(!listed.includes('acme'));
    assert.equal((await broker.admin('/connections/acme', { method: 'DELETE' })).status, 404);
  });
});

describe('connect flow lifetimes and token expiry', () => {
  let provider: TestProvider;

  before(async () => {
    provider = await startTestProvider({ accessTokenTtl: 2 });
  });
  after(async () => {
    await provider.close();
    await clearTestKeychain();
  });

  test('an expired flow is rejected at the callback and reported as failed', async () => {
    const broker = await startTestBroker({ flowTtlMs: 300 });
    try {
      await setUp(provider, broker);
      const started = await broker.admin('/connections', { body: { provider: 'acme', name: 'slow' } });
      await new Promise((resolve) => setTimeout(resolve, 400));
      const browser = new ScriptedBrowser();
      const callback = await authorize(browser, started.body.authorize_url, `${broker.url}/oauth/callback`);
      const page = await browser.get(callback);
      assert.equal(page.status, 400);
      assert.match(page.body, /expired/);
      const flow = await broker.admin(`/connections/flows/${started.body.flow_id}`);
      assert.equal(flow.body.status, 'failed');
      assert.equal(flow.body.error, 'flow_expired');
    } finally {
      await broker.dispose();
    }
  });

  test('a 2-second token is refreshed proactively shortly before it expires', async () => {
    const broker = await startTestBroker();
    try {
      await setUp(provider, broker);
      const { browser, callback } = await connect(broker, { provider: 'acme', name: 'short' });
      assert.equal((await browser.get(callback)).status, 200);
      const first = await keychainCredential(broker, 'short');
      const lifetime = (first.expires_at as number) - Date.now();
      assert.ok(lifetime > 1000 && lifetime <= 2000, `lifetime ${lifetime}`);
      const before = provider.tokenRequests.refresh_token ?? 0;
      // Nothing asks for the token: the timer alone refreshes it, a tenth of its life early.
      for (let waited = 0; (provider.tokenRequests.refresh_token ?? 0) === before && waited < 5000; waited += 50) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      assert.ok((provider.tokenRequests.refresh_token ?? 0) > before, 'no proactive refresh within 5 s');
      const next = await keychainCredential(broker, 'short');
      assert.notEqual(next.access_token, first.access_token);
      assert.ok((next.expires_at as number) > (first.expires_at as number));
      assert.ok(
        (provider.tokenRequestArrivals.refresh_token as number) < (first.expires_at as number),
        'refreshed before expiry',
      );
      const listed = (await broker.admin('/connections')).body.connections.find(
        (c: { name: string }) => c.name === 'short',
      );
      assert.equal(listed.status, 'connected');
    } finally {
      await broker.dispose();
    }
  });
});
