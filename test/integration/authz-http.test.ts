/**
 * Latchkey's authorization server over real HTTP on loopback, driven by oauth4webapi as
 * the agent's OAuth client: its response validation is our conformance check.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EventEmitter, once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import * as jose from 'jose';
import * as oauth from 'oauth4webapi';
import { chromium } from 'playwright-core';
import { browserLaunchOptions } from '../setup/find-browser.js';
import type Database from 'better-sqlite3';
import type { AuditInput } from '../../main/core/audit/audit-log.js';
import { authzAdminRoutes } from '../../main/core/authz/admin-routes.js';
import { oauthRoutes } from '../../main/core/authz/oauth-routes.js';
import { openAuthz, type Authz } from '../../main/core/authz/open-authz.js';
import { LatchkeyError } from '../../main/core/errors.js';
import { adminAuthHook } from '../../main/core/http/admin-auth.js';
import { openDatabase } from '../fixtures/database.js';
import { Vault } from '../../main/core/vault/vault.js';
import { MemoryBackend } from '../fixtures/memory-backend.js';

const ADMIN_TOKEN = 'admin-token-for-the-authz-http-test-0123456789';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

const CONNECTIONS = new Map([
  ['github', { id: 'id-github', name: 'github', scopes: ['gist', 'read:user', 'repo'] }],
  ['slack', { id: 'id-slack', name: 'slack', scopes: ['channels:read', 'chat:write'] }],
]);

let dir: string;
let db: Database.Database;
let app: FastifyInstance;
let authority: Authz;
let issuer: string;
let as: oauth.AuthorizationServer;
const audit: AuditInput[] = [];

async function admin(
  path: string,
  init: { method?: string; body?: unknown; token?: string | null } = {},
): Promise<{ status: number; body: any }> {
  const token = init.token === undefined ? ADMIN_TOKEN : init.token;
  const response = await fetch(`${issuer}/admin/api${path}`, {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(token === null ? {} : { authorization: `Bearer ${token}` }),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

const form = (params: Record<string, string>, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
  body: new URLSearchParams(params).toString(),
});

async function createAgent(name: string, grants = [{ connection: 'github', scopes: ['repo'] }]) {
  const { status, body } = await admin('/agents', { body: { name, grants } });
  assert.equal(status, 201, JSON.stringify(body));
  return body as { id: string; client_id: string; client_secret: string; name: string; status: string };
}

/** Self-registered agents so far: each registers under a name of its own. */
let registrations = 0;

/** Registers an interactive agent through DCR and starts an authorization request (PKCE S256). */
async function startInteractive(
  options: { registered?: string; redirectUri?: string; auth?: 'none' | 'client_secret_basic'; scope?: string } = {},
) {
  const registered = options.registered ?? 'http://127.0.0.1/callback';
  const redirectUri = options.redirectUri ?? 'http://127.0.0.1:49152/callback';
  const metadata = await oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(
      as,
      {
        redirect_uris: [registered],
        token_endpoint_auth_method: options.auth ?? 'none',
        client_name: `Desk agent ${++registrations}`,
        grant_types: ['authorization_code', 'refresh_token'],
      },
      insecure,
    ),
  );
  const client: oauth.Client = {
    client_id: metadata.client_id,
    token_endpoint_auth_method: metadata.token_endpoint_auth_method as string,
  };
  const clientAuth = metadata.client_secret ? oauth.ClientSecretBasic(metadata.client_secret as string) : oauth.None();
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint as string);
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: redirectUri,
    scope: options.scope ?? 'github:repo',
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  }).toString();
  const response = await fetch(url, { redirect: 'manual' });
  return { metadata, client, clientAuth, verifier, state, redirectUri, authorizeUrl: url, response };
}

const consentId = (response: Response): string => {
  assert.equal(response.status, 302);
  const location = response.headers.get('location') ?? '';
  assert.match(location, /^\/consent\/[A-Za-z0-9_-]+$/);
  return location.split('/').pop() as string;
};

const consentStatus = async (id: string): Promise<{ status: string; redirect_to?: string }> =>
  (await fetch(`${issuer}/consent/${id}/status`)).json() as Promise<{ status: string; redirect_to?: string }>;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-authz-http-'));
  db = openDatabase(join(dir, 'latchkey.db'));
  // The broker's ajv settings: reject, never coerce or strip.
  app = Fastify({
    logger: false,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
  });
  // The broker's root error handler (http/server.ts), which the admin routes rely on.
  app.setErrorHandler((error: FastifyError | LatchkeyError, _request, reply) => {
    if (error instanceof LatchkeyError) return reply.code(error.status).send(error.toJSON());
    return reply
      .code(error.statusCode ?? 500)
      .send({ error: error.validation ? 'invalid_request' : 'internal_error', error_description: error.message });
  });
  authority = await openAuthz({
    db,
    vault: new Vault(new MemoryBackend()),
    issuer: () => issuer,
    connections: {
      getByName: (name) => CONNECTIONS.get(name),
      getById: (id) => [...CONNECTIONS.values()].find((c) => c.id === id),
    },
    audit: { append: async (input) => void audit.push(input) },
    events: new EventEmitter(),
  });
  await app.register((scope) => oauthRoutes(scope, authority));
  await app.register(
    async (scope) => {
      scope.addHook(
        'onRequest',
        adminAuthHook(ADMIN_TOKEN, () => false),
      );
      await scope.register((inner) => authzAdminRoutes(inner, authority));
    },
    { prefix: '/admin/api' },
  );
  await app.listen({ host: '127.0.0.1', port: 0 });
  issuer = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  as = await oauth.processDiscoveryResponse(
    new URL(issuer),
    await oauth.discoveryRequest(new URL(issuer), { algorithm: 'oauth2', ...insecure }),
  );
});

after(async () => {
  await app?.close();
  db?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('discovery', () => {
  test('RFC 8414 metadata accepted by oauth4webapi', () => {
    assert.equal(as.issuer, issuer);
    assert.equal(as.authorization_endpoint, `${issuer}/oauth/authorize`);
    assert.equal(as.token_endpoint, `${issuer}/oauth/token`);
    assert.equal(as.revocation_endpoint, `${issuer}/oauth/revoke`);
    assert.equal(as.registration_endpoint, `${issuer}/oauth/register`);
    assert.equal(as.jwks_uri, `${issuer}/oauth/jwks.json`);
    assert.deepEqual(as.response_types_supported, ['code']);
    assert.deepEqual(as.code_challenge_methods_supported, ['S256']);
    assert.deepEqual([...(as.grant_types_supported ?? [])].sort(), [
      'authorization_code',
      'client_credentials',
      'refresh_token',
    ]);
    assert.deepEqual(as.token_endpoint_auth_methods_supported, ['client_secret_basic', 'client_secret_post', 'none']);
    assert.equal(as.authorization_response_iss_parameter_supported, true);
  });
});

describe('headless agents (client_credentials)', () => {
  test('the admin creates an agent; its token is a JWT that verifies against the jwks_uri', async () => {
    const created = await createAgent('ci-bot', [{ connection: 'github', scopes: ['repo', 'gist'] }]);
    assert.equal(created.status, 'active');
    assert.equal(typeof created.client_secret, 'string');
    const listed = await admin('/agents');
    assert.equal(listed.status, 200);
    assert.ok(!JSON.stringify(listed.body).includes(created.client_secret), 'the secret is shown once only');
    assert.ok(!JSON.stringify(listed.body).includes('client_secret'), 'neither the secret nor its hash is listed');

    const client: oauth.Client = { client_id: created.client_id };
    for (const clientAuth of [
      oauth.ClientSecretBasic(created.client_secret),
      oauth.ClientSecretPost(created.client_secret),
    ]) {
      const response = await oauth.clientCredentialsGrantRequest(
        as,
        client,
        clientAuth,
        new URLSearchParams({ scope: 'github:repo' }),
        insecure,
      );
      assert.equal(response.headers.get('cache-control'), 'no-store');
      const tokens = await oauth.processClientCredentialsResponse(as, client, response);
      assert.equal(tokens.token_type, 'bearer');
      assert.equal(tokens.scope, 'github:repo');
      assert.ok((tokens.expires_in as number) <= 900);

      const { payload, protectedHeader } = await jose.jwtVerify(
        tokens.access_token,
        jose.createRemoteJWKSet(new URL(as.jwks_uri as string)),
        {
          issuer,
          audience: `${issuer}/proxy`,
          algorithms: ['ES256'],
          typ: 'at+jwt',
        },
      );
      assert.equal(payload.sub, created.id);
      assert.equal(payload.client_id, created.client_id);
      assert.equal(protectedHeader.alg, 'ES256');
      // RFC 9068 as oauth4webapi (a resource server's view) checks it.
      const claims = await oauth.validateJwtAccessToken(
        as,
        new Request(`${issuer}/proxy/github/user`, { headers: { authorization: `Bearer ${tokens.access_token}` } }),
        `${issuer}/proxy`,
        insecure,
      );
      assert.equal(claims.sub, created.id);
    }
  });

  test('a wrong secret is 401 invalid_client with a Basic challenge; errors are RFC 6749 JSON and audited', async () => {
    const created = await createAgent('wrong-secret');
    const client: oauth.Client = { client_id: created.client_id };
    await assert.rejects(
      oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(
          as,
          client,
          oauth.ClientSecretBasic('not-the-secret'),
          new URLSearchParams(),
          insecure,
        ),
      ),
      (error: unknown) => {
        assert.ok(error instanceof oauth.WWWAuthenticateChallengeError);
        assert.equal(error.cause[0]?.scheme, 'basic');
        assert.equal(error.response.status, 401);
        return true;
      },
    );
    const raw = await fetch(
      `${issuer}/oauth/token`,
      form({ grant_type: 'client_credentials', client_id: created.client_id, client_secret: 'nope' }),
    );
    assert.equal(raw.status, 401);
    assert.match(raw.headers.get('www-authenticate') ?? '', /^Basic /);
    assert.equal(raw.headers.get('cache-control'), 'no-store');
    const body = (await raw.json()) as { error: string; error_description: string };
    assert.equal(body.error, 'invalid_client');
    assert.equal(typeof body.error_description, 'string');
    assert.ok(audit.some((e) => e.kind === 'token' && e.decision === 'deny' && e.agent_id === created.id));

    const unsupported = await fetch(
      `${issuer}/oauth/token`,
      form({ grant_type: 'password', username: 'u', password: 'p' }),
    );
    assert.equal(unsupported.status, 400);
    assert.equal(((await unsupported.json()) as { error: string }).error, 'unsupported_grant_type');
    const json = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    assert.equal(json.status, 400);
    assert.equal(((await json.json()) as { error: string }).error, 'invalid_request');
    const repeated = await fetch(`${issuer}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials&grant_type=client_credentials',
    });
    assert.equal(((await repeated.json()) as { error: string }).error, 'invalid_request');
    const missing = await fetch(`${issuer}/oauth/token`, form({}));
    assert.equal(((await missing.json()) as { error: string }).error, 'invalid_request');
  });

  test('the RFC 7009 revocation endpoint revokes an access token at once; unknown tokens get 200', async () => {
    const created = await createAgent('revoker');
    const client: oauth.Client = { client_id: created.client_id };
    const clientAuth = oauth.ClientSecretBasic(created.client_secret);
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, clientAuth, new URLSearchParams(), insecure),
    );
    await authority.verification.verifyAccessToken(tokens.access_token);
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, clientAuth, tokens.access_token, insecure),
    );
    await assert.rejects(authority.verification.verifyAccessToken(tokens.access_token), { code: 'token_revoked' });
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, clientAuth, 'never-issued', insecure),
    );
    const unauthenticated = await fetch(
      `${issuer}/oauth/revoke`,
      form({ token: tokens.access_token, client_id: created.client_id }),
    );
    assert.equal(unauthenticated.status, 401);
  });
});

describe('interactive agents (authorization_code + PKCE)', () => {
  test('DCR → authorize → consent → admin approval → code → tokens → refresh rotation → reuse detected', async () => {
    const flow = await startInteractive();
    const id = consentId(flow.response);
    assert.equal(flow.response.headers.get('cache-control'), 'no-store');

    const pending = (await admin('/agents')).body.agents.find(
      (a: { client_id: string }) => a.client_id === flow.client.client_id,
    );
    assert.equal(pending.status, 'pending');
    assert.equal(pending.registered_via, 'dcr');

    const page = await fetch(`${issuer}/consent/${id}`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
    const html = await page.text();
    assert.match(html, /Desk agent/);
    assert.match(html, /github:repo/);
    assert.match(html, /127\.0\.0\.1:49152/);
    assert.match(html, /Waiting for approval in Latchkey/);
    assert.match(html, /<script src="\/consent\/consent\.js"><\/script>/);
    assert.ok(!/<script>/.test(html), 'no inline script');
    const script = await fetch(`${issuer}/consent/consent.js`);
    assert.equal(script.status, 200);
    assert.match(script.headers.get('content-type') ?? '', /^text\/javascript/);
    assert.match(await script.text(), /status/);

    assert.deepEqual(await consentStatus(id), { status: 'pending' });
    const approvals = await admin('/approvals');
    assert.equal(approvals.body.approvals[0].id, id, 'pending first');
    assert.equal(approvals.body.approvals[0].status, 'pending');
    const decided = await admin(`/approvals/${id}`, { body: { decision: 'approve' } });
    assert.equal(decided.status, 200, JSON.stringify(decided.body));
    assert.equal(decided.body.status, 'approved');
    assert.deepEqual(decided.body.granted, [{ connection: 'github', scopes: ['repo'] }]);
    assert.equal((await admin(`/agents/${pending.id}`)).body.status, 'active');

    const status = await consentStatus(id);
    assert.equal(status.status, 'approved');
    const callback = new URL(status.redirect_to as string);
    assert.equal(callback.searchParams.get('state'), flow.state);
    assert.ok(callback.searchParams.get('code'));
    const params = oauth.validateAuthResponse(as, flow.client, callback, flow.state);
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      flow.client,
      await oauth.authorizationCodeGrantRequest(
        as,
        flow.client,
        flow.clientAuth,
        params,
        flow.redirectUri,
        flow.verifier,
        insecure,
      ),
    );
    assert.equal(tokens.scope, 'github:repo');
    assert.ok(tokens.refresh_token);
    assert.equal((await authority.verification.verifyAccessToken(tokens.access_token)).agent_id, pending.id);

    const rotated = await oauth.processRefreshTokenResponse(
      as,
      flow.client,
      await oauth.refreshTokenGrantRequest(as, flow.client, flow.clientAuth, tokens.refresh_token as string, insecure),
    );
    assert.ok(rotated.refresh_token);
    assert.notEqual(rotated.refresh_token, tokens.refresh_token);
    await authority.verification.verifyAccessToken(rotated.access_token);

    await assert.rejects(
      oauth.processRefreshTokenResponse(
        as,
        flow.client,
        await oauth.refreshTokenGrantRequest(
          as,
          flow.client,
          flow.clientAuth,
          tokens.refresh_token as string,
          insecure,
        ),
      ),
      (error: unknown) =>
        error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant' && error.status === 400,
    );
    // The family is gone: the newest refresh token and its access token too.
    await assert.rejects(
      oauth.processRefreshTokenResponse(
        as,
        flow.client,
        await oauth.refreshTokenGrantRequest(
          as,
          flow.client,
          flow.clientAuth,
          rotated.refresh_token as string,
          insecure,
        ),
      ),
      (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant',
    );
    await assert.rejects(authority.verification.verifyAccessToken(rotated.access_token), { code: 'token_revoked' });
  });

  test('a confidential client authenticates at the token endpoint; a denial redirects with access_denied', async () => {
    const flow = await startInteractive({ auth: 'client_secret_basic' });
    assert.equal(typeof flow.metadata.client_secret, 'string');
    const id = consentId(flow.response);
    assert.equal((await admin(`/approvals/${id}`, { body: { decision: 'deny' } })).body.status, 'denied');
    const status = await consentStatus(id);
    assert.equal(status.status, 'denied');
    assert.throws(
      () => oauth.validateAuthResponse(as, flow.client, new URL(status.redirect_to as string), flow.state),
      (error: unknown) => {
        assert.ok(error instanceof oauth.AuthorizationResponseError);
        assert.equal(error.error, 'access_denied');
        return true;
      },
    );

    // Asking again and being approved works, with the client secret.
    const again = await fetch(flow.authorizeUrl, { redirect: 'manual' });
    const id2 = consentId(again);
    await admin(`/approvals/${id2}`, {
      body: { decision: 'approve', grants: [{ connection: 'github', scopes: ['*'] }] },
    });
    const params = oauth.validateAuthResponse(
      as,
      flow.client,
      new URL((await consentStatus(id2)).redirect_to as string),
      flow.state,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(
      as,
      flow.client,
      await oauth.authorizationCodeGrantRequest(
        as,
        flow.client,
        flow.clientAuth,
        params,
        flow.redirectUri,
        flow.verifier,
        insecure,
      ),
    );
    assert.equal(tokens.scope, 'github:*', 'the code carries what the person granted');
    // The same code again: refused.
    await assert.rejects(
      oauth.processAuthorizationCodeResponse(
        as,
        flow.client,
        await oauth.authorizationCodeGrantRequest(
          as,
          flow.client,
          flow.clientAuth,
          params,
          flow.redirectUri,
          flow.verifier,
          insecure,
        ),
      ),
      (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'invalid_grant',
    );
  });

  test('loopback redirect URIs match on any port; anything else must match exactly, or an error page is shown (no redirect)', async () => {
    const flow = await startInteractive({
      registered: 'http://127.0.0.1/cb',
      redirectUri: 'http://127.0.0.1:61234/cb',
    });
    consentId(flow.response);
    for (const redirectUri of [
      'http://127.0.0.1:61234/other',
      'http://localhost:61234/cb',
      'https://evil.example/cb',
      'http://127.0.0.1:61234/cb?x=1',
    ]) {
      const url = new URL(flow.authorizeUrl);
      url.searchParams.set('redirect_uri', redirectUri);
      const response = await fetch(url, { redirect: 'manual' });
      assert.equal(response.status, 400, redirectUri);
      assert.equal(response.headers.get('location'), null, `no redirect to ${redirectUri}`);
      assert.match(response.headers.get('content-type') ?? '', /^text\/html/);
      assert.equal(response.headers.get('x-frame-options'), 'DENY');
      assert.match(await response.text(), /redirect_uri is not registered/);
    }
    const unknownClient = new URL(flow.authorizeUrl);
    unknownClient.searchParams.set('client_id', 'who');
    const response = await fetch(unknownClient, { redirect: 'manual' });
    assert.equal(response.status, 400);
    assert.equal(response.headers.get('location'), null);
    const repeated = await fetch(`${flow.authorizeUrl}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}`, {
      redirect: 'manual',
    });
    assert.equal(repeated.status, 400, 'a repeated parameter is an error page too');
    assert.equal(repeated.headers.get('location'), null);
  });

  test('PKCE S256 is required: plain or no challenge is redirected back to an approved client as invalid_request', async () => {
    const flow = await startInteractive();
    // Only a client the person approved is sent its errors (RFC 9700 §4.11.2).
    assert.equal(
      (await admin(`/approvals/${consentId(flow.response)}`, { body: { decision: 'approve' } })).status,
      200,
    );
    for (const change of [
      { code_challenge_method: 'plain' },
      { code_challenge_method: null },
      { code_challenge: null },
    ] as Record<string, string | null>[]) {
      const url = new URL(flow.authorizeUrl);
      for (const [key, value] of Object.entries(change)) {
        if (value === null) url.searchParams.delete(key);
        else url.searchParams.set(key, value);
      }
      const response = await fetch(url, { redirect: 'manual' });
      assert.equal(response.status, 302);
      const location = new URL(response.headers.get('location') as string);
      assert.equal(`${location.origin}${location.pathname}`, flow.redirectUri);
      assert.throws(
        () => oauth.validateAuthResponse(as, flow.client, location, flow.state),
        (error: unknown) => {
          assert.ok(error instanceof oauth.AuthorizationResponseError);
          assert.equal(error.error, 'invalid_request');
          return true;
        },
      );
    }
  });

  test('the consent page cannot be framed and runs only its own script', async () => {
    const flow = await startInteractive();
    const response = await fetch(`${issuer}/consent/${consentId(flow.response)}`);
    assert.equal(response.headers.get('x-frame-options'), 'DENY');
    const csp = response.headers.get('content-security-policy') ?? '';
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline[^;]*script|script-src[^;]*unsafe/);
    const missing = await fetch(`${issuer}/consent/unknownRequestId`);
    assert.equal(missing.status, 404);
    assert.equal(missing.headers.get('x-frame-options'), 'DENY');
    assert.equal((await fetch(`${issuer}/consent/unknownRequestId/status`)).status, 404);
  });

  test('nothing reachable without the admin token can approve a request', async () => {
    const flow = await startInteractive();
    const id = consentId(flow.response);
    const attempts: [string, RequestInit][] = [];
    for (const path of [
      `/consent/${id}`,
      `/consent/${id}/status`,
      `/consent/${id}/approve`,
      '/oauth/authorize',
      `/approvals/${id}`,
    ]) {
      for (const method of ['POST', 'PUT', 'PATCH', 'DELETE']) {
        attempts.push([
          path,
          {
            method,
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ decision: 'approve', status: 'approved' }),
          },
        ]);
        attempts.push([path, { ...form({ decision: 'approve', approve: '1' }), method }]);
      }
    }
    for (const [path, init] of attempts) {
      const response = await fetch(`${issuer}${path}`, init);
      assert.ok(response.status >= 400, `${init.method} ${path} answered ${response.status}`);
    }
    // The admin API itself: without the token, with a wrong one, with the agent's own credentials, or from the query string.
    const decide = { decision: 'approve' };
    assert.equal((await admin(`/approvals/${id}`, { body: decide, token: null })).status, 401);
    assert.equal((await admin(`/approvals/${id}`, { body: decide, token: 'guess' })).status, 401);
    assert.equal(
      (await admin(`/approvals/${id}?access_token=${ADMIN_TOKEN}`, { body: decide, token: null })).status,
      401,
    );
    const agentAuth = await fetch(`${issuer}/admin/api/approvals/${id}`, {
      method: 'POST',
      headers: { authorization: `Basic ${btoa(`${flow.client.client_id}:x`)}`, 'content-type': 'application/json' },
      body: JSON.stringify(decide),
    });
    assert.equal(agentAuth.status, 401);
    assert.deepEqual(await consentStatus(id), { status: 'pending' });
    assert.equal((await admin('/approvals')).body.approvals.find((a: { id: string }) => a.id === id).status, 'pending');
  });
});

describe('registration endpoint', () => {
  test('RFC 7591 errors: invalid_redirect_uri, invalid_client_metadata; JSON only', async () => {
    const post = (body: unknown, contentType = 'application/json') =>
      fetch(`${issuer}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': contentType },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
    const cases: [unknown, string][] = [
      [{ client_name: 'x' }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['http://evil.example/cb'] }, 'invalid_redirect_uri'],
      [{ redirect_uris: ['http://127.0.0.1/cb'], grant_types: ['client_credentials'] }, 'invalid_client_metadata'],
      [{ redirect_uris: 'http://127.0.0.1/cb' }, 'invalid_client_metadata'],
    ];
    for (const [body, error] of cases) {
      const response = await post(body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(((await response.json()) as { error: string }).error, error, JSON.stringify(body));
    }
    const formBody = await post('redirect_uris=http%3A%2F%2F127.0.0.1%2Fcb', 'application/x-www-form-urlencoded');
    assert.equal(formBody.status, 400);
    const ok = await post({ redirect_uris: ['http://127.0.0.1/cb'], unknown_metadata: 'ignored' });
    assert.equal(ok.status, 201);
    assert.equal(ok.headers.get('cache-control'), 'no-store');
  });
});

describe('admin API', () => {
  test('agents: validation errors, PATCH, mint, revoke, delete', async () => {
    const bad = await admin('/agents', {
      body: { name: 'bad', grants: [{ connection: 'github', scopes: ['admin:org'] }] },
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error, 'invalid_grant_scope');
    assert.deepEqual(bad.body.unknown_scopes, ['admin:org']);
    assert.deepEqual(bad.body.available_scopes, ['gist', 'read:user', 'repo']);
    assert.equal(
      (await admin('/agents', { body: { name: 'bad', grants: [{ connection: 'nope', scopes: ['*'] }] } })).body.error,
      'unknown_connection',
    );
    assert.equal((await admin('/agents', { body: { name: 'bad', grants: [], extra: 1 } })).status, 400);

    const created = await createAgent('exec-target', [
      { connection: 'github', scopes: ['*'] },
      { connection: 'slack', scopes: ['chat:write'] },
    ]);
    assert.equal((await admin('/agents', { body: { name: 'exec-target', grants: [] } })).status, 409);
    const minted = await admin(`/agents/${created.id}/token`, { method: 'POST' });
    assert.equal(minted.status, 200);
    assert.equal(minted.body.scope, 'github:* slack:chat:write');
    const principal = await authority.verification.verifyAccessToken(minted.body.access_token);
    assert.equal(principal.agent_name, 'exec-target');

    const patched = await admin(`/agents/${created.id}`, {
      method: 'PATCH',
      body: { grants: [{ connection: 'github', scopes: ['repo'] }], rate_limit_per_minute: 60 },
    });
    assert.equal(patched.status, 200);
    assert.deepEqual(patched.body.grants, [{ connection: 'github', scopes: ['repo'] }]);
    assert.equal(patched.body.rate_limit_per_minute, 60);
    assert.deepEqual(
      [...(await authority.verification.verifyAccessToken(minted.body.access_token)).grants.keys()],
      ['github'],
    );
    assert.equal((await admin(`/agents/${created.id}`, { method: 'PATCH', body: {} })).status, 400);

    const revoked = await admin(`/agents/${created.id}/revoke`, { method: 'POST' });
    assert.equal(revoked.body.status, 'revoked');
    await assert.rejects(authority.verification.verifyAccessToken(minted.body.access_token), { code: 'token_revoked' });
    assert.equal((await admin(`/agents/${created.id}/token`, { method: 'POST' })).status, 409);
    assert.deepEqual((await admin(`/agents/${created.id}`, { method: 'DELETE' })).body, { deleted: true });
    assert.equal((await admin(`/agents/${created.id}`)).status, 404);
  });

  test('pause refuses the token endpoint with 403 paused until resume', async () => {
    const created = await createAgent('paused-agent');
    const client: oauth.Client = { client_id: created.client_id };
    assert.deepEqual((await admin('/pause', { method: 'POST' })).body, { paused: true });
    assert.deepEqual((await admin('/pause')).body, { paused: true });
    await assert.rejects(
      oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(
          as,
          client,
          oauth.ClientSecretBasic(created.client_secret),
          new URLSearchParams(),
          insecure,
        ),
      ),
      (error: unknown) => error instanceof oauth.ResponseBodyError && error.error === 'paused' && error.status === 403,
    );
    assert.deepEqual((await admin('/resume', { method: 'POST' })).body, { paused: false });
    const tokens = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.ClientSecretBasic(created.client_secret),
        new URLSearchParams(),
        insecure,
      ),
    );
    assert.ok(tokens.access_token);
  });

  test('key rotation publishes the new key next to the old one', async () => {
    const before = ((await (await fetch(as.jwks_uri as string)).json()) as { keys: { kid: string }[] }).keys.map(
      (k) => k.kid,
    );
    const rotated = await admin('/keys/rotate', { method: 'POST' });
    assert.equal(rotated.status, 200);
    const jwks = (await (await fetch(as.jwks_uri as string)).json()) as { keys: Record<string, string>[] };
    assert.deepEqual(jwks.keys.map((k) => k.kid).sort(), [...before, rotated.body.kid].sort());
    for (const key of jwks.keys) {
      assert.deepEqual(
        Object.keys(key).sort(),
        ['alg', 'crv', 'kid', 'kty', 'use', 'x', 'y'],
        'public parameters only',
      );
    }
    const created = await createAgent('after-rotation');
    const minted = await admin(`/agents/${created.id}/token`, { method: 'POST' });
    assert.equal(jose.decodeProtectedHeader(minted.body.access_token).kid, rotated.body.kid);
  });
});

describe('the consent page in a browser', () => {
  let callback: Server;
  let callbackUrl: string;
  before(async () => {
    // The interactive agent's loopback redirect listener.
    callback = createServer((_request, response) =>
      response.writeHead(200, { 'content-type': 'text/plain' }).end('callback received'),
    );
    callback.listen(0, '127.0.0.1');
    await once(callback, 'listening');
    callbackUrl = `http://127.0.0.1:${(callback.address() as { port: number }).port}/callback`;
  });
  after(() => new Promise<void>((resolve) => callback.close(() => resolve())));

  test('waits under its CSP, follows the approval to the client, and refuses to be framed', async () => {
    const browser = await chromium.launch({
      ...browserLaunchOptions(),
      args: ['--headless', '--no-sandbox', '--disable-gpu'],
    });
    try {
      const page = await browser.newPage();
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(error.message));
      await page.addInitScript(
        "document.addEventListener('securitypolicyviolation', (e) => console.error('csp ' + e.violatedDirective))",
      );
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(message.text());
      });

      const flow = await startInteractive({ registered: 'http://127.0.0.1/callback', redirectUri: callbackUrl });
      consentId(flow.response);
      // The browser asks anew (replacing the request made above) and lands on the consent page.
      await page.goto(flow.authorizeUrl.href);
      const consentPath = new URL(page.url()).pathname;
      assert.match(consentPath, /^\/consent\/[A-Za-z0-9_-]+$/);
      const id = consentPath.split('/').pop() as string;
      await page.waitForFunction("document.getElementById('status').textContent.includes('Waiting')", undefined, {
        timeout: 5000,
      });
      // The page polls; nothing happens until the person decides.
      await page.waitForTimeout(1500);
      assert.equal(new URL(page.url()).pathname, consentPath);

      await admin(`/approvals/${id}`, { body: { decision: 'approve' } });
      await page.waitForURL((url) => url.href.startsWith(callbackUrl), { timeout: 10_000 });
      const params = oauth.validateAuthResponse(as, flow.client, new URL(page.url()), flow.state);
      const tokens = await oauth.processAuthorizationCodeResponse(
        as,
        flow.client,
        await oauth.authorizationCodeGrantRequest(
          as,
          flow.client,
          flow.clientAuth,
          params,
          callbackUrl,
          flow.verifier,
          insecure,
        ),
      );
      assert.equal(tokens.scope, 'github:repo');
      assert.deepEqual(problems, [], 'no script error and no CSP violation');

      // Framed by another page: the browser refuses to render it.
      const framed = await startInteractive();
      const framedUrl = `${issuer}/consent/${consentId(framed.response)}`;
      const host = await browser.newPage();
      // setContent resolves on the host's load event, which waits for the iframe's own load.
      await host.setContent(`<iframe src="${framedUrl}"></iframe>`);
      const frame = host.frames().find((f) => f !== host.mainFrame());
      assert.ok(frame, 'the iframe exists');
      const framedText = await frame.evaluate<string>("document.body ? document.body.innerText : ''").catch(() => '');
      assert.doesNotMatch(framedText, /asks for access/);
    } finally {
      await browser.close();
    }
  });
});
