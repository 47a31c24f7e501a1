/**
 * The real broker for the dashboard e2e tests, with real data made by real flows: oidc-provider
 * as the "acme" provider (login, consent, refresh, revocation), pasted API keys, agents created
 * through the admin API, self-registered agents asking for access (RFC 7591 + /oauth/authorize),
 * and the token requests, proxied calls and changes that fill the audit log. Secrets go to the
 * encrypted-file vault, so no keychain is needed.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { authorize, ScriptedBrowser } from '../fixtures/browser.js';
import { connectFully, setUp } from '../fixtures/connect.js';
import { startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';

/** Where self-registered test agents say they want the code: a loopback port nothing listens on. */
export const AGENT_REDIRECT_URI = 'http://127.0.0.1:9/cb';

export interface CreatedAgent {
  id: string;
  client_id: string;
  client_secret: string;
}

export interface World {
  broker: TestBroker;
  provider: TestProvider;
  /** An acme connection made through the provider's login and consent. */
  connectAcme(name: string): Promise<void>;
  /** An acme connection whose refresh token the provider revoked: refreshing it answers 412 and marks it needs_reauth. */
  brokenAcme(name: string): Promise<void>;
  /** A pasted API key (the provider's declared scopes). */
  addKey(provider: string, name: string, secret: string): Promise<void>;
  createAgent(
    name: string,
    grants: { connection: string; scopes: string[] }[],
    rateLimit?: number,
  ): Promise<CreatedAgent>;
  /** A self-registered agent (RFC 7591) asking for `scope` at /oauth/authorize: a pending approval. Returns the approval's id. */
  requestAccess(clientName: string, scope: string): Promise<string>;
  /** POST /oauth/token with client_credentials. */
  token(agent: { client_id: string; client_secret: string }): Promise<{ status: number; body: any }>;
  /** GET /proxy/<connection>/<path> with an agent's access token; the proxy's status. */
  proxy(accessToken: string, path: string): Promise<number>;
  /** Edits one audit row behind the broker's back, as someone with the database file could. */
  tamperAudit(id: number): void;
  close(): Promise<void>;
}

export async function startWorld(): Promise<World> {
  const provider = await startTestProvider();
  const broker = await startTestBroker({ secretStore: 'file', passphrase: 'e2e dashboard passphrase' });
  await setUp(provider, broker);

  const world: World = {
    broker,
    provider,
    connectAcme: (name) => connectFully(broker, { provider: 'acme', name }),
    brokenAcme: async (name) => {
      await world.connectAcme(name);
      const credential = await broker.core.tokens.load(broker.core.service.get(name).id);
      assert.ok(credential?.refresh_token, 'the provider issued a refresh token');
      await provider.revoke(credential.refresh_token);
      const refreshed = await broker.admin(`/connections/${name}/refresh`, { method: 'POST' });
      assert.equal(refreshed.status, 412, JSON.stringify(refreshed.body));
    },
    addKey: async (providerId, name, secret) => {
      const added = await broker.admin('/connections', { body: { provider: providerId, name, secret } });
      assert.equal(added.status, 201, JSON.stringify(added.body));
    },
    createAgent: async (name, grants, rateLimit) => {
      const created = await broker.admin('/agents', {
        body: { name, grants, ...(rateLimit === undefined ? {} : { rate_limit_per_minute: rateLimit }) },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return created.body;
    },
    requestAccess: async (clientName, scope) => {
      const registered = await fetch(`${broker.url}/oauth/register`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          client_name: clientName,
          redirect_uris: [AGENT_REDIRECT_URI],
          token_endpoint_auth_method: 'none',
        }),
      });
      assert.equal(registered.status, 201);
      const { client_id } = (await registered.json()) as { client_id: string };
      const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
      const query = new URLSearchParams({
        response_type: 'code',
        client_id,
        redirect_uri: AGENT_REDIRECT_URI,
        code_challenge: challenge,
        code_challenge_method: 'S256',
        state: 's',
        ...(scope ? { scope } : {}),
      });
      const authorized = await fetch(`${broker.url}/oauth/authorize?${query}`, { redirect: 'manual' });
      await authorized.arrayBuffer();
      assert.equal(authorized.status, 302);
      // The agent is sent to the consent page to wait for the person's decision.
      const approvalId = /^\/consent\/([\w-]+)$/.exec(authorized.headers.get('location') ?? '')?.[1];
      assert.ok(approvalId, `redirected to ${authorized.headers.get('location')}`);
      return approvalId;
    },
    token: async ({ client_id, client_secret }) => {
      const response = await fetch(`${broker.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client_id}:${client_secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      return { status: response.status, body: await response.json() };
    },
    proxy: async (accessToken, path) => {
      const response = await fetch(`${broker.url}/proxy/${path}`, {
        headers: { authorization: `Bearer ${accessToken}` },
      });
      await response.arrayBuffer();
      return response.status;
    },
    tamperAudit: (id) => {
      const db = new Database(join(broker.dataDir, 'latchkey.db'));
      try {
        db.pragma('busy_timeout = 2000');
        assert.equal(db.prepare('UPDATE audit SET reason = ? WHERE id = ?').run('edited afterwards', id).changes, 1);
      } finally {
        db.close();
      }
    },
    close: async () => {
      await broker.dispose();
      await provider.close();
    },
  };
  return world;
}

/** Drives the provider's login and consent for an authorize URL the dashboard opened, and lands on the broker's callback. */
export async function finishSignIn(world: World, authorizeUrl: string): Promise<void> {
  const browser = new ScriptedBrowser();
  const callback = await authorize(browser, authorizeUrl, `${world.broker.url}/oauth/callback`);
  const page = await browser.get(callback);
  assert.equal(page.status, 200, page.body);
}
