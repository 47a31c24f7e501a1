/**
 * The whole broker end to end: oidc-provider as the upstream authorization server, a
 * resource server it protects, Latchkey in between, and an agent that only ever holds
 * Latchkey's short-lived tokens. oauth4webapi plays the agent's OAuth client.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import Database from 'better-sqlite3';
import * as oauth from 'oauth4webapi';
import { SignJWT, generateKeyPair } from 'jose';
import { clearTestKeychain, startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { connectFully, setUp } from '../fixtures/connect.js';
import { startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import { startResourceServer, type ResourceServer } from '../fixtures/resource-server.js';

const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function agentToken(broker: TestBroker, clientId: string, clientSecret: string): Promise<string> {
  const as = await oauth.processDiscoveryResponse(
    new URL(broker.url),
    await oauth.discoveryRequest(new URL(broker.url), { algorithm: 'oauth2', ...insecure }),
  );
  const client = { client_id: clientId };
  const response = await oauth.clientCredentialsGrantRequest(
    as,
    client,
    oauth.ClientSecretBasic(clientSecret),
    new URLSearchParams(),
    insecure,
  );
  const result = await oauth.processClientCredentialsResponse(as, client, response);
  return result.access_token;
}

async function proxy(
  broker: TestBroker,
  token: string,
  path: string,
  init: { method?: string; body?: string; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${broker.url}/proxy/${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body ? { body: init.body } : {}),
  });
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: response.status, headers: response.headers, body };
}

function rawRequest(port: number, path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('agents end to end through the broker', () => {
  let provider: TestProvider;
  let resources: ResourceServer;
  let broker: TestBroker;
  let reader: { id: string; client_id: string; client_secret: string };
  let token: string;

  before(async () => {
    provider = await startTestProvider();
    resources = await startResourceServer({ validate: (t) => provider.introspect(t) });
    broker = await startTestBroker();
    await setUp(provider, broker, {
      api: {
        base_url: resources.url,
        rules: [
          { method: 'GET', path: '/api/**', scopes: ['items:read'] },
          { method: 'POST', path: '/api/items', scopes: ['items:write'] },
        ],
      },
    });
    await connectFully(broker);
    const created = await broker.admin('/agents', {
      body: { name: 'reader', grants: [{ connection: 'acme', scopes: ['items:read'] }] },
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    reader = created.body;
  });
  after(async () => {
    await broker.dispose();
    await resources.close();
    await provider.close();
    await clearTestKeychain();
  });

  test('client credentials give a short-lived JWT naming the agent and its grants', async () => {
    token = await agentToken(broker, reader.client_id, reader.client_secret);
    const [, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload as string, 'base64url').toString());
    assert.equal(claims.sub, reader.id);
    assert.equal(claims.scope, 'acme:items:read');
    assert.ok(claims.exp - claims.iat <= 900);
    assert.ok(claims.jti);
  });

  test("a proxied read reaches the API with the connection's token, never the agent's", async () => {
    const res = await proxy(broker, token, 'acme/api/headers?page=2');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(res.body.headers.authorization, /^Bearer /);
    assert.ok(!res.body.headers.authorization.includes(token));
    assert.ok(res.headers.get('x-ratelimit-limit'));
  });

  test('a write outside the grant is 403 with the required and granted scopes', async () => {
    const res = await proxy(broker, token, 'acme/api/items', { method: 'POST', body: '{"name":"x"}' });
    assert.equal(res.status, 403);
    assert.equal(res.body.error, 'insufficient_scope');
    assert.deepEqual(res.body.required_scopes, ['items:write']);
    assert.deepEqual(res.body.granted_scopes, ['items:read']);
    assert.match(res.headers.get('www-authenticate') ?? '', /insufficient_scope/);
  });

  test('an upstream token that stopped working is refreshed once for 50 concurrent calls', async () => {
    const record = broker.core.service.get('acme');
    const stale = (await broker.core.tokens.current(record)).access_token;
    await provider.expireAccessToken(stale); // the provider no longer honours it; the broker does not know yet
    const before = provider.tokenRequests.refresh_token ?? 0;
    const results = await Promise.all(Array.from({ length: 50 }, () => proxy(broker, token, 'acme/api/items')));
    assert.deepEqual(
      results.map((r) => r.status),
      Array(50).fill(200),
    );
    assert.equal(provider.tokenRequests.refresh_token, before + 1);
  });

  test('hostile requests are refused', async () => {
    assert.equal(
      await rawRequest(broker.port, '/proxy/acme/api/items', {
        host: `rebind.example:${broker.port}`,
        authorization: `Bearer ${token}`,
      }),
      421,
    );
    const foreign = await proxy(broker, token, 'acme/api/items', { headers: { origin: 'https://evil.example' } });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.body.error, 'forbidden_origin');
    // Raw requests: fetch would resolve dot segments before sending them.
    for (const path of [
      'acme/api/../../admin/api/status',
      'acme/api/%2e%2e/x',
      'acme/api%2fitems',
      'acme/api/items%0d%0aX-Evil:1',
      'acme/api/%5c..%5cx',
      'acme//evil.example/api',
    ]) {
      assert.equal(
        await rawRequest(broker.port, `/proxy/${path}`, {
          host: `127.0.0.1:${broker.port}`,
          authorization: `Bearer ${token}`,
        }),
        400,
        path,
      );
    }
    const [header, payload] = token.split('.') as [string, string];
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), scope: 'acme:*' })).toString('base64url')}.${token.split('.')[2]}`;
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(JSON.parse(Buffer.from(payload, 'base64url').toString()))
      .setProtectedHeader({ alg: 'ES256', kid: JSON.parse(Buffer.from(header, 'base64url').toString()).kid })
      .sign(privateKey);
    for (const bad of [none, tampered, forged, 'not-a-jwt']) {
      const res = await proxy(broker, bad, 'acme/api/items');
      assert.equal(res.status, 401);
      assert.equal(res.body.error, 'invalid_token');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer .*error="invalid_token"/);
    }
    assert.equal(
      await rawRequest(broker.port, '/proxy/acme/api/items', {
        host: `127.0.0.1:${broker.port}`,
        authorization: `Bearer ${token}`,
        'x-pad': 'p'.repeat(20_000),
      }),
      431,
    );
  });

  test("an interactive agent: registration, PKCE, the person's approval, code exchange, rotating refresh", async () => {
    const issuer = new URL(broker.url);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
    const redirectUri = 'http://127.0.0.1:53682/callback';
    const registered = await oauth.processDynamicClientRegistrationResponse(
      await oauth.dynamicClientRegistrationRequest(
        as,
        {
          client_name: 'Interactive CLI',
          redirect_uris: ['http://127.0.0.1/callback'],
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
        },
        insecure,
      ),
    );
    const client = { client_id: registered.client_id };
    const verifier = oauth.generateRandomCodeVerifier();
    const state = oauth.generateRandomState();
    const authorize = new URL(as.authorization_endpoint as string);
    for (const [k, v] of Object.entries({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      state,
      scope: 'acme:items:read',
      code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    }))
      authorize.searchParams.set(k, v);
    const toConsent = await fetch(authorize, { redirect: 'manual' });
    assert.equal(toConsent.status, 302);
    const consent = new URL(toConsent.headers.get('location') as string, broker.url);
    assert.match(consent.pathname, /^\/consent\/[^/]+$/);
    const status = async () =>
      (await (await fetch(`${consent.href}/status`)).json()) as { status: string; redirect_to?: string };
    assert.equal((await status()).status, 'pending');
    // Only the admin API decides: the agent cannot approve its own request.
    const approvalId = consent.pathname.split('/')[2] as string;
    assert.equal(
      (
        await fetch(`${broker.url}/admin/api/approvals/${approvalId}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: '{"decision":"approve"}',
        })
      ).status,
      401,
    );
    assert.equal((await broker.admin(`/approvals/${approvalId}`, { body: { decision: 'approve' } })).status, 200);
    const decided = await status();
    assert.equal(decided.status, 'approved');
    const callback = new URL(decided.redirect_to as string);
    assert.equal(callback.origin + callback.pathname, redirectUri);
    const params = oauth.validateAuthResponse(as, client, callback, state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      client,
      await oauth.authorizationCodeGrantRequest(as, client, oauth.None(), params, redirectUri, verifier, insecure),
    );
    assert.equal((await proxy(broker, tokens.access_token, 'acme/api/items')).status, 200);
    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token as string, insecure),
    );
    assert.notEqual(refreshed.refresh_token, tokens.refresh_token);
    assert.equal((await proxy(broker, refreshed.access_token, 'acme/api/items')).status, 200);
    await assert.rejects(
      async () =>
        oauth.processRefreshTokenResponse(
          as,
          client,
          await oauth.refreshTokenGrantRequest(as, client, oauth.None(), tokens.refresh_token as string, insecure),
        ),
      (error: oauth.ResponseBodyError) => error.error === 'invalid_grant',
    );
  });

  test('the kill switch refuses every agent request until resumed', async () => {
    assert.deepEqual((await broker.admin('/pause', { method: 'POST' })).body, { paused: true });
    const refused = await proxy(broker, token, 'acme/api/items');
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'paused');
    assert.deepEqual((await broker.admin('/resume', { method: 'POST' })).body, { paused: false });
    assert.equal((await proxy(broker, token, 'acme/api/items')).status, 200);
  });

  test('revoking the agent makes its next request fail with token_revoked, at once', async () => {
    assert.equal((await proxy(broker, token, 'acme/api/items')).status, 200);
    const revoked = await broker.admin(`/agents/${reader.id}/revoke`, { method: 'POST' });
    assert.equal(revoked.status, 200, JSON.stringify(revoked.body));
    const res = await proxy(broker, token, 'acme/api/items');
    assert.equal(res.status, 401);
    assert.equal(res.body.error, 'token_revoked');
    assert.ok(res.body.token_endpoint);
  });

  test('the audit log holds every step, and its chain exposes tampering', async () => {
    const { body } = await broker.admin(`/audit?agent=${reader.id}&limit=500`);
    const entries = body.entries as {
      kind: string;
      decision: string;
      status: number | null;
      reason: string | null;
      path: string | null;
      id: number;
    }[];
    assert.ok(
      entries.some((e) => e.kind === 'token' && e.decision === 'allow'),
      'token issuance',
    );
    assert.ok(
      entries.filter((e) => e.kind === 'proxy' && e.decision === 'allow' && e.status === 200).length >= 52,
      'proxied calls',
    );
    assert.ok(
      entries.some(
        (e) => e.kind === 'proxy' && e.decision === 'deny' && e.status === 403 && e.reason === 'insufficient_scope',
      ),
      'scope denial',
    );
    assert.ok(
      entries.some((e) => e.decision === 'deny' && e.reason === 'paused'),
      'refused while paused',
    );
    assert.ok(
      entries.some((e) => e.decision === 'deny' && e.status === 401),
      'revoked token denial',
    );
    assert.ok(
      entries.some((e) => e.kind === 'revocation' || (e.kind === 'agent' && /revok/.test(e.reason ?? ''))),
      'revocation',
    );
    assert.ok(
      entries.every((e) => !(e.path ?? '').includes('page=2')),
      'query values redacted',
    );
    assert.deepEqual((await broker.admin('/audit/verify')).body.ok, true);

    const db = new Database(`${broker.dataDir}/latchkey.db`);
    const victim = entries.find((e) => e.status === 403) as { id: number };
    db.prepare('UPDATE audit SET status = 200 WHERE id = ?').run(victim.id);
    db.close();
    const verdict = (await broker.admin('/audit/verify')).body;
    assert.equal(verdict.ok, false);
    assert.equal(verdict.first_bad, victim.id);
  });
});
