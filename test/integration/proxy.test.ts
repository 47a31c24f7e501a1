/**
 * The proxy over loopback with the real catalog, connection service, token manager and
 * SQLite store: an agent calls /proxy/<connection>/<path>, a small resource server plays
 * the provider's API, a tiny token endpoint plays its OAuth server. The agent authority is
 * a table of tokens and the audit log an array (both are tested on their own).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { createLogger, type Logger } from '../../main/core/log.js';
import type Database from 'better-sqlite3';
import { Catalog } from '../../main/core/catalog/catalog.js';
import { validateProviderDefinition } from '../../main/core/catalog/validate-definition.js';
import type { ConnectionService } from '../../main/core/connections/service.js';
import { connectionServices } from '../fixtures/connection-services.js';
import type { TokenManager } from '../../main/core/connections/tokens.js';
import { proxyRoutes } from '../../main/core/proxy/routes.js';
import type { AuditRecord, ProxyDeps } from '../../main/core/proxy/types.js';
import type { ConnectionStore, ConnectionRecord } from '../../main/core/store/connections.js';
import { openDatabase } from '../fixtures/database.js';
import { Vault } from '../../main/core/vault/vault.js';
import { MemoryBackend } from '../fixtures/memory-backend.js';
import { principal, TableVerifier } from '../fixtures/principals.js';
import { raw } from '../fixtures/raw-http.js';
import { bigChunk, REDIRECT_TARGET, startResourceServer, type ResourceServer } from '../fixtures/resource-server.js';

const MIB = 1024 * 1024;

/** A token endpoint that refreshes (rotating) or, when told to, answers invalid_grant. */
interface TokenServer {
  url: string;
  refreshes: number;
  failWith: string | undefined;
  issued: Set<string>;
  close(): Promise<void>;
}

async function startTokenServer(): Promise<TokenServer> {
  const state: TokenServer = { url: '', refreshes: 0, failWith: undefined, issued: new Set(), close: async () => {} };
  const server: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const form = new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
    res.setHeader('content-type', 'application/json');
    if (req.url !== '/token' || form.get('grant_type') !== 'refresh_token') {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: 'unsupported_grant_type' }));
      return;
    }
    state.refreshes += 1;
    if (state.failWith) {
      res.statusCode = 400;
      res.end(JSON.stringify({ error: state.failWith }));
      return;
    }
    const access = `oauth-access-${state.refreshes}`;
    state.issued.add(access);
    res.end(
      JSON.stringify({
        access_token: access,
        token_type: 'Bearer',
        expires_in: 3600,
        refresh_token: `oauth-refresh-${state.refreshes}`,
      }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  state.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return state;
}

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  text: string;
  json: any;
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** One request with node:http (fetch would normalise the path and follow redirects). */
function call(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(`${base}${path}`, { method: init.method ?? 'GET', headers: init.headers ?? {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json: parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

describe('the proxy', () => {
  let dir: string;
  let db: Database.Database;
  let resources: ResourceServer;
  let tokenServer: TokenServer;
  let verifier: TableVerifier;
  let audit: AuditRecord[];
  let auditFails = false;
  let store: ConnectionStore;
  let service: ConnectionService;
  let tokens: TokenManager;
  let backend: MemoryBackend;
  let deps: ProxyDeps;
  let app: FastifyInstance;
  let base: string;
  let port: number;
  const upstreamKeys = new Map<string, string>([
    ['key-items', 'items:read items:write'],
    ['key-custom', ''],
  ]);

  /** The proxy plugin in a fastify app configured like the broker's. */
  async function startProxy(
    overrides: Partial<ProxyDeps> = {},
    logger?: Logger,
  ): Promise<{ app: FastifyInstance; base: string; port: number }> {
    const instance = Fastify({
      ...(logger ? { loggerInstance: logger as FastifyBaseLogger } : { logger: false }),
      bodyLimit: 1024 * 1024,
      routerOptions: { maxParamLength: 256 },
    });
    let url = '';
    await instance.register(proxyRoutes, { ...deps, baseUrl: () => url, ...overrides });
    await instance.listen({ host: '127.0.0.1', port: 0 });
    const bound = (instance.server.address() as { port: number }).port;
    url = `http://127.0.0.1:${bound}`;
    return { app: instance, base: url, port: bound };
  }

  /** The audit entries appended while `run` ran. */
  async function audited<T>(run: () => Promise<T>): Promise<{ result: T; entries: AuditRecord[] }> {
    const from = audit.length;
    const result = await run();
    return { result, entries: audit.slice(from) };
  }

  async function connectOAuth(name: string, accessToken: string): Promise<ConnectionRecord> {
    const record = store.insert({
      id: crypto.randomUUID(),
      name,
      provider: 'items-oauth',
      auth_method: 'oauth',
      account: 'alice',
      scopes: ['items:read', 'items:write'],
      status: 'connected',
      expires_at: Date.now() + 3_600_000,
      refreshable: true,
      last_error: null,
    });
    await tokens.save(record, {
      access_token: accessToken,
      refresh_token: 'oauth-refresh-0',
      expires_at: Date.now() + 3_600_000,
      obtained_at: Date.now(),
    });
    return record;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-proxy-'));
    db = openDatabase(join(dir, 'latchkey.db'));
    tokenServer = await startTokenServer();
    resources = await startResourceServer({
      validate: async (token) => {
        if (upstreamKeys.has(token)) return { active: true, scope: upstreamKeys.get(token) as string };
        return tokenServer.issued.has(token) ? { active: true, scope: 'items:read items:write' } : { active: false };
      },
    });
    const downPort = await closedPort();
    const anyRoute = (path: string, scopes: string[] = []) => ({ method: 'GET', path, scopes });
    const itemsRules = [
      { method: 'GET', path: '/items', scopes: ['items:read'] },
      { method: 'POST', path: '/items', scopes: ['items:write'] },
      { method: 'POST', path: '/echo', scopes: [] },
      { method: 'POST', path: '/hold', scopes: [] },
      anyRoute('/big'),
      anyRoute('/headers'),
      anyRoute('/redirect'),
      anyRoute('/slow'),
      anyRoute('/**', ['items:read']),
    ];
    const catalog = new Catalog(
      [],
      [
        validateProviderDefinition({
          id: 'items-key',
          name: 'Items (key)',
          auth: {
            type: 'api_key',
            header: 'Authorization',
            format: 'Bearer {key}',
            scopes: { 'items:read': 'Read items', 'items:write': 'Write items' },
          },
          api: {
            base_url: `${resources.url}/api`,
            base_url_env: 'ITEMS_API_URL',
            headers: { 'X-Api-Version': '2024-01-01' },
            rules: itemsRules,
          },
        }),
        validateProviderDefinition({
          id: 'items-custom',
          name: 'Items (custom header)',
          auth: { type: 'api_key', header: 'X-Api-Key', format: '{key}' },
          api: { base_url: resources.url, rules: [anyRoute('/api/headers')] },
        }),
        validateProviderDefinition({
          id: 'items-oauth',
          name: 'Items (OAuth)',
          auth: {
            type: 'oauth2',
            authorization_url: `${tokenServer.url}/authorize`,
            token_url: `${tokenServer.url}/token`,
            pkce: true,
            client_auth: 'none',
            client_secret: 'none',
            scopes: { 'items:read': 'Read items', 'items:write': 'Write items' },
            default_scopes: ['items:read'],
            redirect: { host: '127.0.0.1', any_port: true },
          },
          api: { base_url: `${resources.url}/api`, rules: itemsRules },
        }),
        validateProviderDefinition({
          id: 'down',
          name: 'Down',
          auth: { type: 'api_key', header: 'Authorization', format: 'Bearer {key}' },
          api: { base_url: `http://127.0.0.1:${downPort}`, rules: [{ method: '*', path: '/**', scopes: [] }] },
        }),
      ],
    );
    backend = new MemoryBackend();
    const vault = new Vault(backend);
    ({ store, tokens, service } = connectionServices({ db, catalog, vault, dataDir: dir }));
    await service.setClient('items-oauth', 'proxy-test-client', undefined);
    await service.connect({ provider: 'items-key', name: 'items', secret: 'key-items' });
    await service.connect({ provider: 'items-custom', name: 'custom', secret: 'key-custom' });
    await service.connect({ provider: 'items-key', name: 'someone-elses', secret: 'key-items' });
    await service.connect({ provider: 'down', name: 'down', secret: 'key-down' });
    await connectOAuth('oauth', 'oauth-stale-0');

    verifier = new TableVerifier();
    const idOf = (name: string): string => store.getByName(name)?.id ?? `gone-${name}`;
    verifier.principals.set(
      'tok-reader',
      principal(
        'reader',
        [
          ['items', ['items:read']],
          ['custom', '*'],
          ['oauth', ['items:read', 'items:write']],
          ['down', '*'],
          ['deleted', '*'],
        ],
        idOf,
      ),
    );
    verifier.principals.set('tok-all', principal('all', [['items', '*']], idOf));
    verifier.principals.set('tok-limited', principal('limited', [['items', '*']], idOf, 3));
    audit = [];
    deps = {
      verifier,
      audit: {
        append: async (entry) => {
          // Failing slowly, like a commit that hits a full disk: whatever was sent by then has arrived.
          if (auditFails)
            await new Promise((resolve) => setTimeout(resolve, 50)).then(() => Promise.reject(new Error('disk full')));
          audit.push(entry);
          return entry;
        },
      },
      catalog,
      connections: service,
      tokens,
      store,
      baseUrl: () => base,
    };
    ({ app, base, port } = await startProxy());
  });

  after(async () => {
    await app.close();
    tokens.close();
    await resources.close();
    await tokenServer.close();
    store.flush(); // last_used_at is written in batches: before the database closes
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("an allowed read reaches the API with the connection's key, the query, and no trace of the agent", async () => {
    const before = resources.hits['GET /api/headers'] ?? 0;
    const { result, entries } = await audited(() =>
      call(base, '/proxy/items/headers?page=2&q=a%20b', {
        headers: {
          ...bearer('tok-reader'),
          cookie: 'local=1',
          'x-forwarded-for': '10.0.0.1',
          forwarded: 'for=10.0.0.1',
          referer: `${base}/`,
          'x-custom': 'kept',
          connection: 'keep-alive, x-hop',
          'x-hop': 'dropped',
          'proxy-authorization': 'Basic eDp5',
          te: 'trailers',
        },
      }),
    );
    assert.equal(result.status, 200, result.text);
    const seen = result.json as { headers: Record<string, string>; url: string };
    assert.equal(seen.url, '/api/headers?page=2&q=a%20b');
    assert.equal(seen.headers.authorization, 'Bearer key-items');
    assert.equal(seen.headers.host, new URL(resources.url).host);
    assert.equal(seen.headers['x-custom'], 'kept');
    assert.equal(seen.headers['x-api-version'], '2024-01-01', "the provider's fixed headers are added");
    for (const name of [
      'cookie',
      'x-forwarded-for',
      'forwarded',
      'referer',
      'x-hop',
      'proxy-authorization',
      'te',
      'origin',
    ]) {
      assert.equal(seen.headers[name], undefined, `${name} is not forwarded`);
    }
    assert.ok(!result.text.includes('tok-reader'), 'the agent token never reaches the upstream');
    assert.equal(resources.hits['GET /api/headers'], before + 1);
    assert.equal(result.headers['x-ratelimit-limit'], '6000', 'agents without a limit get the broker-wide one');
    assert.ok(Number(result.headers['x-ratelimit-remaining']) >= 0);
    assert.ok(Number(result.headers['x-ratelimit-reset']) >= 0);
    assert.equal(entries.length, 1);
    assert.deepEqual(
      { ...entries[0], latency_ms: 0 },
      {
        kind: 'proxy',
        decision: 'allow',
        reason: null,
        agent_id: 'agent-reader',
        agent_name: 'reader',
        connection: 'items',
        method: 'GET',
        path: '/headers?page=2&q=a%20b',
        status: 200,
        latency_ms: 0,
        bytes_in: 0,
        bytes_out: Buffer.byteLength(result.text),
      },
    );
    assert.ok(service.get('items').last_used_at !== null, 'the connection was marked used');
  });

  test("the agent's query reaches the API; the API's cookies and hop-by-hop headers do not reach the agent", async () => {
    const res = await call(base, '/proxy/items/items?page=2&filter=open', { headers: bearer('tok-reader') });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(res.json.query, { page: '2', filter: 'open' });
    assert.equal(res.headers['set-cookie'], undefined);
    assert.equal(res.headers['content-type'], 'application/json');
  });

  test('a provider with its own credential header gets it, and the agent cannot plant its own', async () => {
    const res = await call(base, '/proxy/custom/api/headers', {
      headers: { ...bearer('tok-reader'), 'x-api-key': 'forged' },
    });
    assert.equal(res.status, 200, res.text);
    assert.equal(res.json.headers['x-api-key'], 'key-custom');
    assert.equal(res.json.headers.authorization, undefined, "the agent's Authorization is not forwarded");
  });

  test('the token schemes of official SDKs are accepted: Octokit\'s "token", Stripe\'s Basic', async () => {
    for (const authorization of [
      'token tok-reader',
      `Basic ${Buffer.from('tok-reader:').toString('base64')}`,
      'bearer tok-reader',
    ]) {
      const res = await call(base, '/proxy/items/items', { headers: { authorization } });
      assert.equal(res.status, 200, `${authorization}: ${res.text}`);
    }
  });

  test('a write outside the grant is 403 insufficient_scope with the required and granted scopes', async () => {
    const before = resources.hits['POST /api/items'] ?? 0;
    const { result, entries } = await audited(() =>
      call(base, '/proxy/items/items', {
        method: 'POST',
        headers: { ...bearer('tok-reader'), 'content-type': 'application/json' },
        body: '{"name":"x"}',
      }),
    );
    assert.equal(result.status, 403);
    assert.deepEqual(
      {
        error: result.json.error,
        required_scopes: result.json.required_scopes,
        granted_scopes: result.json.granted_scopes,
        connection: result.json.connection,
      },
      {
        error: 'insufficient_scope',
        required_scopes: ['items:write'],
        granted_scopes: ['items:read'],
        connection: 'items',
      },
    );
    assert.match(result.json.error_description, /items:write/);
    assert.match(
      result.headers['www-authenticate'] ?? '',
      /^Bearer realm="latchkey", error="insufficient_scope", error_description="[^"]*", scope="items:items:write"$/,
    );
    assert.equal(result.headers['x-ratelimit-limit'], '6000');
    assert.equal(resources.hits['POST /api/items'] ?? 0, before, 'the upstream was not called');
    assert.equal(entries.length, 1);
    assert.equal(entries[0]!.decision, 'deny');
    assert.equal(entries[0]!.status, 403);
    assert.equal(entries[0]!.reason, 'insufficient_scope');
    assert.equal(entries[0]!.path, '/items');
  });

  test('an endpoint no rule covers is refused, even for a "*" grant', async () => {
    const res = await call(base, '/proxy/items/items', { method: 'DELETE', headers: bearer('tok-all') });
    assert.equal(res.status, 403);
    assert.equal(res.json.error, 'insufficient_scope');
    assert.deepEqual(res.json.required_scopes, []);
    assert.match(res.json.error_description, /no rule for this endpoint/);
    assert.doesNotMatch(res.headers['www-authenticate'] ?? '', /scope=/);
  });

  test('a "*" grant holds every scope the connection holds', async () => {
    const res = await call(base, '/proxy/items/items', {
      method: 'POST',
      headers: { ...bearer('tok-all'), 'content-type': 'application/json' },
      body: '{"name":"y"}',
    });
    assert.equal(res.status, 201, res.text);
    assert.deepEqual(res.json, { created: { name: 'y' } });
  });

  test('connections without a grant and connections that do not exist are the same 404', async () => {
    const total = resources.total();
    const { result: ungranted, entries } = await audited(() =>
      call(base, '/proxy/someone-elses/items', { headers: bearer('tok-reader') }),
    );
    const missing = await call(base, '/proxy/nope/items', { headers: bearer('tok-reader') });
    const deleted = await call(base, '/proxy/deleted/items', { headers: bearer('tok-reader') });
    for (const [res, name] of [
      [ungranted, 'someone-elses'],
      [missing, 'nope'],
      [deleted, 'deleted'],
    ] as const) {
      assert.equal(res.status, 404);
      assert.equal(res.json.error, 'unknown_connection');
      assert.equal(res.json.connection, name);
      assert.deepEqual(
        res.json.available,
        ['custom', 'down', 'items', 'oauth'],
        "only the agent's own connections are named",
      );
    }
    assert.equal(resources.total(), total);
    assert.equal(entries.length, 1);
    assert.deepEqual(
      [entries[0]!.decision, entries[0]!.status, entries[0]!.reason, entries[0]!.connection],
      ['deny', 404, 'unknown_connection', 'someone-elses'],
    );
  });

  test('no token, an unknown scheme or a bad token: 401 with an RFC 6750 challenge and the token endpoint', async () => {
    const total = resources.total();
    const { result: none, entries } = await audited(() => call(base, '/proxy/items/items'));
    assert.equal(none.status, 401);
    assert.equal(none.json.error, 'missing_token');
    assert.equal(none.json.token_endpoint, 'http://127.0.0.1:1/oauth/token');
    assert.equal(none.headers['www-authenticate'], 'Bearer realm="latchkey"');
    assert.equal(none.headers['x-ratelimit-limit'], undefined, 'no agent, no agent limit');
    assert.deepEqual(
      entries.map((e) => [e.decision, e.status, e.reason, e.agent_id ?? null]),
      [['deny', 401, 'missing_token', null]],
    );

    const digest = await call(base, '/proxy/items/items', { headers: { authorization: 'Digest username="x"' } });
    assert.equal(digest.json.error, 'missing_token');
    const emptyPassword = await call(base, '/proxy/items/items', {
      headers: { authorization: `Basic ${Buffer.from('tok-reader:secret').toString('base64')}` },
    });
    assert.equal(
      emptyPassword.json.error,
      'missing_token',
      'Basic carries a token only as a user name with an empty password',
    );

    for (const [token, code] of [
      ['forged', 'invalid_token'],
      ['tok-expired', 'token_expired'],
      ['tok-revoked', 'token_revoked'],
    ] as const) {
      const res = await call(base, '/proxy/items/items', { headers: bearer(token) });
      assert.equal(res.status, 401);
      assert.equal(res.json.error, code);
      assert.equal(res.json.token_endpoint, 'http://127.0.0.1:1/oauth/token');
      assert.equal(res.json.agent, undefined, 'whose token it was is for the audit only');
      assert.match(
        res.headers['www-authenticate'] ?? '',
        /^Bearer realm="latchkey", error="invalid_token", error_description="[^"]+"$/,
      );
    }
    const revoked = audit.at(-1)!;
    assert.deepEqual(
      [revoked.reason, revoked.agent_id, revoked.agent_name],
      ['token_revoked', 'agent-gone', 'gone'],
      "a revoked agent's attempt is on its record",
    );
    assert.equal(resources.total(), total);
  });

  test('the kill switch refuses every agent request with 403 paused, on the record', async () => {
    verifier.paused = true;
    try {
      const total = resources.total();
      const { result, entries } = await audited(() =>
        call(base, '/proxy/items/items', { headers: bearer('tok-reader') }),
      );
      assert.equal(result.status, 403);
      assert.equal(result.json.error, 'paused');
      const listing = await call(base, '/v1/connections', { headers: bearer('tok-reader') });
      assert.equal(listing.status, 403);
      assert.equal(listing.json.error, 'paused');
      assert.equal(resources.total(), total);
      assert.deepEqual(
        entries.map((e) => [e.decision, e.status, e.reason, e.agent_id]),
        [['deny', 403, 'paused', 'agent-reader']],
      );
    } finally {
      verifier.paused = false;
    }
  });

  test("browser requests from another origin are refused; the broker's own origin is not", async () => {
    const total = resources.total();
    const foreign = await call(base, '/proxy/items/items', {
      headers: { ...bearer('tok-reader'), origin: 'https://evil.example' },
    });
    assert.equal(foreign.status, 403);
    assert.equal(foreign.json.error, 'forbidden_origin');
    const crossSite = await call(base, '/proxy/items/items', {
      headers: { ...bearer('tok-reader'), 'sec-fetch-site': 'cross-site' },
    });
    assert.equal(crossSite.json.error, 'forbidden_origin');
    assert.equal(resources.total(), total);
    const own = await call(base, '/proxy/items/items', { headers: { ...bearer('tok-reader'), origin: base } });
    assert.equal(own.status, 200, own.text);
  });

  test('paths that could escape the API base URL are refused before any upstream call', async () => {
    const refusedByProxy = [
      '/proxy/items/../x',
      '/proxy/items/./x',
      '/proxy/items/a/../../x',
      '/proxy/items/%2e%2e/x',
      '/proxy/items/%2E%2e/x',
      '/proxy/items/.%2e/x',
      '/proxy/items/%2e/x',
      '/proxy/items/..;/x',
      '/proxy/items/a%2Fb',
      '/proxy/items/a%2fb',
      '/proxy/items/a%5cb',
      '/proxy/items/a%5Cb',
      '/proxy/items/a\\b',
      '/proxy/items//evil.example/x',
      '/proxy/items/@evil.example/x',
      '/proxy/items/http:evil.example',
      '/proxy/items/https:%2f%2fevil.example',
      '/proxy/items/x%0d%0aX-Evil:1',
      '/proxy/items/x%00',
      '/proxy/items/x%0a',
      '/proxy/items/a%09b',
      '/proxy/items/%252e%252e/x',
      '/proxy/items/%ef%bc%8e%ef%bc%8e/x',
      '/proxy/items',
      '/proxy/admin', // what clients make of /proxy/items/../../admin
    ];
    // These never reach a route: the router (bad percent-encoding) or node's HTTP parser (raw
    // control and non-ASCII bytes) answers 400 itself. A raw CR LF cannot be in a path at all: it ends the request line.
    const refusedBeforeRouting = [
      '/proxy/items/%c0%ae%c0%ae/x',
      '/proxy/items/%zz',
      '/proxy/items/x\u0000',
      '/proxy/items/caf\u00e9',
    ];
    const total = resources.total();
    const from = audit.length;
    for (const target of [...refusedByProxy, ...refusedBeforeRouting]) {
      const res = await raw(
        port,
        'GET',
        target,
        Object.entries({ host: `127.0.0.1:${port}`, ...bearer('tok-reader') }),
      );
      assert.equal(res.status, 400, JSON.stringify(target));
      if (refusedByProxy.includes(target)) assert.equal(res.json?.error, 'invalid_path', JSON.stringify(target));
    }
    assert.equal(resources.total(), total, 'the upstream was never called');
    const entries = audit.slice(from);
    assert.equal(entries.length, refusedByProxy.length, 'each refusal by the proxy is one audit entry');
    assert.ok(
      entries.every(
        (e) =>
          e.decision === 'deny' && e.status === 400 && e.reason === 'invalid_path' && e.agent_id === 'agent-reader',
      ),
    );
    assert.deepEqual(
      entries.slice(0, 2).map((e) => e.path),
      ['/../x', '/./x'],
    );
  });

  test('path and query go upstream as sent: percent-encoding, encoded slashes in the query, a trailing slash', async () => {
    const query = await call(base, '/proxy/items/items?name=caf%C3%A9&next=%2F..%2Fadmin', {
      headers: bearer('tok-reader'),
    });
    assert.equal(query.status, 200, query.text);
    assert.deepEqual(query.json.query, { name: 'café', next: '/../admin' });
    const encoded = await call(base, '/proxy/items/a%20b/c%40d', { headers: bearer('tok-reader') });
    assert.equal(encoded.status, 404, 'the upstream itself answers: it has no such route');
    assert.equal(encoded.json.route, 'GET /api/a%20b/c%40d');
    const slash = await call(base, '/proxy/items/headers/', { headers: bearer('tok-reader') });
    assert.equal(slash.json.route, 'GET /api/headers/');
  });

  test('HEAD and OPTIONS are proxied like any method the rules allow', async () => {
    const hits = resources.hits['GET /api/items'] ?? 0;
    const head = await call(base, '/proxy/items/items', { method: 'HEAD', headers: bearer('tok-reader') });
    assert.equal(head.status, 200);
    assert.equal(head.text, '');
    assert.equal(head.headers['content-type'], 'application/json');
    assert.equal(resources.hits['GET /api/items'], hits + 1, 'HEAD reached the upstream, allowed by the GET rule');
    const options = await call(base, '/proxy/items/items', { method: 'OPTIONS', headers: bearer('tok-reader') });
    assert.equal(options.status, 403, 'no rule allows OPTIONS here');
  });

  test('an upstream redirect is passed back with its Location untouched, never followed', async () => {
    const { result, entries } = await audited(() =>
      call(base, '/proxy/items/redirect', { headers: bearer('tok-reader') }),
    );
    assert.equal(result.status, 302);
    assert.equal(result.headers.location, REDIRECT_TARGET);
    assert.deepEqual(
      entries.map((e) => [e.decision, e.status]),
      [['allow', 302]],
    );
  });

  test('streams a 20 MiB upload and a 50 MiB download through, byte for byte', async () => {
    // Upload, chunked: echoed back byte for byte.
    const upload = Buffer.alloc(20 * MIB);
    for (let i = 0; i < upload.length; i += 4096) upload.writeUInt32LE(i, i);
    const sent = createHash('sha256').update(upload).digest('hex');
    const { result: echoed, entries: uploadEntries } = await audited(
      () =>
        new Promise<{ status: number; hash: string; bytes: number }>((resolve, reject) => {
          const req = request(
            `${base}/proxy/items/echo`,
            { method: 'POST', headers: { ...bearer('tok-reader'), 'content-type': 'application/octet-stream' } },
            (res) => {
              const hash = createHash('sha256');
              let bytes = 0;
              res.on('data', (chunk: Buffer) => {
                hash.update(chunk);
                bytes += chunk.length;
              });
              res.on('end', () => resolve({ status: res.statusCode ?? 0, hash: hash.digest('hex'), bytes }));
              res.on('error', reject);
            },
          );
          req.on('error', reject);
          for (let i = 0; i < upload.length; i += 256 * 1024) req.write(upload.subarray(i, i + 256 * 1024));
          req.end();
        }),
    );
    assert.equal(echoed.status, 200);
    assert.equal(echoed.bytes, upload.length);
    assert.equal(echoed.hash, sent);
    assert.deepEqual(
      uploadEntries.map((e) => [e.decision, e.status, e.bytes_in, e.bytes_out]),
      [['allow', 200, 20 * MIB, 20 * MIB]],
    );

    // Download: every byte as the upstream sent it, and the audit entry counts them.
    const size = 50 * MIB;
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const { result: download, entries } = await audited(
      () =>
        new Promise<{ bytes: number; intact: boolean }>((resolve, reject) => {
          const req = request(`${base}/proxy/items/big?mb=50`, { headers: bearer('tok-reader') }, (res) => {
            let bytes = 0;
            let intact = true;
            res.on('data', (chunk: Buffer) => {
              if (intact && !chunk.equals(bigChunk(bytes, chunk.length))) intact = false;
              bytes += chunk.length;
              rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
            });
            res.on('end', () => resolve({ bytes, intact }));
            res.on('error', reject);
          });
          req.on('error', reject);
          req.end();
        }),
    );
    assert.equal(download.bytes, size);
    assert.ok(download.intact, 'every byte arrived as the upstream sent it');
    assert.deepEqual(
      entries.map((e) => [e.decision, e.status, e.bytes_out]),
      [['allow', 200, size]],
    );
    // Informational (GC-dependent); the backpressure tests below are the assertion.
    console.log(
      `# memory: peak RSS growth ${((rssPeak - rssBefore) / MIB).toFixed(1)} MiB while 50 MiB went through (agent, broker and API in this process)`,
    );
  });

  test('an agent that stops reading stops the provider: the broker buffers nothing in between', async () => {
    // 256 MiB on offer: loopback socket buffers (up to tcp_rmem max each) cannot hold half of it,
    // a broker that buffered would take all of it.
    const size = 256 * MIB;
    const writtenBefore = resources.bigBytesWritten();
    const { result: stalledAt, entries } = await audited(
      () =>
        new Promise<number>((resolve, reject) => {
          const req = request(`${base}/proxy/items/big?mb=256`, { headers: bearer('tok-reader') }, (res) => {
            let bytes = 0;
            const onData = (chunk: Buffer): void => {
              bytes += chunk.length;
              if (bytes < MIB) return;
              res.off('data', onData).pause();
              void waitForStall().then(async (at) => {
                req.destroy(); // the agent gives up: the broker must let go of the provider too
                for (let i = 0; i < 250 && !audit.some((e) => e.path === '/big?mb=256'); i++)
                  await new Promise((r) => setTimeout(r, 20));
                resolve(at);
              });
            };
            res.on('data', onData);
            res.on('error', () => {});
          });
          req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
          req.end();
        }),
    );
    /** Polls until the upstream has written nothing new for 300 ms (at most 30 s). */
    async function waitForStall(): Promise<number> {
      let last = -1;
      for (let i = 0; i < 100; i++) {
        const now = resources.bigBytesWritten() - writtenBefore;
        if (now === last) return now;
        last = now;
        await new Promise((resolve) => setTimeout(resolve, 300));
      }
      return last;
    }
    console.log(
      `# backpressure: with the agent paused after 1 MiB, the API stalled after ${(stalledAt / MIB).toFixed(1)} MiB of 256`,
    );
    assert.ok(stalledAt > MIB && stalledAt < size / 2, `the API had sent ${(stalledAt / MIB).toFixed(1)} MiB`);
    assert.deepEqual(
      entries.map((e) => [e.decision, e.status, e.reason]),
      [['allow', 200, 'client_closed_request']],
    );
    assert.ok(entries[0]!.bytes_out! >= MIB && entries[0]!.bytes_out! <= stalledAt);
  });

  test("an upload the provider does not take stalls the agent instead of filling the broker's memory", async () => {
    const quick = await startProxy({ upstreamTimeoutMs: 1000 });
    const size = 256 * MIB; // as above: more than socket buffers could hold twice over
    const chunk = Buffer.alloc(64 * 1024, 7);
    const req = request(`${quick.base}/proxy/items/hold`, {
      method: 'POST',
      headers: { ...bearer('tok-reader'), 'content-type': 'application/octet-stream' },
    });
    req.on('error', () => {});
    try {
      const { result: accepted, entries } = await audited(async () => {
        let written = 0;
        // Write until the socket stays full for 300 ms: bounded by `size`.
        while (written < size) {
          written += chunk.length;
          if (req.write(chunk)) continue;
          const drained = await new Promise<boolean>((resolve) => {
            const timer = setTimeout(() => resolve(false), 300);
            req.once('drain', () => {
              clearTimeout(timer);
              resolve(true);
            });
          });
          if (!drained) break;
        }
        // A provider silent that long is a timeout, upload or not (bounded wait for the entry).
        for (let i = 0; i < 250 && !audit.some((e) => e.path === '/hold'); i++)
          await new Promise((resolve) => setTimeout(resolve, 20));
        return written;
      });
      console.log(
        `# backpressure: the agent could hand over ${(accepted / MIB).toFixed(1)} MiB of a 256 MiB upload the provider did not read`,
      );
      assert.ok(accepted < size / 2, `${(accepted / MIB).toFixed(1)} MiB accepted`);
      assert.equal(entries.length, 1);
      assert.deepEqual(
        [entries[0]!.decision, entries[0]!.status, entries[0]!.reason],
        ['allow', 504, 'upstream_timeout'],
      );
      assert.ok((entries[0]!.bytes_in ?? 0) > 0 && (entries[0]!.bytes_in ?? 0) <= accepted);
    } finally {
      req.destroy();
      await quick.app.close();
    }
  });

  test('an agent that goes away mid-response is on the record as such', async () => {
    const { entries } = await audited(async () => {
      await new Promise<void>((resolve, reject) => {
        const req = request(
          `${base}/proxy/items/echo`,
          { method: 'POST', headers: { ...bearer('tok-reader'), 'content-type': 'application/octet-stream' } },
          (res) => {
            res.once('data', () => {
              req.destroy();
              resolve();
            });
          },
        );
        req.on('error', () => {});
        req.once('error', (error) => (req.destroyed ? undefined : reject(error)));
        req.write(Buffer.alloc(1024, 1)); // the upload stays open: the echo streams back what it has
      });
      for (let i = 0; i < 250 && !audit.some((e) => e.path === '/echo' && e.reason === 'client_closed_request'); i++)
        await new Promise((resolve) => setTimeout(resolve, 20));
    });
    assert.deepEqual(
      entries.map((e) => [e.decision, e.status, e.reason]),
      [['allow', 200, 'client_closed_request']],
    );
    assert.ok(entries[0]!.bytes_out! > 0 && entries[0]!.bytes_out! <= 1024, 'what was relayed before the agent left');
  });

  test("an upstream 401 refreshes the connection's token once and retries, replaying a small body", async () => {
    const record = service.get('oauth');
    await tokens.save(record, {
      access_token: 'oauth-stale-1',
      refresh_token: 'oauth-refresh-0',
      expires_at: Date.now() + 3_600_000,
      obtained_at: Date.now(),
    });
    const refreshes = tokenServer.refreshes;
    const { result, entries } = await audited(() =>
      call(base, '/proxy/oauth/items', {
        method: 'POST',
        headers: { ...bearer('tok-reader'), 'content-type': 'application/json' },
        body: '{"name":"replayed"}',
      }),
    );
    assert.equal(result.status, 201, result.text);
    assert.deepEqual(result.json, { created: { name: 'replayed' } });
    assert.equal(tokenServer.refreshes, refreshes + 1);
    assert.equal((await tokens.load(record.id))?.access_token, `oauth-access-${refreshes + 1}`);
    assert.deepEqual(
      entries.map((e) => [e.decision, e.status, e.reason, e.bytes_in]),
      [['allow', 201, 'upstream_token_refreshed', 19]],
    );

    // Many calls finding the same stale token: one refresh for all of them.
    await tokens.save(service.get('oauth'), {
      access_token: 'oauth-stale-2',
      refresh_token: `oauth-refresh-${refreshes + 1}`,
      expires_at: Date.now() + 3_600_000,
      obtained_at: Date.now(),
    });
    const concurrent = await Promise.all(
      Array.from({ length: 20 }, () => call(base, '/proxy/oauth/items', { headers: bearer('tok-reader') })),
    );
    assert.deepEqual(
      concurrent.map((r) => r.status),
      Array(20).fill(200),
    );
    assert.equal(tokenServer.refreshes, refreshes + 2);
  });

  test('a refresh the provider refuses is 412 reauthorization_required, and the connection needs the person', async () => {
    const record = service.get('oauth');
    await tokens.save(record, {
      access_token: 'oauth-stale-3',
      refresh_token: 'oauth-refresh-revoked',
      expires_at: Date.now() + 3_600_000,
      obtained_at: Date.now(),
    });
    tokenServer.failWith = 'invalid_grant';
    try {
      const { result, entries } = await audited(() =>
        call(base, '/proxy/oauth/items', { headers: bearer('tok-reader') }),
      );
      assert.equal(result.status, 412);
      assert.equal(result.json.error, 'reauthorization_required');
      assert.equal(result.json.connection, 'oauth');
      assert.match(result.json.error_description, /authorized again by the person/);
      assert.equal(service.get('oauth').status, 'needs_reauth');
      assert.deepEqual(
        entries.map((e) => [e.decision, e.status, e.reason]),
        [['allow', 412, 'reauthorization_required']],
      );

      const hits = resources.hits['GET /api/items'] ?? 0;
      const again = await call(base, '/proxy/oauth/items', { headers: bearer('tok-reader') });
      assert.equal(again.status, 412);
      assert.equal(resources.hits['GET /api/items'] ?? 0, hits, 'a connection that needs the person is not called');
    } finally {
      tokenServer.failWith = undefined;
    }
  });

  test('an API that cannot be reached is 502 upstream_unreachable', async () => {
    const { result, entries } = await audited(() =>
      call(base, '/proxy/down/anything', { headers: bearer('tok-reader') }),
    );
    assert.equal(result.status, 502);
    assert.equal(result.json.error, 'upstream_unreachable');
    assert.match(result.json.error_description, /connection refused/);
    assert.deepEqual(
      entries.map((e) => [e.decision, e.status, e.reason]),
      [['allow', 502, 'upstream_unreachable']],
    );

    // A streamed upload too: the agent gets its answer, and its connection does not stall behind the unread body.
    const upload = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/proxy/down/upload`, { method: 'POST', headers: bearer('tok-reader') }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      for (let i = 0; i < 16; i++) req.write(Buffer.alloc(64 * 1024));
      req.end();
    });
    assert.equal(upload, 502);
  });

  test('an API that cannot be reached leaves a log line with the request id, the connection and the failure, never a token', async () => {
    const lines: string[] = [];
    const logged = await startProxy(
      {},
      createLogger({ level: 'trace', destination: { write: (line: string) => void lines.push(line) } }),
    );
    try {
      const result = await call(logged.base, '/proxy/down/anything', { headers: bearer('tok-reader') });
      assert.equal(result.status, 502);
      const failure = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'proxy: upstream failed');
      assert.ok(failure, `no upstream failure logged in: ${lines.join('')}`);
      assert.equal(failure.connection, 'down');
      assert.equal(failure.failure, 'upstream_unreachable');
      assert.match(failure.description, /connection refused/);
      assert.ok(failure.reqId, 'the request id is on the line');
      assert.ok(!lines.some((line) => line.includes('tok-reader') || line.includes('Bearer')));
    } finally {
      await logged.app.close();
    }
  });

  test('an API that does not answer in time is 504 upstream_timeout', async () => {
    const quick = await startProxy({ upstreamTimeoutMs: 200 });
    try {
      const { result, entries } = await audited(() =>
        call(quick.base, '/proxy/items/slow?ms=10000', { headers: bearer('tok-reader') }),
      );
      assert.equal(result.status, 504);
      assert.equal(result.json.error, 'upstream_timeout');
      assert.deepEqual(
        entries.map((e) => [e.decision, e.status, e.reason]),
        [['allow', 504, 'upstream_timeout']],
      );
      const fast = await call(quick.base, '/proxy/items/slow?ms=1', { headers: bearer('tok-reader') });
      assert.equal(fast.status, 200, fast.text);
    } finally {
      await quick.app.close();
    }
  });

  test('rate limits: headers on every answer, then 429 with Retry-After, without calling the API', async () => {
    const limited = await startProxy();
    try {
      const remaining: string[] = [];
      for (let i = 0; i < 3; i++) {
        const res = await call(limited.base, '/proxy/items/items', { headers: bearer('tok-limited') });
        assert.equal(res.status, 200, res.text);
        assert.equal(res.headers['x-ratelimit-limit'], '3');
        remaining.push(res.headers['x-ratelimit-remaining'] as string);
      }
      assert.deepEqual(remaining, ['2', '1', '0']);
      const hits = resources.hits['GET /api/items'] ?? 0;
      const { result, entries } = await audited(() =>
        call(limited.base, '/proxy/items/items', { headers: bearer('tok-limited') }),
      );
      assert.equal(result.status, 429);
      assert.equal(result.json.error, 'rate_limit_exceeded');
      assert.ok(
        Number(result.headers['retry-after']) >= 1 && Number(result.headers['retry-after']) <= 20,
        `Retry-After ${result.headers['retry-after']}`,
      );
      assert.equal(result.headers['x-ratelimit-remaining'], '0');
      assert.ok(Number(result.headers['x-ratelimit-reset']) > 0);
      assert.equal(resources.hits['GET /api/items'] ?? 0, hits);
      assert.deepEqual(
        entries.map((e) => [e.decision, e.status, e.reason, e.agent_id]),
        [['deny', 429, 'rate_limit_exceeded', 'agent-limited']],
      );
    } finally {
      await limited.app.close();
    }
  });

  test('an answer whose audit entry cannot be written is never completed', async () => {
    auditFails = true;
    try {
      const outcome = (path: string, method = 'GET') =>
        new Promise<{ status: number; received: number; length: number; ended: boolean }>((resolve) => {
          const req = request(`${base}${path}`, { method, headers: bearer('tok-reader') }, (res) => {
            let received = 0;
            res.on('data', (chunk: Buffer) => void (received += chunk.length));
            const settle = (ended: boolean) =>
              resolve({
                status: res.statusCode ?? 0,
                received,
                length: Number(res.headers['content-length'] ?? -1),
                ended,
              });
            res.on('end', () => settle(true));
            res.on('error', () => settle(false));
          });
          req.on('error', () => resolve({ status: 0, received: 0, length: -1, ended: false }));
          req.end();
        });
      // Content-Length answers: the agent never gets the last byte. Chunked: never the end.
      const chunked = await outcome('/proxy/items/items');
      assert.deepEqual([chunked.status, chunked.length, chunked.ended], [200, -1, false], JSON.stringify(chunked));
      const sized = await outcome('/proxy/items/big?mb=2');
      assert.deepEqual([sized.status, sized.length, sized.ended], [200, 2 * MIB, false]);
      assert.ok(sized.received < 2 * MIB, `${sized.received} bytes received`);
      const echo = await new Promise<boolean>((resolve) => {
        const req = request(`${base}/proxy/items/echo`, { method: 'POST', headers: bearer('tok-reader') }, (res) => {
          res.resume();
          res.on('end', () => resolve(true));
          res.on('error', () => resolve(false));
        });
        req.on('error', () => resolve(false));
        req.end(Buffer.alloc(200 * 1024, 1));
      });
      assert.equal(echo, false, 'a chunked answer is not ended');
      const denied = await outcome('/proxy/items/items', 'DELETE');
      assert.deepEqual([denied.status, denied.ended], [0, false], 'a refusal is not sent at all');
    } finally {
      auditFails = false;
    }
  });

  test('GET /v1/connections lists what this agent may use, with its scopes and base URLs', async () => {
    const res = await call(base, '/v1/connections', { headers: bearer('tok-reader') });
    assert.equal(res.status, 200, res.text);
    assert.deepEqual(
      res.json.connections.map((c: { name: string }) => c.name),
      ['custom', 'down', 'items', 'oauth'],
    );
    const items = res.json.connections.find((c: { name: string }) => c.name === 'items');
    assert.deepEqual(items, {
      name: 'items',
      provider: 'items-key',
      provider_name: 'Items (key)',
      status: 'connected',
      scopes: ['items:read'],
      base_url: `${base}/proxy/items`,
      upstream_base_url: `${resources.url}/api`,
      base_url_env: 'ITEMS_API_URL',
      bases: { default: { base_url: `${base}/proxy/items`, upstream_base_url: `${resources.url}/api` } },
    });
    const all = await call(base, '/v1/connections', { headers: bearer('tok-all') });
    assert.deepEqual(
      all.json.connections[0].scopes,
      ['items:read', 'items:write'],
      '"*" is shown as the connection\'s scopes',
    );

    const { result: anonymous, entries } = await audited(() => call(base, '/v1/connections'));
    assert.equal(anonymous.status, 401);
    assert.equal(anonymous.json.error, 'missing_token');
    assert.equal(anonymous.headers['www-authenticate'], 'Bearer realm="latchkey"');
    assert.deepEqual(
      entries.map((e) => [e.decision, e.status, e.path]),
      [['deny', 401, '/v1/connections']],
    );
  });

  test('GET /llms.txt tells an agent how to get a token, call the proxy and read every error', async () => {
    const res = await call(base, '/llms.txt');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    for (const needle of [
      `${base}/.well-known/oauth-authorization-server`,
      'http://127.0.0.1:1/oauth/token',
      'grant_type=client_credentials',
      'latchkey exec',
      `${base}/proxy/<connection>/<path>`,
      `${base}/v1/connections`,
    ]) {
      assert.ok(res.text.includes(needle), needle);
    }
    for (const code of [
      'missing_token',
      'invalid_token',
      'token_expired',
      'token_revoked',
      'insufficient_scope',
      'paused',
      'invalid_path',
      'unknown_connection',
      'unknown_base',
      'reauthorization_required',
      'rate_limit_exceeded',
      'upstream_unreachable',
      'upstream_timeout',
    ]) {
      assert.ok(res.text.includes(code), code);
    }
  });
});
