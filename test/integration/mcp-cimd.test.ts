/**
 * An MCP client that registers by a Client ID Metadata Document: its client_id is the https
 * URL of a document the test serves from 127.0.0.1 with a self-signed certificate. The
 * broker under test gets, in process, the one exception its fetch guard needs for that
 * (trust the test's CA, let 127.0.0.1 through); a broker without it refuses the same
 * document. Then as for DCR clients: pending until the person approves through the admin
 * API, a token for /mcp, the granted tools, a call that reaches the upstream.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { auth as v1Auth } from '@modelcontextprotocol/sdk/client/auth.js';
import {
  Client as V2Client,
  StreamableHTTPClientTransport as V2Transport,
  UnauthorizedError as V2Unauthorized,
} from '@modelcontextprotocol/client';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { connectFully, setUp } from '../fixtures/connect.js';
import { startHttpsDocuments, type HttpsDocuments } from '../fixtures/https-documents.js';
import { HeadlessOAuthProvider, type Approver } from '../fixtures/mcp-oauth.js';
import { startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import { startResourceServer, type ResourceServer } from '../fixtures/resource-server.js';

const READ = [{ connection: 'acme', scopes: ['items:read'] }];
const REDIRECT_URI = 'http://127.0.0.1:9/callback';
const MODERN = { versionNegotiation: { mode: { pin: '2026-07-28' } } };
const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

interface ApprovalView {
  id: string;
  client_id: string;
  agent_name: string;
  status: string;
  registration: string;
  registered_via: string;
  redirect_hosts: string[];
}

function toolText(result: unknown): any {
  const content = (result as { content: { type: string; text: string }[] }).content;
  return JSON.parse(content[0]?.text as string);
}

describe('MCP clients registered by a Client ID Metadata Document', () => {
  let provider: TestProvider;
  let resources: ResourceServer;
  let documents: HttpsDocuments;
  let broker: TestBroker;
  /** Path → the metadata document served there (as JSON), with its Cache-Control. */
  const served = new Map<string, Record<string, unknown>>();
  const documentUrl = (path: string): string => `${documents.url}${path}`;
  const serveDocument = (path: string, fields: Record<string, unknown> = {}): string => {
    served.set(path, {
      client_id: documentUrl(path),
      client_name: `Agent at ${path}`,
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      ...fields,
    });
    return documentUrl(path);
  };

  before(async () => {
    provider = await startTestProvider();
    resources = await startResourceServer({ validate: (t) => provider.introspect(t) });
    documents = await startHttpsDocuments();
    documents.handle = (request, response) => {
      const document = served.get(new URL(request.url ?? '/', 'https://x').pathname);
      if (document === undefined) return response.writeHead(404).end();
      response
        .writeHead(200, { 'content-type': 'application/json', 'cache-control': 'max-age=300' })
        .end(JSON.stringify(document));
    };
    broker = await startTestBroker({ clientMetadata: { trustedCa: documents.ca, allowAddresses: ['127.0.0.1'] } });
    await setUp(provider, broker, {
      api: { base_url: resources.url, rules: [{ method: 'GET', path: '/api/**', scopes: ['items:read'] }] },
    });
    await connectFully(broker, { provider: 'acme', scopes: ['openid', 'email', 'offline_access', 'items:read'] });
  });
  after(async () => {
    await broker?.dispose();
    await documents?.close();
    await resources?.close();
    await provider?.close();
  });

  /** The person: sees the pending request (how the client registered, where answers go), approves it through the admin API. */
  const approveAs =
    (seen: ApprovalView[]): Approver =>
    async (url) => {
      const started = await fetch(url, { redirect: 'manual' });
      assert.equal(started.status, 302, await started.text());
      const consent = new URL(started.headers.get('location') as string, url);
      const id = consent.pathname.split('/').pop() as string;
      const { approvals } = (await broker.admin('/approvals')).body as { approvals: ApprovalView[] };
      seen.push(approvals.find((a) => a.id === id) as ApprovalView);
      const page = await (await fetch(consent)).text();
      assert.match(page, /by its client metadata document/);
      assert.equal(
        (await broker.admin(`/approvals/${id}`, { body: { decision: 'approve', grants: READ } })).status,
        200,
      );
      const status = (await (await fetch(`${consent.origin}/consent/${id}/status`)).json()) as {
        status: string;
        redirect_to: string;
      };
      assert.equal(status.status, 'approved');
      return new URL(status.redirect_to);
    };

  test('the metadata advertises CIMD; the v2 SDK registers by its document, is pending until approved, then lists and calls the granted tools', async () => {
    const metadata = (await (await fetch(`${broker.url}/.well-known/oauth-authorization-server`)).json()) as Record<
      string,
      unknown
    >;
    assert.equal(metadata.client_id_metadata_document_supported, true);

    const clientId = serveDocument('/clients/v2.json', { client_name: 'CIMD v2 agent' });
    const seen: ApprovalView[] = [];
    const mcpUrl = new URL(`${broker.url}/mcp`);
    const oauth = new HeadlessOAuthProvider(REDIRECT_URI, 'CIMD v2 agent', approveAs(seen), clientId);
    const first = new V2Transport(mcpUrl, { authProvider: oauth });
    await assert.rejects(new V2Client({ name: 'cimd', version: '1.0.0' }, MODERN).connect(first), V2Unauthorized);
    // No RFC 7591 registration: the client_id the SDK sent is the document's URL.
    assert.equal((oauth.authorizations[0] as URL).searchParams.get('client_id'), clientId);
    assert.equal(documents.hits.get('/clients/v2.json'), 1);
    const [approval] = seen;
    assert.ok(approval);
    assert.equal(approval.client_id, clientId);
    assert.equal(approval.agent_name, 'CIMD v2 agent');
    assert.equal(approval.status, 'pending');
    assert.equal(approval.registration, 'metadata_document');
    assert.deepEqual(approval.redirect_hosts, ['127.0.0.1:9']);
    await first.finishAuth(oauth.callback?.searchParams as URLSearchParams);

    const { agents } = (await broker.admin('/agents')).body as {
      agents: { client_id: string; status: string; registration: string }[];
    };
    const agent = agents.find((a) => a.client_id === clientId);
    assert.equal(agent?.status, 'active');
    assert.equal(agent?.registration, 'metadata_document');

    const client = new V2Client({ name: 'cimd', version: '1.0.0' }, MODERN);
    await client.connect(new V2Transport(mcpUrl, { authProvider: oauth }));
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['acme_request', 'list_connections']);
    const before = resources.hits['GET /api/items'] ?? 0;
    const answer = toolText(
      await client.callTool({ name: 'acme_request', arguments: { method: 'GET', path: '/api/items' } }),
    );
    assert.equal(answer.status, 200, JSON.stringify(answer));
    assert.deepEqual(answer.body.items, [{ id: 1, name: 'first' }]);
    assert.equal(resources.hits['GET /api/items'], before + 1);
    await client.close();
  });

  test('the v1 SDK registers by its document too', async () => {
    const clientId = serveDocument('/clients/v1.json', { client_name: 'CIMD v1 agent' });
    const seen: ApprovalView[] = [];
    const oauth = new HeadlessOAuthProvider(REDIRECT_URI, 'CIMD v1 agent', approveAs(seen), clientId);
    const serverUrl = `${broker.url}/mcp`;
    assert.equal(await v1Auth(oauth, { serverUrl }), 'REDIRECT');
    assert.equal((oauth.authorizations[0] as URL).searchParams.get('client_id'), clientId);
    assert.equal(seen[0]?.registration, 'metadata_document');
    assert.equal(
      await v1Auth(oauth, { serverUrl, authorizationCode: oauth.callback?.searchParams.get('code') as string }),
      'AUTHORIZED',
    );
    assert.equal((oauth.clientInformation() as { client_id: string }).client_id, clientId);
  });

  /** A bare authorization request for a client_id and redirect URI: the error page's status and text. */
  async function authorizeWith(
    url: string,
    clientId: string,
    redirectUri = REDIRECT_URI,
  ): Promise<{ status: number; page: string }> {
    const response = await fetch(
      `${url}/oauth/authorize?${new URLSearchParams({
        response_type: 'code',
        client_id: clientId,
        redirect_uri: redirectUri,
        state: 's',
        code_challenge: CHALLENGE,
        code_challenge_method: 'S256',
      })}`,
      { redirect: 'manual' },
    );
    return { status: response.status, page: await response.text() };
  }

  test('a document that does not match the request is refused with invalid_client saying what failed', async () => {
    const agentsBefore = ((await broker.admin('/agents')).body as { agents: unknown[] }).agents.length;
    const other = serveDocument('/clients/other-redirect.json', { redirect_uris: ['http://127.0.0.1:9/elsewhere'] });
    let refused = await authorizeWith(broker.url, other);
    assert.equal(refused.status, 400);
    assert.match(refused.page, /Error: invalid_client/);
    assert.match(refused.page, /is not among the redirect_uris of the client metadata document/);

    const mismatched = documentUrl('/clients/mismatch.json');
    served.set('/clients/mismatch.json', {
      client_id: documentUrl('/clients/someone-else.json'),
      redirect_uris: [REDIRECT_URI],
    });
    refused = await authorizeWith(broker.url, mismatched);
    assert.equal(refused.status, 400);
    assert.match(refused.page, /does not match the URL it was fetched from/);

    const secret = serveDocument('/clients/secret.json', { token_endpoint_auth_method: 'client_secret_basic' });
    assert.match((await authorizeWith(broker.url, secret)).page, /accepts only &quot;none&quot;|accepts only "none"/);
    assert.match(
      (await authorizeWith(broker.url, `http://127.0.0.1:${documents.port}/clients/v2.json`)).page,
      /must use https/,
    );
    assert.match((await authorizeWith(broker.url, documentUrl('/clients/absent.json'))).page, /answered HTTP 404/);
    // None of them became an agent.
    assert.equal(((await broker.admin('/agents')).body as { agents: unknown[] }).agents.length, agentsBefore);
  });

  test("without the test's exception, the same loopback document is refused with invalid_client", async () => {
    const guarded = await startTestBroker();
    try {
      const clientId = serveDocument('/clients/guarded.json');
      const refused = await authorizeWith(guarded.url, clientId);
      assert.equal(refused.status, 400);
      assert.match(refused.page, /Error: invalid_client/);
      assert.match(refused.page, /was not fetched: 127\.0\.0\.1 resolves to 127\.0\.0\.1, a loopback address/);
      assert.equal(documents.hits.get('/clients/guarded.json'), undefined);
      assert.deepEqual(((await guarded.admin('/agents')).body as { agents: unknown[] }).agents, []);
    } finally {
      await guarded.dispose();
    }
  });
});
