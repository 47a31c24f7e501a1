/**
 * Latchkey as an MCP server, driven by both generations of the official TypeScript SDK
 * client against `latchkey serve` as a child process, with no pre-shared credentials:
 * discovery (RFC 9728, RFC 8414), dynamic registration, authorization code + PKCE approved
 * through the admin API, tools for exactly the grant, a request tool that reaches the
 * provider's API (oidc-provider and the resource server it protects) with the person's
 * token, and revocation stopping the very next call.
 *
 * - v1: @modelcontextprotocol/sdk 1.32.x, protocol 2025-11-25 (served by the stateless legacy fallback), via 127.0.0.1.
 * - v2: @modelcontextprotocol/client 2.4.x, protocol 2026-07-28 (checks RFC 9207 `iss`), via localhost.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Client as V1Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport as V1Transport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError as V1Unauthorized } from '@modelcontextprotocol/sdk/client/auth.js';
import { Client as V2Client, StreamableHTTPClientTransport as V2Transport, UnauthorizedError as V2Unauthorized } from '@modelcontextprotocol/client';
import { connectFully, setUp } from '../fixtures/connect.js';
import { HeadlessOAuthProvider, type Approver } from '../fixtures/mcp-oauth.js';
import { startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import { startResourceServer, type ResourceServer } from '../fixtures/resource-server.js';
import { startServeProcess, type ServeProcess } from '../fixtures/serve-process.js';

type Grants = { connection: string; scopes: string[] }[];
const READ: Grants = [{ connection: 'acme', scopes: ['items:read'] }];
const MCP_HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-11-25' };

/** The person approving in Latchkey: the authorization request lands on the consent page, the decision comes through the admin API. */
function approveWith(serve: ServeProcess, grants: Grants): Approver {
  return async (url) => {
    const started = await fetch(url, { redirect: 'manual' });
    const page = await started.text();
    assert.equal(started.status, 302, page);
    const consent = new URL(started.headers.get('location') as string, url);
    const id = /^\/consent\/([A-Za-z0-9_-]+)$/.exec(consent.pathname)?.[1] as string;
    assert.ok(id, consent.href);
    await serve.admin(`/approvals/${id}`, { decision: 'approve', grants });
    const status = await (await fetch(`${consent.origin}/consent/${id}/status`)).json() as { status: string; redirect_to: string };
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

function rawStatus(port: number, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path: '/mcp', method: 'POST', headers: { ...MCP_HEADERS, ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
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
      },
    });
    await connectFully(broker);
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
    const { agents } = await serve.admin('/agents') as { agents: { id: string; client_id: string; status: string }[] };
    return agents.find((a) => a.client_id === clientId) as { id: string; status: string };
  }

  test('v1 SDK (2025-11-25): discovery, DCR, PKCE, approval, granted tools only, a call with the person\'s token, revocation', async () => {
    const mcpUrl = new URL(`${serve.url}/mcp`);
    const oauth = new HeadlessOAuthProvider('http://127.0.0.1:9/callback', 'v1 agent', approveWith(serve, READ));
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
    assert.deepEqual(tools.map((t) => t.name).sort(), ['acme_request', 'list_connections']);
    const listed = toolText(await client.callTool({ name: 'list_connections', arguments: {} }));
    assert.deepEqual(listed.connections.map((c: { name: string; scopes: string[] }) => [c.name, c.scopes]), [['acme', ['items:read']]]);

    const before = resources.hits['GET /api/items'] ?? 0;
    const answer = toolText(await client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items', query: { q: 'mcp' } } }));
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.deepEqual(answer.body.items, [{ id: 1, name: 'first' }]);
    assert.deepEqual(answer.body.query, { q: 'mcp' });
    assert.match(answer.headers['content-type'], /json/);
    assert.equal(answer.headers['set-cookie'], undefined);
    assert.equal(resources.hits['GET /api/items'], before + 1);

    const agent = await agentOf(oauth);
    const { entries } = await serve.admin(`/audit?agent=${agent.id}`) as { entries: { reason: string | null; connection: string | null; status: number | null; path: string | null }[] };
    const entry = entries.find((e) => e.reason === 'mcp tool acme_request');
    assert.ok(entry, JSON.stringify(entries));
    assert.equal(entry.connection, 'acme');
    assert.equal(entry.status, 200);

    await serve.admin(`/agents/${agent.id}/revoke`, {});
    await assert.rejects(client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } }), V1Unauthorized);
    // Refused, and sent to authorize again: as a new client, since the revoked one is refused for good.
    assert.equal(oauth.authorizations.length, 2);
    assert.notEqual(oauth.authorizations[1]?.searchParams.get('client_id'), asked.searchParams.get('client_id'));
    assert.equal(resources.hits['GET /api/items'], before + 1);
  });

  test('v2 SDK (2026-07-28): the same flow through localhost, with the RFC 9207 issuer check', async () => {
    const origin = `http://localhost:${port}`;
    const mcpUrl = new URL(`${origin}/mcp`);
    const oauth = new HeadlessOAuthProvider('http://127.0.0.1:9/callback', 'v2 agent', approveWith(serve, READ));
    const first = new V2Transport(mcpUrl, { authProvider: oauth });
    await assert.rejects(new V2Client({ name: 'v2', version: '1.0.0' }).connect(first), V2Unauthorized);
    const asked = oauth.authorizations[0] as URL;
    assert.equal(asked.origin, origin);
    assert.equal(asked.searchParams.get('resource'), mcpUrl.href);
    assert.equal(oauth.callback?.searchParams.get('iss'), origin);
    await first.finishAuth(oauth.callback?.searchParams as URLSearchParams);

    const client = new V2Client({ name: 'v2', version: '1.0.0' });
    await client.connect(new V2Transport(mcpUrl, { authProvider: oauth }));
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['acme_request', 'list_connections']);
    const answer = toolText(await client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } }));
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.deepEqual(answer.body.items, [{ id: 1, name: 'first' }]);

    await serve.admin(`/agents/${(await agentOf(oauth)).id}/revoke`, {});
    await assert.rejects(client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } }), V2Unauthorized);
    assert.equal(oauth.authorizations.length, 2);
    assert.notEqual(oauth.authorizations[1]?.searchParams.get('client_id'), asked.searchParams.get('client_id'));
  });
});
