/**
 * Latchkey as an MCP server, driven by both generations of the official TypeScript SDK
 * client against `latchkey serve` as a child process, with no pre-shared credentials:
 * discovery (RFC 9728, RFC 8414), dynamic registration, authorization code + PKCE approved
 * through the admin API, tools for exactly the grant, a request tool that reaches the
 * provider's API (oidc-provider and the resource server it protects) with the person's
 * token, and revocation stopping the very next call.
 *
 * - v1: @modelcontextprotocol/sdk 1.32.x, protocol 2025-11-25 (served by the stateless legacy fallback), via 127.0.0.1.
 * - v2: @modelcontextprotocol/client 2.4.x pinned to protocol 2026-07-28 (served by the modern path; checks RFC 9207 `iss`), via localhost.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { auth as v1Auth, UnauthorizedError as V1Unauthorized } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
  UnauthorizedError as V2Unauthorized,
} from '@modelcontextprotocol/client';
import { connectFully, setUp } from '../fixtures/connect.js';
import { HeadlessOAuthProvider, type Approver } from '../fixtures/mcp-oauth.js';
import { startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import { bigChunk, startResourceServer, type ResourceServer } from '../fixtures/resource-server.js';
import { startServeProcess, type ServeProcess } from '../fixtures/serve-process.js';
import type { ProviderDefinition } from '../../main/core/catalog/types.js';

type Grants = { connection: string; scopes: string[] }[];
const READ: Grants = [{ connection: 'acme', scopes: ['items:read'] }];
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
/** Curated tools of the test provider (data in its definition): one read, one write. */
const CURATED: NonNullable<ProviderDefinition['api']['tools']> = [
  {
    name: 'list_items',
    description: 'List the items, filtered by a text.',
    method: 'GET',
    path: '/api/items',
    params: {
      type: 'object',
      properties: { q: { type: 'string', description: 'Filter text' }, limit: { type: 'integer', minimum: 1 } },
      additionalProperties: false,
    },
    query: ['q', 'limit'],
  },
  {
    name: 'create_item',
    description: 'Create an item.',
    method: 'POST',
    path: '/api/items',
    params: {
      type: 'object',
      properties: { name: { type: 'string', minLength: 1 }, tags: { type: 'array', items: { type: 'string' } } },
      required: ['name'],
      additionalProperties: false,
    },
    body: ['name', 'tags'],
  },
];
/** The v2 client pinned to the 2026-07-28 revision: it fails loudly unless the server serves that era. */
const MODERN = { versionNegotiation: { mode: { pin: '2026-07-28' } } };
const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
  'mcp-protocol-version': '2025-11-25',
};

/**
 * The person approving in Latchkey: the authorization request lands on the consent page,
 * the decision comes through the admin API (with `grants`, or what the client asked for).
 */
function approveWith(serve: ServeProcess, grants?: Grants): Approver {
  return async (url) => {
    const started = await fetch(url, { redirect: 'manual' });
    const page = await started.text();
    assert.equal(started.status, 302, page);
    const consent = new URL(started.headers.get('location') as string, url);
    const id = /^\/consent\/([A-Za-z0-9_-]+)$/.exec(consent.pathname)?.[1] as string;
    assert.ok(id, consent.href);
    await serve.admin(`/approvals/${id}`, { decision: 'approve', ...(grants ? { grants } : {}) });
    const status = (await (await fetch(`${consent.origin}/consent/${id}/status`)).json()) as {
      status: string;
      redirect_to: string;
    };
    assert.equal(status.status, 'approved');
    return new URL(status.redirect_to);
  };
}

function toolText(result: unknown): any {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return JSON.parse(content[0]?.text as string);
}

/** One raw JSON-RPC tools/call, 2025-era (stateless), with a given token. */
function callTool(url: string, token: string, name: string, args: unknown): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: { ...MCP_HEADERS, authorization: `Bearer ${token}` },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name, arguments: args } }),
  });
}

/** A JSON-RPC result from a JSON or an SSE answer. */
async function rpcResult(response: Response): Promise<any> {
  const text = await response.text();
  const json = response.headers.get('content-type')?.includes('text/event-stream')
    ? (/^data: (.*)$/m.exec(text)?.[1] as string)
    : text;
  return JSON.parse(json).result;
}

function rawStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { ...MCP_HEADERS, ...headers } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end('{}');
  });
}

describe('Latchkey as an MCP server, with both generations of the official SDK client', () => {
  let provider: TestProvider;
  let resources: ResourceServer;
  let serve: ServeProcess;
  let port: number;

  before(async () => {
    provider = await startTestProvider();
    resources = await startResourceServer({ validate: (t) => provider.introspect(t) });
    serve = await startServeProcess();
    port = Number(new URL(serve.url).port);
    const broker = {
      url: serve.url,
      admin: async (path: string, init: { method?: string; body?: unknown } = {}) => {
        const response = await fetch(`${serve.url}/admin/api${path}`, {
          method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
          headers: { authorization: 'Bearer serve-process-admin-token', 'content-type': 'application/json' },
          ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
        });
        return { status: response.status, body: await response.json() };
      },
    };
    await setUp(provider, broker, {
      api: {
        base_url: resources.url,
        rules: [
          { method: 'GET', path: '/api/**', scopes: ['items:read'] },
          { method: 'POST', path: '/api/items', scopes: ['items:write'] },
        ],
        tools: CURATED,
      },
    });
    await connectFully(broker, {
      provider: 'acme',
      scopes: ['openid', 'email', 'offline_access', 'items:read', 'items:write'],
    });
    // A second account the agents are never granted: its tool must not be listed.
    await connectFully(broker, { provider: 'acme', name: 'acme-other' });
  });
  after(async () => {
    await serve?.stop();
    await resources?.close();
    await provider?.close();
  });

  async function agentOf(oauth: HeadlessOAuthProvider): Promise<{ id: string; status: string }> {
    const clientId = (oauth.clientInformation() as { client_id: string }).client_id;
    const { agents } = (await serve.admin('/agents')) as {
      agents: { id: string; client_id: string; status: string }[];
    };
    return agents.find((a) => a.client_id === clientId) as { id: string; status: string };
  }

  /** An /mcp access token for a new client, through the v1 SDK's auth() with the person approving. */
  async function mcpToken(name: string, grants?: Grants): Promise<{ oauth: HeadlessOAuthProvider; token: string }> {
    const oauth = new HeadlessOAuthProvider(REDIRECT_URI, name, approveWith(serve, grants));
    const serverUrl = `${serve.url}/mcp`;
    assert.equal(await v1Auth(oauth, { serverUrl }), 'REDIRECT');
    assert.equal(
      await v1Auth(oauth, { serverUrl, authorizationCode: oauth.callback?.searchParams.get('code') as string }),
      'AUTHORIZED',
    );
    return { oauth, token: (oauth.tokens() as { access_token: string }).access_token };
  }

  test("v1 SDK (2025-11-25): discovery, DCR, PKCE, approval, granted tools only, a call with the person's token, revocation", async () => {
    const mcpUrl = new URL(`${serve.url}/mcp`);
    const oauth = new HeadlessOAuthProvider(REDIRECT_URI, 'v1 agent', approveWith(serve, READ));
    const first = new V1Transport(mcpUrl, { authProvider: oauth });
    await assert.rejects(new V1Client({ name: 'v1', version: '1.0.0' }).connect(first), V1Unauthorized);
    assert.equal(oauth.authorizations.length, 1);
    const asked = oauth.authorizations[0] as URL;
    assert.equal(asked.origin, serve.url);
    assert.equal(asked.searchParams.get('resource'), mcpUrl.href);
    assert.equal(asked.searchParams.get('code_challenge_method'), 'S256');
    assert.equal((await agentOf(oauth)).status, 'active');
    await first.finishAuth(oauth.callback?.searchParams.get('code') as string);

    const client = new V1Client({ name: 'v1', version: '1.0.0' });
    await client.connect(new V1Transport(mcpUrl, { authProvider: oauth }));
    const { tools } = await client.listTools();
    // A read-only grant: the curated read tool, not the curated write one.
    assert.deepEqual(tools.map((t) => t.name).sort(), ['acme_list_items', 'acme_request', 'list_connections']);
    const listed = toolText(await client.callTool({ name: 'list_connections', arguments: {} }));
    assert.deepEqual(
      listed.connections.map((c: { name: string; scopes: string[] }) => [c.name, c.scopes]),
      [['acme', ['items:read']]],
    );

    const before = resources.hits['GET /api/items'] ?? 0;
    const answer = toolText(
      await client.callTool({
        name: 'acme_request',
        arguments: { method: 'GET', path: '/api/items', query: { q: 'mcp' } },
      }),
    );
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.deepEqual(answer.body.items, [{ id: 1, name: 'first' }]);
    assert.deepEqual(answer.body.query, { q: 'mcp' });
    assert.match(answer.headers['content-type'], /json/);
    assert.equal(answer.headers['set-cookie'], undefined);
    assert.equal(resources.hits['GET /api/items'], before + 1);
    // The provider sees the person's token, never the MCP client's.
    const seen = toolText(
      await client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/headers' } }),
    );
    assert.equal(seen.status, 200);
    assert.match(seen.body.headers.authorization, /^Bearer \S+$/);
    assert.notEqual(
      seen.body.headers.authorization,
      `Bearer ${(oauth.tokens() as { access_token: string }).access_token}`,
    );

    const agent = await agentOf(oauth);
    const { entries } = (await serve.admin(`/audit?agent=${agent.id}`)) as {
      entries: { reason: string | null; connection: string | null; status: number | null; path: string | null }[];
    };
    const entry = entries.find((e) => e.reason === 'mcp tool acme_request');
    assert.ok(entry, JSON.stringify(entries));
    assert.equal(entry.connection, 'acme');
    assert.equal(entry.status, 200);

    await serve.admin(`/agents/${agent.id}/revoke`, {});
    // Refused, and sent to register again: the revoked client is refused for good, and its name stays
    // the revoked agent's (no look-alike on the approval screen) until the person deletes it.
    await assert.rejects(
      client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } }),
      /revoked one keeps its name until the person deletes it/,
    );
    assert.equal(oauth.authorizations.length, 1);
    assert.equal(resources.hits['GET /api/items'], before + 1);
  });

  test('v2 SDK (2026-07-28): the same flow through localhost, with the RFC 9207 issuer check', async () => {
    const origin = `http://localhost:${port}`;
    const mcpUrl = new URL(`${origin}/mcp`);
    const oauth = new HeadlessOAuthProvider(REDIRECT_URI, 'v2 agent', approveWith(serve, READ));
    const first = new V2Transport(mcpUrl, { authProvider: oauth });
    await assert.rejects(new V2Client({ name: 'v2', version: '1.0.0' }, MODERN).connect(first), V2Unauthorized);
    const asked = oauth.authorizations[0] as URL;
    assert.equal(asked.origin, origin);
    assert.equal(asked.searchParams.get('resource'), mcpUrl.href);
    assert.equal(oauth.callback?.searchParams.get('iss'), origin);
    await first.finishAuth(oauth.callback?.searchParams as URLSearchParams);

    const client = new V2Client({ name: 'v2', version: '1.0.0' }, MODERN);
    await client.connect(new V2Transport(mcpUrl, { authProvider: oauth }));
    const { tools } = await client.listTools();
    // A read-only grant: the curated read tool, not the curated write one.
    assert.deepEqual(tools.map((t) => t.name).sort(), ['acme_list_items', 'acme_request', 'list_connections']);
    const answer = toolText(
      await client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } }),
    );
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.deepEqual(answer.body.items, [{ id: 1, name: 'first' }]);

    // Tool calls spend the agent's rate limit, as proxy calls do (one runtime for both).
    const agentId = (await agentOf(oauth)).id;
    const limited = await fetch(`${serve.url}/admin/api/agents/${agentId}`, {
      method: 'PATCH',
      headers: { authorization: 'Bearer serve-process-admin-token', 'content-type': 'application/json' },
      body: JSON.stringify({ rate_limit_per_minute: 1 }),
    });
    assert.equal(limited.status, 200);
    // A lowered limit leaves a full bucket of one: the first call passes, the next is over it.
    assert.equal(
      toolText(await client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } }))
        .status,
      200,
    );
    const refused = await client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } });
    assert.equal(refused.isError, true);
    assert.equal(toolText(refused).error, 'rate_limit_exceeded');

    await serve.admin(`/agents/${agentId}/revoke`, {});
    // Refused, and sent to register again, which names what to do: the revoked agent keeps its name until deleted.
    await assert.rejects(
      client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } }),
      /revoked one keeps its name until the person deletes it/,
    );
    assert.equal(oauth.authorizations.length, 1);
  });

  test('curated tools: listed as the grant allows, called through the proxy with their path, query and body, audited by name', async () => {
    const { oauth } = await mcpToken('curated', [{ connection: 'acme', scopes: ['items:read', 'items:write'] }]);
    const client = new V2Client({ name: 'v2', version: '1.0.0' }, MODERN);
    await client.connect(new V2Transport(new URL(`${serve.url}/mcp`), { authProvider: oauth }));
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), [
      'acme_create_item',
      'acme_list_items',
      'acme_request',
      'list_connections',
    ]);
    const create = tools.find((t) => t.name === 'acme_create_item');
    assert.deepEqual(create?.inputSchema.required, ['name']);
    assert.match(create?.description ?? '', /^Create an item\. .*"acme" account/);
    assert.equal(tools.find((t) => t.name === 'acme_list_items')?.annotations?.readOnlyHint, true);
    const connections = toolText(await client.callTool({ name: 'list_connections', arguments: {} })).connections;
    assert.deepEqual(
      connections.map((c: { name: string; curated_tools: string[] }) => [c.name, c.curated_tools]),
      [['acme', ['acme_list_items', 'acme_create_item']]],
    );

    const reads = resources.hits['GET /api/items'] ?? 0;
    const listed = toolText(await client.callTool({ name: 'acme_list_items', arguments: { q: 'curated', limit: 2 } }));
    assert.equal(listed.status, 200, JSON.stringify(listed));
    assert.deepEqual(listed.body.query, { q: 'curated', limit: '2' });
    assert.equal(resources.hits['GET /api/items'], reads + 1);
    const created = toolText(
      await client.callTool({ name: 'acme_create_item', arguments: { name: 'new', tags: ['a'] } }),
    );
    assert.equal(created.status, 201, JSON.stringify(created));
    assert.deepEqual(created.body.created, { name: 'new', tags: ['a'] });
    // An input outside the tool's schema never reaches the provider.
    const writes = resources.hits['POST /api/items'];
    const invalid = await client.callTool({ name: 'acme_create_item', arguments: { tags: ['a'] } });
    assert.equal(invalid.isError, true);
    assert.equal(resources.hits['POST /api/items'], writes);

    const agent = await agentOf(oauth);
    const { entries } = (await serve.admin(`/audit?agent=${agent.id}`)) as {
      entries: { reason: string | null; method: string | null; path: string | null; status: number | null }[];
    };
    const read = entries.find((e) => e.reason === 'mcp tool acme_list_items');
    assert.ok(read, JSON.stringify(entries));
    assert.equal(read.method, 'GET');
    assert.match(read.path ?? '', /^\/api\/items\?q=/);
    const write = entries.find((e) => e.reason === 'mcp tool acme_create_item');
    assert.ok(write, JSON.stringify(entries));
    assert.equal(write.method, 'POST');
    assert.equal(write.status, 201);
  });

  test('metadata, issuer, resource and challenges keep the loopback host the client addressed', async () => {
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`, `http://[::1]:${port}`]) {
      for (const path of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
        const resource = (await (await fetch(`${origin}${path}`)).json()) as {
          resource: string;
          authorization_servers: string[];
        };
        assert.equal(resource.resource, `${origin}/mcp`);
        assert.deepEqual(resource.authorization_servers, [origin]);
      }
      for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
        const metadata = (await (await fetch(`${origin}${path}`)).json()) as Record<string, unknown>;
        assert.equal(metadata.issuer, origin);
        assert.equal(metadata.authorization_endpoint, `${origin}/oauth/authorize`);
        assert.deepEqual(metadata.code_challenge_methods_supported, ['S256']);
        assert.equal(metadata.authorization_response_iss_parameter_supported, true);
      }
      const unauthenticated = await fetch(`${origin}/mcp`, { method: 'POST', headers: MCP_HEADERS, body: '{}' });
      assert.equal(unauthenticated.status, 401);
      assert.match(
        unauthenticated.headers.get('www-authenticate') ?? '',
        new RegExp(
          `^Bearer .*resource_metadata="${origin.replace(/[[\].]/g, '\\$&')}/\\.well-known/oauth-protected-resource/mcp"`,
        ),
      );
    }
  });

  test('tokens are bound to their resource: a proxy token is refused at /mcp, an /mcp token at /proxy', async () => {
    const proxyToken = await serve.agentToken('script', READ);
    // Verified (and remembered) at the proxy first: the audience still counts at /mcp.
    assert.equal(
      (await fetch(`${serve.url}/proxy/acme/api/items`, { headers: { authorization: `Bearer ${proxyToken}` } })).status,
      200,
    );
    const refused = await callTool(serve.url, proxyToken, 'list_connections', {});
    assert.equal(refused.status, 401);
    assert.match(refused.headers.get('www-authenticate') ?? '', /error="invalid_token".*resource_metadata="/);
    assert.match(
      ((await refused.json()) as { error_description: string }).error_description,
      /issued for another resource/,
    );
    // Never verified before: refused all the same.
    const fresh = await callTool(serve.url, await serve.agentToken('script-2', READ), 'list_connections', {});
    assert.equal(fresh.status, 401);
    assert.match(
      ((await fresh.json()) as { error_description: string }).error_description,
      /issued for another resource/,
    );

    const { oauth, token: first } = await mcpToken('resource-bound', READ);
    // The SDK refreshes with `resource` (RFC 8707): the new token is for /mcp again; a foreign resource is refused.
    const { refresh_token: refreshToken } = oauth.tokens() as { refresh_token: string };
    assert.equal(await v1Auth(oauth, { serverUrl: `${serve.url}/mcp` }), 'AUTHORIZED');
    const token = (oauth.tokens() as { access_token: string }).access_token;
    assert.notEqual(token, first);
    const foreign = await fetch(`${serve.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: (oauth.clientInformation() as { client_id: string }).client_id,
        refresh_token: (oauth.tokens() as { refresh_token: string }).refresh_token,
        resource: 'http://127.0.0.1:1/mcp',
      }),
    });
    assert.equal(foreign.status, 400);
    assert.equal(((await foreign.json()) as { error: string }).error, 'invalid_target');
    assert.notEqual(refreshToken, (oauth.tokens() as { refresh_token: string }).refresh_token);
    const listed = await rpcResult(await callTool(serve.url, token, 'list_connections', {}));
    assert.deepEqual(
      toolText(listed).connections.map((c: { name: string }) => c.name),
      ['acme'],
    );
    const atProxy = await fetch(`${serve.url}/proxy/acme/api/items`, { headers: { authorization: `Bearer ${token}` } });
    assert.equal(atProxy.status, 401);
    await atProxy.arrayBuffer();

    // A large answer is cut, with a note saying how to ask for less; the rest is not read.
    const big = toolText(
      await rpcResult(
        await callTool(serve.url, token, 'acme_request', { method: 'GET', path: '/api/big', query: { mb: '4' } }),
      ),
    );
    assert.equal(big.status, 200);
    assert.equal(big.body_encoding, 'base64');
    assert.deepEqual(Buffer.from(big.body, 'base64'), bigChunk(0, 64 * 1024));
    assert.match(big.truncated, /cut after 65536 bytes.*paging/);

    // The kill switch stops the very next call.
    await serve.admin('/pause', {});
    try {
      const paused = await callTool(serve.url, token, 'acme_request', { method: 'GET', path: '/api/items' });
      assert.equal(paused.status, 403);
      assert.equal(((await paused.json()) as { error: string }).error, 'paused');
    } finally {
      await serve.admin('/resume', {});
    }
  });

  test('authorization requests check the resource and carry iss on every response, errors included', async () => {
    const registered = await fetch(`${serve.url}/oauth/register`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        client_name: 'raw client',
        application_type: 'native',
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
      }),
    });
    assert.equal(registered.status, 201);
    const client = (await registered.json()) as { client_id: string };
    const authorize = (params: Record<string, string>) =>
      fetch(
        `${serve.url}/oauth/authorize?${new URLSearchParams({
          response_type: 'code',
          client_id: client.client_id,
          redirect_uri: REDIRECT_URI,
          state: 's1',
          code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          code_challenge_method: 'S256',
          ...params,
        })}`,
        { redirect: 'manual' },
      );

    // A code issued for /mcp is not exchanged for another resource.
    const started = await authorize({ resource: `${serve.url}/mcp`, scope: 'acme:items:read' });
    assert.equal(started.status, 302);
    const callback = await approveWith(serve)(new URL(started.url));
    assert.equal(callback.searchParams.get('iss'), serve.url);
    const exchanged = await fetch(`${serve.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: client.client_id,
        redirect_uri: REDIRECT_URI,
        code: callback.searchParams.get('code') as string,
        code_verifier: 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk',
        resource: `${serve.url}/proxy`,
      }),
    });
    assert.equal(exchanged.status, 400);
    assert.equal(((await exchanged.json()) as { error: string }).error, 'invalid_target');

    // Approved now: errors go back to its redirect URI (a client nobody approved gets an error page instead), with iss.
    const foreign = new URL(
      (await authorize({ resource: 'http://evil.example/mcp' })).headers.get('location') as string,
    );
    assert.equal(foreign.searchParams.get('error'), 'invalid_target');
    assert.equal(foreign.searchParams.get('iss'), serve.url);
    assert.equal(foreign.searchParams.get('state'), 's1');
    const implicit = new URL(
      (await authorize({ response_type: 'token', resource: `${serve.url}/mcp` })).headers.get('location') as string,
    );
    assert.equal(implicit.searchParams.get('error'), 'unsupported_response_type');
    assert.equal(implicit.searchParams.get('iss'), serve.url);
  });

  test('a request beyond the grant is refused with a 403 insufficient_scope challenge; the stepped-up token works', async () => {
    const { oauth, token } = await mcpToken('step-up', READ);
    const writes = resources.hits['POST /api/items'] ?? 0;
    const write = { method: 'POST', path: '/api/items', body: { name: 'from mcp' } };
    const refused = await callTool(serve.url, token, 'acme_request', write);
    assert.equal(refused.status, 403);
    const challenge = refused.headers.get('www-authenticate') ?? '';
    assert.match(challenge, /^Bearer error="insufficient_scope"/);
    // Every scope: the ones held and the one missing, so a client that replaces its scope keeps what it had.
    assert.match(challenge, /scope="acme:items:read acme:items:write"/);
    assert.match(
      challenge,
      new RegExp(`resource_metadata="${serve.url.replace(/\./g, '\\.')}/\\.well-known/oauth-protected-resource/mcp"`),
    );
    assert.equal(resources.hits['POST /api/items'] ?? 0, writes);
    const { entries } = (await serve.admin(`/audit?agent=${(await agentOf(oauth)).id}`)) as {
      entries: { reason: string | null; status: number | null; method: string | null; path: string | null }[];
    };
    assert.ok(
      entries.some(
        (e) =>
          e.reason === 'mcp tool acme_request: insufficient_scope (step-up challenge)' &&
          e.status === 403 &&
          e.method === 'POST' &&
          e.path === '/api/items',
      ),
      JSON.stringify(entries),
    );

    // Step-up: the client asks for the challenged scope; the person approves what it asked for.
    oauth.invalidateCredentials('tokens');
    oauth.approve = approveWith(serve);
    const serverUrl = `${serve.url}/mcp`;
    assert.equal(await v1Auth(oauth, { serverUrl, scope: 'acme:items:read acme:items:write' }), 'REDIRECT');
    assert.equal(
      await v1Auth(oauth, { serverUrl, authorizationCode: oauth.callback?.searchParams.get('code') as string }),
      'AUTHORIZED',
    );
    const stepped = oauth.tokens() as { access_token: string; scope: string };
    assert.equal(stepped.scope, 'acme:items:read acme:items:write');
    const written = toolText(await rpcResult(await callTool(serve.url, stepped.access_token, 'acme_request', write)));
    assert.equal(written.status, 201, JSON.stringify(written));
    assert.equal(resources.hits['POST /api/items'], writes + 1);
  });

  test('Host and Origin probes are refused at /mcp', async () => {
    assert.equal(await rawStatus(port, { host: `evil.example:${port}` }), 421);
    assert.equal(await rawStatus(port, { origin: 'http://evil.example' }), 403);
    assert.equal(await rawStatus(port, { origin: `http://localhost:${port + 1}` }), 403);
    // The guard lets the broker's own origin through to authentication.
    assert.equal(await rawStatus(port, { origin: `http://127.0.0.1:${port}` }), 401);
  });
});
