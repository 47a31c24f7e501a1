import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import {
  SignJWT,
  base64url,
  decodeJwt,
  decodeProtectedHeader,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import type { AuditInput } from '../../main/core/audit/audit-log.js';
import { openAuthz, type Authz, type AuthzDeps } from '../../main/core/authz/open-authz.js';
import { randomId } from '../../main/core/authz/secrets.js';
import { MAX_SESSION_TOKEN_LIFETIME_MS, type TokenResponse } from '../../main/core/authz/protocol.js';
import { SIGNING_KEYS_VAULT_KEY } from '../../main/core/authz/keys.js';
import { LatchkeyError } from '../../main/core/errors.js';
import { createBrokerEvents, type BrokerEvents } from '../../main/core/events.js';
import { openDatabase } from '../fixtures/database.js';
import { Vault } from '../../main/core/vault/vault.js';
import { MemoryBackend } from '../fixtures/memory-backend.js';

const ISSUER = 'http://127.0.0.1:7317';
const REDIRECT = 'http://127.0.0.1/callback';
const START = Date.UTC(2030, 0, 1);

const CONNECTIONS = new Map([
  ['github', { id: 'id-github', name: 'github', scopes: ['gist', 'read:user', 'repo'] }],
  ['slack', { id: 'id-slack', name: 'slack', scopes: ['channels:read', 'chat:write'] }],
  ['google', { id: 'id-google', name: 'google', scopes: ['https://www.googleapis.com/auth/drive.readonly'] }],
]);
const connections = {
  getByName: (name: string) => CONNECTIONS.get(name),
  getById: (id: string) => [...CONNECTIONS.values()].find((c) => c.id === id),
};

const hasCode =
  (code: string, status?: number) =>
  (error: unknown): boolean => {
    assert.ok(error instanceof LatchkeyError, `expected a LatchkeyError, got ${String(error)}`);
    assert.equal(error.code, code, error.message);
    if (status !== undefined) assert.equal(error.status, status);
    return true;
  };

const basic = (clientId: string, secret: string): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;

interface Harness {
  authority: Authz;
  db: Database.Database;
  backend: MemoryBackend;
  audit: AuditInput[];
  events: BrokerEvents;
  clock: { now: number };
  dir: string;
  reopen(): Promise<Authz>;
}

let root: string;
let counter = 0;
const open: Harness[] = [];
before(() => {
  root = mkdtempSync(join(tmpdir(), 'latchkey-authz-'));
});
after(() => {
  for (const h of open) h.db.close();
  rmSync(root, { recursive: true, force: true });
});

async function harness(options: Partial<AuthzDeps> = {}): Promise<Harness> {
  const dir = join(root, `h${counter++}`);
  const db = openDatabase(join(dir, 'latchkey.db'));
  const backend = new MemoryBackend();
  const audit: AuditInput[] = [];
  const events = createBrokerEvents();
  const clock = { now: START };
  const deps = (): AuthzDeps => ({
    db,
    vault: new Vault(backend),
    issuer: () => ISSUER,
    connections,
    events,
    now: () => clock.now,
    audit: { append: async (input) => void audit.push(input) },
    ...options,
  });
  const h: Harness = {
    authority: await openAuthz(deps()),
    db,
    backend,
    audit,
    events,
    clock,
    dir,
    reopen: () => openAuthz(deps()),
  };
  open.push(h);
  return h;
}

async function headlessAgent(h: Harness, grants = [{ connection: 'github', scopes: ['repo'] }]) {
  const { agent, client_secret } = await h.authority.agents.create({ name: `agent-${counter++}`, grants });
  const token = (scope?: string): Promise<TokenResponse> =>
    h.authority.tokenEndpoint.token({
      params: { grant_type: 'client_credentials', ...(scope === undefined ? {} : { scope }) },
      authorization: basic(agent.client_id, client_secret),
    });
  return { agent, client_secret, token };
}

/** DCR → authorize (PKCE) → approve → code → tokens, straight through the authority. */
/** Interactive agents registered per harness: each needs a name of its own. */
const registered = new WeakMap<Harness, number>();

async function interactiveAgent(h: Harness, scope = 'github:repo') {
  const count = (registered.get(h) ?? 0) + 1;
  registered.set(h, count);
  const client = await h.authority.registration.register({
    redirect_uris: [REDIRECT],
    token_endpoint_auth_method: 'none',
    client_name: count === 1 ? 'Desk agent' : `Desk agent ${count}`,
  });
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  const redirectUri = 'http://127.0.0.1:49152/callback';
  const authorize = () =>
    h.authority.authorization.authorize({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: redirectUri,
      scope,
      state: 'st4te',
      code_challenge: challenge,
      code_challenge_method: 'S256',
    });
  const { location } = await authorize();
  assert.match(location, /^\/consent\/[A-Za-z0-9_-]+$/);
  const approvalId = location.split('/').pop() as string;
  return { client, verifier, challenge, redirectUri, approvalId, authorize };
}

async function approveAndExchange(
  h: Harness,
  flow: Awaited<ReturnType<typeof interactiveAgent>>,
): Promise<{ tokens: TokenResponse; code: string }> {
  await h.authority.approvals.decide(flow.approvalId, 'approve');
  const status = h.authority.consent.status(flow.approvalId);
  assert.equal(status.status, 'approved');
  const code = new URL(status.redirect_to as string).searchParams.get('code') as string;
  const tokens = await h.authority.tokenEndpoint.token({
    params: {
      grant_type: 'authorization_code',
      code,
      redirect_uri: flow.redirectUri,
      code_verifier: flow.verifier,
      client_id: flow.client.client_id,
    },
    authorization: undefined,
  });
  return { tokens, code };
}

const refresh = (h: Harness, clientId: string, refreshToken: string): Promise<TokenResponse> =>
  h.authority.tokenEndpoint.token({
    params: { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: clientId },
    authorization: undefined,
  });

/** Our own signing key, read from the vault: to forge tokens that differ from ours only in a claim. */
async function ourKey(h: Harness): Promise<{ key: CryptoKey; kid: string }> {
  const stored = JSON.parse(h.backend.values.get(SIGNING_KEYS_VAULT_KEY) as string) as {
    kid: string;
    private_jwk: JWK;
    retired_at?: number;
  }[];
  const current = stored.find((k) => k.retired_at === undefined) as { kid: string; private_jwk: JWK };
  return { key: (await importJWK(current.private_jwk, 'ES256')) as CryptoKey, kid: current.kid };
}

async function sign(
  payload: JWTPayload,
  key: CryptoKey,
  header: { alg: string; kid?: string; typ?: string },
): Promise<string> {
  return new SignJWT(payload).setProtectedHeader({ typ: 'at+jwt', ...header }).sign(key);
}

describe('grants', () => {
  test('a grant names a connection and scopes it holds; "*" means all of them', async () => {
    const h = await harness();
    const { agent } = await h.authority.agents.create({
      name: 'ci',
      grants: [
        { connection: 'slack', scopes: ['chat:write', 'channels:read', 'chat:write'] },
        { connection: 'github', scopes: ['*'] },
      ],
    });
    assert.deepEqual(agent.grants, [
      { connection: 'github', scopes: ['*'] },
      { connection: 'slack', scopes: ['channels:read', 'chat:write'] },
    ]);
    assert.equal(agent.status, 'active');
    assert.equal(agent.registered_via, 'admin');
  });

  test('unknown scopes are refused with what the connection holds', async () => {
    const h = await harness();
    await assert.rejects(
      h.authority.agents.create({
        name: 'x',
        grants: [{ connection: 'github', scopes: ['repo', 'admin:org', 'delete_repo'] }],
      }),
      (error: unknown) => {
        hasCode('invalid_grant_scope', 400)(error);
        assert.deepEqual((error as LatchkeyError).details, {
          connection: 'github',
          unknown_scopes: ['admin:org', 'delete_repo'],
          available_scopes: ['gist', 'read:user', 'repo'],
        });
        return true;
      },
    );
  });

  test('an unknown connection is a 404; "*" with other scopes, empty scopes and duplicates are refused', async () => {
    const h = await harness();
    await assert.rejects(
      h.authority.agents.create({ name: 'x', grants: [{ connection: 'gitlab', scopes: ['api'] }] }),
      hasCode('unknown_connection', 404),
    );
    await assert.rejects(
      h.authority.agents.create({ name: 'x', grants: [{ connection: 'github', scopes: ['*', 'repo'] }] }),
      hasCode('invalid_grant_scope', 400),
    );
    await assert.rejects(
      h.authority.agents.create({ name: 'x', grants: [{ connection: 'github', scopes: [] }] }),
      hasCode('invalid_grant_scope', 400),
    );
    await assert.rejects(
      h.authority.agents.create({
        name: 'x',
        grants: [
          { connection: 'github', scopes: ['repo'] },
          { connection: 'github', scopes: ['gist'] },
        ],
      }),
      hasCode('invalid_request', 400),
    );
    assert.equal(h.authority.agents.list().length, 0, 'nothing was created');
  });

  test('names are unique and free of control characters', async () => {
    const h = await harness();
    await h.authority.agents.create({ name: 'ci', grants: [] });
    await assert.rejects(h.authority.agents.create({ name: 'ci', grants: [] }), hasCode('agent_exists', 409));
    await assert.rejects(h.authority.agents.create({ name: 'bad\nname', grants: [] }), hasCode('invalid_name', 400));
    await assert.rejects(h.authority.agents.create({ name: ' padded', grants: [] }), hasCode('invalid_name', 400));
  });

  test('the client secret is stored only as its sha256, and never appears in the database or the audit', async () => {
    const h = await harness();
    const { agent, client_secret } = await h.authority.agents.create({
      name: 'ci',
      grants: [{ connection: 'github', scopes: ['repo'] }],
    });
    assert.equal(Buffer.from(client_secret, 'base64url').length, 32, '256-bit secret');
    const row = h.db.prepare('SELECT client_secret_hash FROM agents WHERE id = ?').get(agent.id) as {
      client_secret_hash: string;
    };
    assert.equal(row.client_secret_hash, createHash('sha256').update(client_secret).digest('hex'));
    h.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of readdirSync(h.dir))
      assert.ok(!readFileSync(join(h.dir, file)).includes(client_secret), `secret found in ${file}`);
    assert.ok(!JSON.stringify(h.audit).includes(client_secret));
    assert.ok(
      !JSON.stringify(h.authority.agents.get(agent.id)).includes(row.client_secret_hash),
      'views never carry the hash',
    );
  });
});

describe('client_credentials and verifyAccessToken', () => {
  test('issues a 15-minute ES256 JWT (RFC 9068 profile) that verifies to the agent and its grants', async () => {
    const h = await harness();
    const { agent, token } = await headlessAgent(h, [
      { connection: 'github', scopes: ['*'] },
      { connection: 'google', scopes: ['https://www.googleapis.com/auth/drive.readonly'] },
    ]);
    const response = await token();
    assert.equal(response.token_type, 'Bearer');
    assert.equal(response.expires_in, 900);
    assert.equal(response.scope, 'github:* google:https://www.googleapis.com/auth/drive.readonly');
    assert.equal(response.refresh_token, undefined, 'no refresh token for client_credentials (RFC 6749 §4.4.3)');

    const header = decodeProtectedHeader(response.access_token);
    assert.equal(header.alg, 'ES256');
    assert.equal(header.typ, 'at+jwt');
    assert.deepEqual(
      h.authority.signingKeys.jwks().keys.map((k) => k.kid),
      [header.kid],
    );
    const claims = decodeJwt(response.access_token);
    assert.equal(claims.iss, ISSUER);
    assert.equal(claims.aud, `${ISSUER}/proxy`);
    assert.equal(claims.sub, agent.id);
    assert.equal(claims.client_id, agent.client_id);
    assert.equal(claims.iat, START / 1000);
    assert.equal(claims.exp, START / 1000 + 900);
    assert.equal(typeof claims.jti, 'string');

    const principal = await h.authority.verification.verifyAccessToken(response.access_token);
    assert.equal(principal.agent_id, agent.id);
    assert.equal(principal.agent_name, agent.name);
    assert.equal(principal.jti, claims.jti);
    assert.equal(principal.expires_at, START + 900_000);
    assert.equal(principal.grants.get('github'), '*');
    assert.deepEqual(
      [...(principal.grants.get('google') as Set<string>)],
      ['https://www.googleapis.com/auth/drive.readonly'],
    );
    assert.equal(h.authority.verification.tokenEndpoint(), `${ISSUER}/oauth/token`);

    assert.deepEqual(h.audit.at(-1), {
      kind: 'token',
      decision: 'allow',
      reason: `client_credentials (${response.scope})`,
      agent_id: agent.id,
      agent_name: agent.name,
    });
  });

  test('a scope parameter narrows the token; asking beyond the grants is invalid_scope', async () => {
    const h = await harness();
    const { token } = await headlessAgent(h, [
      { connection: 'github', scopes: ['*'] },
      { connection: 'slack', scopes: ['chat:write'] },
    ]);
    assert.equal((await token('github:repo')).scope, 'github:repo');
    await assert.rejects(token('slack:channels:read'), hasCode('invalid_scope', 400));
    await assert.rejects(token('slack:*'), hasCode('invalid_scope', 400));
    await assert.rejects(token('openid'), hasCode('invalid_scope', 400));
    assert.equal(h.audit.at(-1)?.decision, 'deny');
  });

  test('client authentication: wrong secret, unknown client and two methods at once are refused and audited', async () => {
    const h = await harness();
    const { agent, client_secret } = await headlessAgent(h);
    const request = (params: Record<string, string>, authorization?: string) =>
      h.authority.tokenEndpoint.token({ params: { grant_type: 'client_credentials', ...params }, authorization });
    await assert.rejects(request({}, basic(agent.client_id, `${client_secret}x`)), hasCode('invalid_client', 401));
    await assert.rejects(request({}, basic('nobody', client_secret)), hasCode('invalid_client', 401));
    await assert.rejects(
      request({ client_secret }, basic(agent.client_id, client_secret)),
      hasCode('invalid_request', 400),
    );
    await assert.rejects(request({}), hasCode('invalid_client', 401));
    await assert.rejects(
      request({ client_id: agent.client_id }),
      hasCode('invalid_client', 401),
      'a confidential client needs its secret',
    );
    const post = await request({ client_id: agent.client_id, client_secret });
    assert.equal(post.token_type, 'Bearer', 'client_secret_post works too');
    await assert.rejects(
      h.authority.tokenEndpoint.token({
        params: { grant_type: 'password' },
        authorization: basic(agent.client_id, client_secret),
      }),
      hasCode('unsupported_grant_type', 400),
    );

    const denials = h.audit.filter((e) => e.kind === 'token' && e.decision === 'deny');
    assert.equal(denials.length, 6);
    assert.equal(denials[0]?.agent_id, agent.id, 'a wrong secret is recorded against the agent it claimed to be');
    assert.match(denials[0]?.reason ?? '', /invalid_client/);
    assert.ok(!JSON.stringify(h.audit).includes(client_secret));
  });

  test('rejects a token signed by another key under our kid', async () => {
    const h = await harness();
    const { token } = await headlessAgent(h);
    const genuine = (await token()).access_token;
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await sign(decodeJwt(genuine), privateKey, {
      alg: 'ES256',
      kid: decodeProtectedHeader(genuine).kid as string,
    });
    await assert.rejects(h.authority.verification.verifyAccessToken(forged), hasCode('invalid_token', 401));
  });

  test('rejects alg "none" and HS256 keyed with our public key', async () => {
    const h = await harness();
    const { token } = await headlessAgent(h);
    const genuine = (await token()).access_token;
    const [, payload] = genuine.split('.');
    const kid = decodeProtectedHeader(genuine).kid as string;
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt', kid }))}.${payload}.`;
    await assert.rejects(h.authority.verification.verifyAccessToken(none), (error: unknown) => {
      hasCode('invalid_token', 401)(error);
      assert.equal((error as LatchkeyError).details.token_endpoint, `${ISSUER}/oauth/token`);
      return true;
    });
    // The classic key-confusion attack: the public key (as published) used as an HMAC secret.
    const jwk = h.authority.signingKeys.jwks().keys[0] as JWK;
    const publicKey = (await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x, y: jwk.y } as JWK, 'ES256', {
      extractable: true,
    })) as CryptoKey;
    for (const secret of [await exportSPKI(publicKey), JSON.stringify(jwk)]) {
      const hs256 = await new SignJWT(decodeJwt(genuine))
        .setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid })
        .sign(new TextEncoder().encode(secret));
      await assert.rejects(h.authority.verification.verifyAccessToken(hs256), hasCode('invalid_token', 401));
    }
    await assert.rejects(h.authority.verification.verifyAccessToken('not.a.jwt'), hasCode('invalid_token', 401));
    await assert.rejects(h.authority.verification.verifyAccessToken(''), hasCode('invalid_token', 401));
  });

  test('rejects tokens correctly signed by our key but with a wrong aud, iss, typ, kid or missing claims', async () => {
    const h = await harness();
    const { token } = await headlessAgent(h);
    const genuine = decodeJwt((await token()).access_token);
    const { key, kid } = await ourKey(h);
    assert.ok(
      await h.authority.verification.verifyAccessToken(await sign(genuine, key, { alg: 'ES256', kid })),
      'the control: our key and the genuine claims verify',
    );
    const cases: [string, Promise<string>][] = [
      ['wrong aud', sign({ ...genuine, aud: 'http://127.0.0.1:7317/admin' }, key, { alg: 'ES256', kid })],
      ['wrong iss', sign({ ...genuine, iss: 'http://127.0.0.1:9999' }, key, { alg: 'ES256', kid })],
      ['wrong typ', sign(genuine, key, { alg: 'ES256', kid, typ: 'JWT' })],
      ['no kid', sign(genuine, key, { alg: 'ES256' })],
      ['unknown kid', sign(genuine, key, { alg: 'ES256', kid: 'another' })],
      ['no jti', sign({ ...genuine, jti: undefined }, key, { alg: 'ES256', kid })],
      ['no client_id', sign({ ...genuine, client_id: undefined }, key, { alg: 'ES256', kid })],
      ['numeric sub', sign({ ...genuine, sub: 42 as unknown as string }, key, { alg: 'ES256', kid })],
      ['malformed scope', sign({ ...genuine, scope: 'repo' }, key, { alg: 'ES256', kid })],
      ["another agent's client_id", sign({ ...genuine, client_id: 'someone-else' }, key, { alg: 'ES256', kid })],
    ];
    for (const [name, forged] of cases)
      await assert.rejects(
        h.authority.verification.verifyAccessToken(await forged),
        hasCode('invalid_token', 401),
        name,
      );
  });

  test('an expired token is token_expired', async () => {
    const h = await harness();
    const { token } = await headlessAgent(h);
    const access = (await token()).access_token;
    const unseen = (await token()).access_token;
    h.clock.now = START + 899_000;
    await h.authority.verification.verifyAccessToken(access);
    h.clock.now = START + 900_000;
    await assert.rejects(
      h.authority.verification.verifyAccessToken(access),
      hasCode('token_expired', 401),
      'verified before',
    );
    await assert.rejects(
      h.authority.verification.verifyAccessToken(unseen),
      hasCode('token_expired', 401),
      'never verified before',
    );
  });

  test('revoking or deleting an agent makes its tokens token_revoked at once', async () => {
    const h = await harness();
    const first = await headlessAgent(h);
    const second = await headlessAgent(h);
    const a = (await first.token()).access_token;
    const b = (await second.token()).access_token;
    await h.authority.verification.verifyAccessToken(a);
    const revoked = await h.authority.agents.revoke(first.agent.id);
    assert.equal(revoked.status, 'revoked');
    await assert.rejects(h.authority.verification.verifyAccessToken(a), hasCode('token_revoked', 401));
    await assert.rejects(first.token(), hasCode('invalid_client', 401), 'a revoked agent cannot get new tokens');
    await assert.rejects(h.authority.execTokens.mint(first.agent.id), hasCode('agent_not_active', 409));
    await h.authority.agents.delete(second.agent.id);
    await assert.rejects(h.authority.verification.verifyAccessToken(b), hasCode('token_revoked', 401));
    assert.ok(h.audit.some((e) => e.kind === 'revocation' && e.agent_id === first.agent.id));
    assert.ok(h.audit.some((e) => e.kind === 'agent' && e.reason === 'deleted' && e.agent_id === second.agent.id));
  });

  test("a revoked jti is token_revoked; the agent's other tokens still work; the revocation survives a restart", async () => {
    const h = await harness();
    const { agent, client_secret, token } = await headlessAgent(h);
    const a = (await token()).access_token;
    const b = (await token()).access_token;
    await h.authority.revocation.revoke({ params: { token: a }, authorization: basic(agent.client_id, client_secret) });
    await assert.rejects(h.authority.verification.verifyAccessToken(a), hasCode('token_revoked', 401));
    await h.authority.verification.verifyAccessToken(b);
    const restarted = await h.reopen();
    await assert.rejects(restarted.verification.verifyAccessToken(a), hasCode('token_revoked', 401));
    await restarted.verification.verifyAccessToken(b);
    // Unknown tokens and another client's tokens are silently ignored (RFC 7009 §2.2).
    const other = await headlessAgent(h);
    await h.authority.revocation.revoke({
      params: { token: 'no-such-token' },
      authorization: basic(agent.client_id, client_secret),
    });
    await h.authority.revocation.revoke({
      params: { token: b },
      authorization: basic(other.agent.client_id, other.client_secret),
    });
    await h.authority.verification.verifyAccessToken(b);
  });

  test('narrowing the grants applies to tokens already issued', async () => {
    const h = await harness();
    const { agent, token } = await headlessAgent(h, [
      { connection: 'github', scopes: ['*'] },
      { connection: 'slack', scopes: ['chat:write'] },
    ]);
    const access = (await token()).access_token;
    const before = await h.authority.verification.verifyAccessToken(access);
    assert.equal(before.grants.get('github'), '*');
    assert.deepEqual([...(before.grants.get('slack') as Set<string>)], ['chat:write']);
    await h.authority.agents.update(agent.id, { grants: [{ connection: 'github', scopes: ['repo'] }] });
    const after = await h.authority.verification.verifyAccessToken(access);
    assert.deepEqual([...(after.grants.get('github') as Set<string>)], ['repo']);
    assert.equal(after.grants.has('slack'), false);
    // Widening does not widen a token beyond its own scope.
    await h.authority.agents.update(agent.id, {
      grants: [
        { connection: 'github', scopes: ['*'] },
        { connection: 'slack', scopes: ['*'] },
      ],
    });
    const widened = await h.authority.verification.verifyAccessToken(access);
    assert.deepEqual([...(widened.grants.get('slack') as Set<string>)], ['chat:write']);
    await h.authority.agents.update(agent.id, { rate_limit_per_minute: 30, name: 'renamed' });
    const renamed = await h.authority.verification.verifyAccessToken(access);
    assert.equal(renamed.rate_limit_per_minute, 30);
    assert.equal(renamed.agent_name, 'renamed');
  });
});

describe('resource indicators (RFC 8707)', () => {
  test('a token asked for /mcp carries that audience, as the client spelled it, and serves only there', async () => {
    const h = await harness();
    const { agent, client_secret } = await headlessAgent(h);
    const issue = (resource: string) =>
      h.authority.tokenEndpoint.token({
        params: { grant_type: 'client_credentials', resource },
        authorization: basic(agent.client_id, client_secret),
      });
    const mcp = await issue('http://localhost:7317/mcp');
    assert.equal(decodeJwt(mcp.access_token).aud, 'http://localhost:7317/mcp');
    // Verified (and remembered) for /mcp: still not a proxy token.
    assert.equal((await h.authority.verification.verifyAccessToken(mcp.access_token, '/mcp')).agent_id, agent.id);
    await assert.rejects(h.authority.verification.verifyAccessToken(mcp.access_token), hasCode('invalid_token', 401));
    // A proxy token, fresh and remembered alike, is not an /mcp token.
    const proxy = await headlessAgent(h).then(({ token }) => token());
    await assert.rejects(
      h.authority.verification.verifyAccessToken(proxy.access_token, '/mcp'),
      hasCode('invalid_token', 401),
    );
    await h.authority.verification.verifyAccessToken(proxy.access_token);
    await assert.rejects(
      h.authority.verification.verifyAccessToken(proxy.access_token, '/mcp'),
      hasCode('invalid_token', 401),
    );
  });

  test("a resource that is not Latchkey's own is refused with invalid_target", async () => {
    const h = await harness();
    const { agent, client_secret } = await headlessAgent(h);
    for (const resource of [
      'http://127.0.0.1:7318/mcp',
      'http://evil.example:7317/mcp',
      'http://127.0.0.1:7317/admin',
      'http://127.0.0.1:7317/mcp/',
    ]) {
      await assert.rejects(
        h.authority.tokenEndpoint.token({
          params: { grant_type: 'client_credentials', resource },
          authorization: basic(agent.client_id, client_secret),
        }),
        hasCode('invalid_target', 400),
      );
    }
  });

  test('metadata and authorization responses keep the issuer spelling the client addressed', async () => {
    const h = await harness();
    assert.equal(h.authority.metadata.addressedIssuer('localhost:7317'), 'http://localhost:7317');
    assert.equal(h.authority.metadata.addressedIssuer('[::1]:7317'), 'http://[::1]:7317');
    assert.equal(h.authority.metadata.addressedIssuer('LOCALHOST:7317'), 'http://localhost:7317');
    assert.equal(h.authority.metadata.addressedIssuer('localhost:7318'), ISSUER);
    assert.equal(h.authority.metadata.addressedIssuer('evil.example:7317'), ISSUER);
    assert.equal(h.authority.metadata.addressedIssuer(undefined), ISSUER);
    assert.equal(h.authority.metadata.document('http://localhost:7317').issuer, 'http://localhost:7317');
    assert.equal(h.authority.metadata.document().issuer, ISSUER);
  });
});

describe('signing keys', () => {
  test('rotation: new tokens use the new kid, old tokens stay valid until they expire, then the old key is dropped', async () => {
    const h = await harness();
    const { token } = await headlessAgent(h);
    const old = (await token()).access_token;
    const oldKid = decodeProtectedHeader(old).kid;
    h.clock.now = START + 60_000;
    const { kid: newKid } = await h.authority.signingKeys.rotate();
    assert.notEqual(newKid, oldKid);
    const fresh = (await token()).access_token;
    assert.equal(decodeProtectedHeader(fresh).kid, newKid);
    assert.deepEqual(
      h.authority.signingKeys
        .jwks()
        .keys.map((k) => k.kid)
        .sort(),
      [oldKid, newKid].sort(),
    );
    await h.authority.verification.verifyAccessToken(old);
    await h.authority.verification.verifyAccessToken(fresh);

    // The keys live in the vault: another instance (a restart) verifies both.
    const restarted = await h.reopen();
    await restarted.verification.verifyAccessToken(old);
    await restarted.verification.verifyAccessToken(fresh);

    // Once the longest token of the old key (an exec session's) has expired, it leaves the JWKS; not before.
    h.clock.now = START + 60_000 + MAX_SESSION_TOKEN_LIFETIME_MS - 1;
    assert.deepEqual(
      h.authority.signingKeys
        .jwks()
        .keys.map((k) => k.kid)
        .sort(),
      [oldKid, newKid].sort(),
    );
    h.clock.now = START + 60_000 + MAX_SESSION_TOKEN_LIFETIME_MS;
    assert.deepEqual(
      h.authority.signingKeys.jwks().keys.map((k) => k.kid),
      [newKid],
    );
    await h.authority.signingKeys.rotate();
    const stored = JSON.parse(h.backend.values.get(SIGNING_KEYS_VAULT_KEY) as string) as { kid: string }[];
    assert.ok(!stored.some((k) => k.kid === oldKid), 'the expired key is dropped from the vault');
    assert.equal(stored.length, 2);
    assert.ok(h.audit.some((e) => e.kind === 'control' && /rotated/.test(e.reason ?? '')));
  });

  test('an exec session token lives until the session ends, names the session, and is refused once revoked', async () => {
    const h = await harness();
    const { agent } = await headlessAgent(h);
    const expiresAt = START + 12 * 3600_000;
    const session = await h.authority.execTokens.mintForSession(agent.id, { id: 'ses_1', expiresAt });
    assert.equal(session.expires_at, expiresAt);
    assert.equal(decodeJwt(session.access_token).sid, 'ses_1');
    h.clock.now = START + 11 * 3600_000; // far past any other access token's lifetime
    assert.equal((await h.authority.verification.verifyAccessToken(session.access_token)).session_id, 'ses_1');
    h.authority.execTokens.revoke([{ jti: session.jti, expires_at: session.expires_at }]);
    await assert.rejects(
      h.authority.verification.verifyAccessToken(session.access_token),
      (error: LatchkeyError) => error.code === 'token_revoked',
    );
    await assert.rejects(
      h.authority.execTokens.mintForSession(agent.id, {
        id: 'ses_2',
        expiresAt: h.clock.now + MAX_SESSION_TOKEN_LIFETIME_MS + 1,
      }),
      (error: LatchkeyError) => error.code === 'invalid_ttl',
    );
  });

  test('private keys are kept in the vault only, never in SQLite', async () => {
    const h = await harness();
    const stored = JSON.parse(h.backend.values.get(SIGNING_KEYS_VAULT_KEY) as string) as { private_jwk: JWK }[];
    const d = stored[0]?.private_jwk.d as string;
    assert.ok(d);
    h.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of readdirSync(h.dir)) assert.ok(!readFileSync(join(h.dir, file)).includes(d));
    assert.ok(!JSON.stringify(h.authority.signingKeys.jwks()).includes(d));
  });
});

describe('interactive agents', () => {
  test('registration creates a pending agent that can do nothing until approved', async () => {
    const h = await harness();
    const client = await h.authority.registration.register({ redirect_uris: [REDIRECT], client_name: 'Desk agent' });
    assert.equal(typeof client.client_secret, 'string', 'confidential by default (client_secret_basic)');
    assert.equal(client.client_secret_expires_at, 0);
    const agent = h.authority.agents.list().find((a) => a.client_id === client.client_id);
    assert.equal(agent?.status, 'pending');
    assert.equal(agent?.registered_via, 'dcr');
    assert.deepEqual(agent?.grants, []);
    await assert.rejects(
      h.authority.tokenEndpoint.token({
        params: { grant_type: 'client_credentials' },
        authorization: basic(client.client_id, client.client_secret as string),
      }),
      hasCode('unauthorized_client', 400),
    );
    await assert.rejects(h.authority.execTokens.mint(agent?.id as string), hasCode('agent_not_active', 409));
    // A second registration under the same name does not take it.
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: [REDIRECT], client_name: 'Desk agent' }),
      hasCode('invalid_client_metadata', 400),
    );
  });

  test('registration validates redirect URIs and metadata', async () => {
    const h = await harness();
    await assert.rejects(h.authority.registration.register({}), hasCode('invalid_redirect_uri'));
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: ['http://example.com/cb'] }),
      hasCode('invalid_redirect_uri'),
    );
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: ['https://example.com/cb#frag'] }),
      hasCode('invalid_redirect_uri'),
    );
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: ['https://user@example.com/cb'] }),
      hasCode('invalid_redirect_uri'),
    );
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: ['javascript:alert(1)'] }),
      hasCode('invalid_redirect_uri'),
    );
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: [REDIRECT], grant_types: ['client_credentials'] }),
      hasCode('invalid_client_metadata'),
    );
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: [REDIRECT], response_types: ['token'] }),
      hasCode('invalid_client_metadata'),
    );
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: [REDIRECT], token_endpoint_auth_method: 'private_key_jwt' }),
      hasCode('invalid_client_metadata'),
    );
    const ok = await h.authority.registration.register({
      redirect_uris: ['https://agent.example/cb', 'http://[::1]/cb', 'http://localhost:8080/cb'],
      grant_types: ['authorization_code', 'refresh_token'],
    });
    assert.deepEqual(ok.grant_types, ['authorization_code', 'refresh_token']);
  });

  test('at most 100 self-registered agents wait for approval; unapproved ones are forgotten after a day', async () => {
    const h = await harness();
    for (let i = 0; i < 100; i++)
      await h.authority.registration.register({ redirect_uris: [REDIRECT], client_name: `waiting ${i}` });
    await assert.rejects(
      h.authority.registration.register({ redirect_uris: [REDIRECT] }),
      hasCode('temporarily_unavailable', 503),
    );
    h.clock.now += 24 * 3600_000 + 1;
    const fresh = await h.authority.registration.register({ redirect_uris: [REDIRECT], client_name: 'fresh' });
    assert.deepEqual(
      h.authority.agents.list().map((a) => a.client_id),
      [fresh.client_id],
    );
  });

  test('authorize → approve → one code → tokens; approving activates the agent with the granted grants', async () => {
    const h = await harness();
    const requested: unknown[] = [];
    h.events.on('approval-requested', (e) => requested.push(e));
    const flow = await interactiveAgent(h, 'github:repo slack:chat:write');
    assert.equal(requested.length, 1);
    const [view] = h.authority.approvals.list();
    assert.equal(view?.status, 'pending');
    assert.equal(view?.agent_name, 'Desk agent');
    assert.deepEqual(view?.requested_grants, [
      { connection: 'github', scopes: ['repo'] },
      { connection: 'slack', scopes: ['chat:write'] },
    ]);
    assert.deepEqual(h.authority.consent.status(flow.approvalId), { status: 'pending' });
    assert.deepEqual(h.authority.consent.details(flow.approvalId).scopes, ['github:repo', 'slack:chat:write']);

    // The person grants less than asked.
    const decided = await h.authority.approvals.decide(flow.approvalId, 'approve', [
      { connection: 'github', scopes: ['repo'] },
    ]);
    assert.equal(decided.status, 'approved');
    const agent = h.authority.agents.list().find((a) => a.client_id === flow.client.client_id);
    assert.equal(agent?.status, 'active');
    assert.deepEqual(agent?.grants, [{ connection: 'github', scopes: ['repo'] }]);
    await assert.rejects(h.authority.approvals.decide(flow.approvalId, 'deny'), hasCode('approval_decided', 409));

    const status = h.authority.consent.status(flow.approvalId);
    const redirect = new URL(status.redirect_to as string);
    assert.equal(`${redirect.origin}${redirect.pathname}`, flow.redirectUri);
    assert.equal(redirect.searchParams.get('state'), 'st4te');
    assert.equal(redirect.searchParams.get('iss'), ISSUER);
    assert.deepEqual(h.authority.consent.status(flow.approvalId), status, 'polling again gives the same single code');

    const tokens = await h.authority.tokenEndpoint.token({
      params: {
        grant_type: 'authorization_code',
        code: redirect.searchParams.get('code') as string,
        redirect_uri: flow.redirectUri,
        code_verifier: flow.verifier,
        client_id: flow.client.client_id,
      },
      authorization: undefined,
    });
    assert.equal(tokens.scope, 'github:repo');
    assert.equal(typeof tokens.refresh_token, 'string');
    const principal = await h.authority.verification.verifyAccessToken(tokens.access_token);
    assert.deepEqual([...principal.grants.keys()], ['github']);
    const approvals = h.audit.filter((e) => e.kind === 'approval');
    assert.deepEqual(
      approvals.map((e) => e.decision),
      ['info', 'allow'],
    );
  });

  test('the code is bound to the PKCE verifier, redirect URI and client, and is single-use', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h);
    await h.authority.approvals.decide(flow.approvalId, 'approve');
    const code = new URL(h.authority.consent.status(flow.approvalId).redirect_to as string).searchParams.get(
      'code',
    ) as string;
    const exchange = (params: Record<string, string>) =>
      h.authority.tokenEndpoint.token({
        params: {
          grant_type: 'authorization_code',
          code,
          redirect_uri: flow.redirectUri,
          code_verifier: flow.verifier,
          client_id: flow.client.client_id,
          ...params,
        },
        authorization: undefined,
      });
    // A wrong verifier spends the code: a thief without the verifier only burns it.
    await assert.rejects(exchange({ code_verifier: randomBytes(32).toString('base64url') }), hasCode('invalid_grant'));
    await assert.rejects(exchange({}), hasCode('invalid_grant'));

    const second = await interactiveAgent(h);
    await h.authority.approvals.decide(second.approvalId, 'approve');
    const code2 = new URL(h.authority.consent.status(second.approvalId).redirect_to as string).searchParams.get(
      'code',
    ) as string;
    const exchange2 = (params: Record<string, string>) =>
      h.authority.tokenEndpoint.token({
        params: {
          grant_type: 'authorization_code',
          code: code2,
          redirect_uri: second.redirectUri,
          code_verifier: second.verifier,
          client_id: second.client.client_id,
          ...params,
        },
        authorization: undefined,
      });
    await assert.rejects(exchange2({ code_verifier: '' }), hasCode('invalid_request'), 'PKCE is required');
    const tokens = await exchange2({});
    // Replay: refused, and what the first exchange issued is revoked (RFC 6749 §4.1.2).
    await assert.rejects(exchange2({}), hasCode('invalid_grant'));
    await assert.rejects(h.authority.verification.verifyAccessToken(tokens.access_token), hasCode('token_revoked'));
    await assert.rejects(refresh(h, second.client.client_id, tokens.refresh_token as string), hasCode('invalid_grant'));
  });

  test('a code expires after 60 seconds; a code for another redirect URI or client is refused', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h);
    const other = await interactiveAgent(h);
    await h.authority.approvals.decide(flow.approvalId, 'approve');
    const code = new URL(h.authority.consent.status(flow.approvalId).redirect_to as string).searchParams.get(
      'code',
    ) as string;
    const base = { grant_type: 'authorization_code', code, code_verifier: flow.verifier };
    await assert.rejects(
      h.authority.tokenEndpoint.token({
        params: { ...base, redirect_uri: 'http://127.0.0.1:1/elsewhere', client_id: flow.client.client_id },
        authorization: undefined,
      }),
      hasCode('invalid_grant'),
    );
    await h.authority.approvals.decide(other.approvalId, 'approve');
    const code2 = new URL(h.authority.consent.status(other.approvalId).redirect_to as string).searchParams.get(
      'code',
    ) as string;
    await assert.rejects(
      h.authority.tokenEndpoint.token({
        params: { ...base, code: code2, redirect_uri: other.redirectUri, client_id: flow.client.client_id },
        authorization: undefined,
      }),
      hasCode('invalid_grant'),
    );

    const late = await interactiveAgent(h);
    await h.authority.approvals.decide(late.approvalId, 'approve');
    const code3 = new URL(h.authority.consent.status(late.approvalId).redirect_to as string).searchParams.get(
      'code',
    ) as string;
    h.clock.now += 60_000;
    await assert.rejects(
      h.authority.tokenEndpoint.token({
        params: {
          ...base,
          code: code3,
          code_verifier: late.verifier,
          redirect_uri: late.redirectUri,
          client_id: late.client.client_id,
        },
        authorization: undefined,
      }),
      hasCode('invalid_grant'),
    );
  });

  test('refresh tokens rotate; reusing a rotated one revokes the whole family', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h);
    const { tokens } = await approveAndExchange(h, flow);
    const clientId = flow.client.client_id;
    const second = await refresh(h, clientId, tokens.refresh_token as string);
    assert.notEqual(second.refresh_token, tokens.refresh_token);
    assert.equal(second.scope, 'github:repo');
    const third = await refresh(h, clientId, second.refresh_token as string);
    await h.authority.verification.verifyAccessToken(third.access_token);
    // Only the hash is stored.
    assert.equal(
      h.db
        .prepare('SELECT count(*) FROM refresh_tokens WHERE token_hash = ?')
        .pluck()
        .get(
          createHash('sha256')
            .update(third.refresh_token as string)
            .digest('hex'),
        ),
      1,
    );

    // The first token again: theft. Refused, and everything of the family dies, including live access tokens.
    await assert.rejects(refresh(h, clientId, tokens.refresh_token as string), (error: unknown) => {
      hasCode('invalid_grant', 400)(error);
      assert.match((error as Error).message, /already used/);
      return true;
    });
    await assert.rejects(refresh(h, clientId, third.refresh_token as string), hasCode('invalid_grant'));
    await assert.rejects(h.authority.verification.verifyAccessToken(third.access_token), hasCode('token_revoked'));
    await assert.rejects(h.authority.verification.verifyAccessToken(second.access_token), hasCode('token_revoked'));
    assert.ok(h.audit.some((e) => e.kind === 'token' && e.decision === 'deny' && /already used/.test(e.reason ?? '')));
  });

  test('a refresh may narrow the scope, never widen it; refresh tokens are bound to their client', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h, 'github:repo github:gist');
    const { tokens } = await approveAndExchange(h, flow);
    await assert.rejects(refresh(h, flow.client.client_id, 'x'.repeat(43)), hasCode('invalid_grant'));
    await assert.rejects(
      h.authority.tokenEndpoint.token({
        params: {
          grant_type: 'refresh_token',
          refresh_token: tokens.refresh_token as string,
          client_id: flow.client.client_id,
          scope: 'github:read:user',
        },
        authorization: undefined,
      }),
      hasCode('invalid_scope'),
    );
    const narrowed = await h.authority.tokenEndpoint.token({
      params: {
        grant_type: 'refresh_token',
        refresh_token: tokens.refresh_token as string,
        client_id: flow.client.client_id,
        scope: 'github:gist',
      },
      authorization: undefined,
    });
    assert.equal(narrowed.scope, 'github:gist');
    const other = await interactiveAgent(h);
    await approveAndExchange(h, other);
    await assert.rejects(
      refresh(h, other.client.client_id, narrowed.refresh_token as string),
      hasCode('invalid_grant'),
    );
    // The rotated token keeps the original scope.
    assert.equal(
      (await refresh(h, flow.client.client_id, narrowed.refresh_token as string)).scope,
      'github:gist github:repo',
    );
  });

  test('revoking a refresh token (RFC 7009) revokes its family and the access tokens issued with it', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h);
    const { tokens } = await approveAndExchange(h, flow);
    await h.authority.revocation.revoke({
      params: { token: tokens.refresh_token as string, client_id: flow.client.client_id },
      authorization: undefined,
    });
    await assert.rejects(refresh(h, flow.client.client_id, tokens.refresh_token as string), hasCode('invalid_grant'));
    await assert.rejects(h.authority.verification.verifyAccessToken(tokens.access_token), hasCode('token_revoked'));
  });

  test('deny redirects with access_denied; approvals expire after 10 minutes; a newer request replaces a pending one', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h);
    await h.authority.approvals.decide(flow.approvalId, 'deny');
    const denied = h.authority.consent.status(flow.approvalId);
    assert.equal(denied.status, 'denied');
    const params = new URL(denied.redirect_to as string).searchParams;
    assert.equal(params.get('error'), 'access_denied');
    assert.equal(params.get('state'), 'st4te');
    assert.equal(params.get('code'), null);
    assert.equal(
      h.authority.agents.list().find((a) => a.client_id === flow.client.client_id)?.status,
      'pending',
      'a denial does not activate',
    );

    const { location } = await flow.authorize();
    const again = location.split('/').pop() as string;
    const { location: newest } = await flow.authorize();
    assert.throws(
      () => h.authority.consent.status(again),
      hasCode('unknown_approval', 404),
      'the older pending request was replaced',
    );
    const latest = newest.split('/').pop() as string;
    h.clock.now += 10 * 60_000;
    assert.equal(h.authority.consent.status(latest).status, 'expired');
    await assert.rejects(h.authority.approvals.decide(latest, 'approve'), hasCode('approval_expired', 409));
    await assert.rejects(h.authority.approvals.decide('nope', 'approve'), hasCode('unknown_approval', 404));
  });

  test('a request without scope needs the person to choose grants', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h, '');
    await assert.rejects(h.authority.approvals.decide(flow.approvalId, 'approve'), hasCode('grants_required', 400));
    await assert.rejects(
      h.authority.approvals.decide(flow.approvalId, 'approve', [{ connection: 'github', scopes: ['admin'] }]),
      hasCode('invalid_grant_scope', 400),
    );
    const { tokens } = await (async () => {
      await h.authority.approvals.decide(flow.approvalId, 'approve', [{ connection: 'slack', scopes: ['*'] }]);
      const code = new URL(h.authority.consent.status(flow.approvalId).redirect_to as string).searchParams.get(
        'code',
      ) as string;
      return {
        tokens: await h.authority.tokenEndpoint.token({
          params: {
            grant_type: 'authorization_code',
            code,
            redirect_uri: flow.redirectUri,
            code_verifier: flow.verifier,
            client_id: flow.client.client_id,
          },
          authorization: undefined,
        }),
      };
    })();
    assert.equal(tokens.scope, 'slack:*');
  });

  test('authorize: errors before the redirect URI is trusted throw; for an approved client, they redirect with state and iss', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h);
    await approveAndExchange(h, flow);
    const base = {
      response_type: 'code',
      client_id: flow.client.client_id,
      redirect_uri: flow.redirectUri,
      state: 's',
      code_challenge: flow.challenge,
      code_challenge_method: 'S256',
    };
    await assert.rejects(
      h.authority.authorization.authorize({ ...base, client_id: 'unknown' }),
      hasCode('invalid_client'),
    );
    await assert.rejects(
      h.authority.authorization.authorize({ ...base, client_id: undefined }),
      hasCode('invalid_request'),
    );
    await assert.rejects(
      h.authority.authorization.authorize({ ...base, redirect_uri: 'https://evil.example/cb' }),
      hasCode('invalid_request'),
    );
    await assert.rejects(
      h.authority.authorization.authorize({ ...base, redirect_uri: 'http://127.0.0.1:5000/other' }),
      hasCode('invalid_request'),
    );
    await assert.rejects(
      h.authority.authorization.authorize({ ...base, redirect_uri: 'http://localhost:5000/callback' }),
      hasCode('invalid_request'),
      'the port may vary, the host may not',
    );
    const redirected = async (params: Record<string, string | undefined>) =>
      new URL((await h.authority.authorization.authorize({ ...base, ...params })).location).searchParams;
    assert.equal((await redirected({ code_challenge_method: 'plain' })).get('error'), 'invalid_request');
    assert.equal((await redirected({ code_challenge_method: undefined })).get('error'), 'invalid_request');
    assert.equal((await redirected({ code_challenge: 'short' })).get('error'), 'invalid_request');
    assert.equal((await redirected({ response_type: 'token' })).get('error'), 'unsupported_response_type');
    assert.equal((await redirected({ scope: 'gitlab:api' })).get('error'), 'invalid_scope');
    const withState = await redirected({ scope: 'github:admin' });
    assert.equal(withState.get('error'), 'invalid_scope');
    assert.equal(withState.get('state'), 's');
    assert.equal(withState.get('iss'), ISSUER);
  });

  test('a revoked agent cannot authorize or be approved', async () => {
    const h = await harness();
    const flow = await interactiveAgent(h);
    const agent = h.authority.agents.list().find((a) => a.client_id === flow.client.client_id) as { id: string };
    await h.authority.agents.revoke(agent.id);
    assert.throws(
      () => h.authority.consent.status(flow.approvalId),
      hasCode('unknown_approval'),
      'its pending requests are gone',
    );
    await assert.rejects(flow.authorize(), hasCode('invalid_client'));
  });
});

describe('pause', () => {
  test('pausing refuses tokens and authorizations until resumed, survives a restart, and is audited', async () => {
    const h = await harness();
    const { agent, token } = await headlessAgent(h);
    const flow = await interactiveAgent(h);
    const changes: unknown[] = [];
    h.events.on('paused-changed', (e) => changes.push(e));
    await h.authority.killSwitch.pause();
    assert.equal(h.authority.killSwitch.paused, true);
    await assert.rejects(token(), hasCode('paused', 403));
    await assert.rejects(h.authority.execTokens.mint(agent.id), hasCode('paused', 403));
    await assert.rejects(h.authority.registration.register({ redirect_uris: [REDIRECT] }), hasCode('paused', 403));
    // The client is not approved yet: an error page, not a redirect to its URI.
    await assert.rejects(flow.authorize(), hasCode('temporarily_unavailable'));
    assert.equal((await h.reopen()).killSwitch.paused, true, 'a restart does not lift the kill switch');
    await h.authority.killSwitch.resume();
    assert.equal(h.authority.killSwitch.paused, false);
    assert.equal((await token()).token_type, 'Bearer');
    const minted = await h.authority.execTokens.mint(agent.id);
    assert.equal((await h.authority.verification.verifyAccessToken(minted.access_token)).agent_id, agent.id);
    assert.deepEqual(changes, [{ paused: true }, { paused: false }]);
    assert.deepEqual(
      h.audit.filter((e) => e.kind === 'control').map((e) => e.reason),
      ['paused: every agent request is refused', 'resumed'],
    );
    assert.ok(h.audit.some((e) => e.kind === 'token' && e.decision === 'deny' && /paused/.test(e.reason ?? '')));
  });
});

test('random ids never start with "-", so `latchkey approve ID` never reads one as an option', () => {
  const ids = Array.from({ length: 2000 }, () => randomId());
  assert.ok(
    ids.every((id) => /^[A-Za-z0-9_][A-Za-z0-9_-]*$/.test(id)),
    ids.find((id) => id.startsWith('-')),
  );
  assert.equal(new Set(ids).size, ids.length);
});
