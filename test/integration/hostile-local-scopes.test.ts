/**
 * A local agent with a narrow grant tries the endpoints that can do more than any one scope
 * says, through /proxy, with the real built-in GitHub and Linear rules (their base URLs moved
 * to a loopback server that plays the provider and counts what reaches it). The real
 * connection store, token manager and connection service; the agent authority is a table of
 * tokens, as in proxy.test.ts. Then the real broker's admin API refusing to grant a scope the
 * provider does not enforce on the connection.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectionServices } from '../fixtures/connection-services.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type Database from 'better-sqlite3';
import { Catalog } from '../../main/core/catalog/catalog.js';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import type { ProviderDefinition } from '../../main/core/catalog/types.js';
import type { ConnectionService } from '../../main/core/connections/service.js';
import type { TokenManager } from '../../main/core/connections/tokens.js';
import { proxyRoutes } from '../../main/core/proxy/routes.js';
import type { ConnectionStore } from '../../main/core/store/connections.js';
import { openDatabase } from '../fixtures/database.js';
import { Vault } from '../../main/core/vault/vault.js';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { addForgeConnections } from '../fixtures/forge.js';
import { MemoryBackend } from '../fixtures/memory-backend.js';
import { principal, TableVerifier } from '../fixtures/principals.js';

/** Plays every provider: answers 200 to anything and remembers what reached it. */
interface Upstream {
  url: string;
  hits: string[];
  close(): Promise<void>;
}

async function startUpstream(): Promise<Upstream> {
  const hits: string[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      hits.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      res.end('{"data":{}}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

interface Answer {
  status: number;
  headers: IncomingMessage['headers'];
  json: any;
}

function call(
  base: string,
  path: string,
  token: string,
  init: { method?: string; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    const req = request(`${base}${path}`, { method: init.method ?? 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, json });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body);
  });
}

const GITHUB_SCOPES = ['repo', 'public_repo', 'read:user', 'read:org'];
/** What a GitHub grant must cover for GraphQL: public_repo is not grantable next to repo. */
const GITHUB_GRANTABLE = ['repo', 'read:user', 'read:org'];
const LINEAR_SCOPES = ['read', 'write'];
const ISSUE_DELETE = JSON.stringify({ query: 'mutation { issueDelete(id: "ENG-1") { success } }' });

describe('narrow grants against full-access endpoints', () => {
  let dir: string;
  let db: Database.Database;
  let upstream: Upstream;
  let tokens: TokenManager;
  let store: ConnectionStore;
  let app: FastifyInstance;
  let base = '';

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latchkey-hostile-scopes-'));
    db = openDatabase(join(dir, 'latchkey.db'));
    upstream = await startUpstream();
    const { catalog: builtins } = loadCatalog({ extraDirs: [] });
    const rebased = (id: string): ProviderDefinition => {
      const definition = structuredClone(builtins.require(id)) as ProviderDefinition;
      definition.api.base_url = upstream.url;
      // The decision is pinned here in Latchkey's own JSON; the SDK-shaped refusals are sdks.test.ts's.
      delete definition.api.error_dialect;
      return definition;
    };
    const catalog = new Catalog([rebased('github'), rebased('linear')]);
    const vault = new Vault(new MemoryBackend());
    let service: ConnectionService;
    ({ store, tokens, service } = connectionServices({ db, catalog, vault, dataDir: dir }));
    for (const [name, provider, scopes] of [
      ['gh', 'github', GITHUB_SCOPES],
      ['lin', 'linear', LINEAR_SCOPES],
    ] as const) {
      const record = store.insert({
        id: crypto.randomUUID(),
        name,
        provider,
        auth_method: 'oauth',
        account: 'alice',
        scopes: [...scopes],
        status: 'connected',
        expires_at: Date.now() + 3_600_000,
        refreshable: false,
        last_error: null,
      });
      await tokens.save(record, {
        access_token: `${name}-access`,
        expires_at: Date.now() + 3_600_000,
        obtained_at: Date.now(),
      });
    }

    const verifier = new TableVerifier();
    const idOf = (name: string): string => store.getByName(name)?.id ?? `missing-${name}`;
    verifier.principals.set('tok-read-user', principal('read-user', [['gh', ['read:user']]], idOf));
    verifier.principals.set('tok-read-org', principal('read-org', [['gh', ['read:org']]], idOf));
    verifier.principals.set('tok-public-repo', principal('public-repo', [['gh', ['public_repo', 'read:user']]], idOf));
    verifier.principals.set('tok-gh-all-listed', principal('gh-all-listed', [['gh', GITHUB_GRANTABLE]], idOf));
    verifier.principals.set('tok-linear-read', principal('linear-read', [['lin', ['read']]], idOf));
    verifier.principals.set(
      'tok-everything',
      principal(
        'everything',
        [
          ['gh', '*'],
          ['lin', '*'],
        ],
        idOf,
      ),
    );

    app = Fastify({ logger: false });
    await app.register(proxyRoutes, {
      verifier,
      audit: { append: async (entry) => entry },
      catalog,
      connections: service,
      tokens,
      store,
      baseUrl: () => base,
    });
    await app.listen({ host: '127.0.0.1', port: 0 });
    base = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;
  });

  after(async () => {
    await app.close();
    tokens.close();
    await upstream.close();
    store.flush(); // last_used_at is written in batches: before the database closes
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  /** The answer must be a 403 that sends the agent to the person for a grant of every connection scope. */
  function assertNeedsEveryScope(res: Answer, connection: string, held: string[], granted: string[]): void {
    assert.equal(res.status, 403);
    assert.equal(res.json.error, 'insufficient_scope');
    assert.equal(res.json.requires, 'all_connection_scopes');
    assert.deepEqual(res.json.required_scopes, held);
    assert.deepEqual(res.json.granted_scopes, granted);
    assert.equal(res.json.connection, connection);
    assert.match(res.json.error_description, /needs a grant covering every scope the connection holds/);
    for (const scope of held) assert.ok(res.json.error_description.includes(scope), scope);
    assert.match(
      res.headers['www-authenticate'] ?? '',
      new RegExp(`scope="${held.map((s) => `${connection}:${s}`).join(' ')}"$`),
    );
  }

  test('GitHub GraphQL is refused to read:user, read:org and public_repo grants, before any upstream call', async () => {
    const before = upstream.hits.length;
    const query = JSON.stringify({
      query: 'mutation { deleteRepository(input: {repositoryId: "R_1"}) { clientMutationId } }',
    });
    for (const [token, granted] of [
      ['tok-read-user', ['read:user']],
      ['tok-read-org', ['read:org']],
      ['tok-public-repo', ['read:user']],
    ] as const) {
      const res = await call(base, '/proxy/gh/graphql', token, { method: 'POST', body: query });
      assertNeedsEveryScope(res, 'gh', GITHUB_GRANTABLE, [...granted]);
    }
    assert.equal(upstream.hits.length, before, 'nothing reached GitHub');
  });

  test('GitHub GraphQL is allowed to a grant of every scope the connection holds, listed or "*"', async () => {
    for (const token of ['tok-gh-all-listed', 'tok-everything']) {
      const res = await call(base, '/proxy/gh/graphql', token, {
        method: 'POST',
        body: '{"query":"{ viewer { login } }"}',
      });
      assert.equal(res.status, 200, token);
      assert.equal(upstream.hits.at(-1), 'POST /graphql');
    }
  });

  test('Linear GraphQL: a read grant cannot send issueDelete on a connection that can write', async () => {
    const before = upstream.hits.length;
    const res = await call(base, '/proxy/lin/graphql', 'tok-linear-read', { method: 'POST', body: ISSUE_DELETE });
    assertNeedsEveryScope(res, 'lin', LINEAR_SCOPES, ['read']);
    assert.equal(upstream.hits.length, before, 'nothing reached Linear');
    const full = await call(base, '/proxy/lin/graphql', 'tok-everything', { method: 'POST', body: ISSUE_DELETE });
    assert.equal(full.status, 200);
  });

  test('GitHub search, which reaches private repositories, needs a repository scope', async () => {
    const before = upstream.hits.length;
    const res = await call(base, '/proxy/gh/search/issues?q=is%3Aprivate+secret', 'tok-read-org');
    assert.equal(res.status, 403);
    assert.equal(res.json.error, 'insufficient_scope');
    assert.deepEqual(res.json.required_scopes, ['repo', 'public_repo']);
    assert.equal(res.json.requires, undefined);
    assert.equal(upstream.hits.length, before);
    const allowed = await call(base, '/proxy/gh/search/issues?q=bug', 'tok-gh-all-listed');
    assert.equal(allowed.status, 200);
  });

  test('a public_repo grant on a connection that holds repo is not honoured: private repositories stay closed', async () => {
    const before = upstream.hits.length;
    const res = await call(base, '/proxy/gh/repos/alice/private-notes/contents/README.md', 'tok-public-repo');
    assert.equal(res.status, 403);
    assert.equal(res.json.error, 'insufficient_scope');
    assert.deepEqual(res.json.required_scopes, ['repo', 'public_repo']);
    assert.deepEqual(res.json.granted_scopes, ['read:user']);
    assert.equal(upstream.hits.length, before);
  });

  test('GET /v1/connections shows the agent the scopes it really holds', async () => {
    const res = await call(base, '/v1/connections', 'tok-public-repo');
    assert.equal(res.status, 200);
    assert.deepEqual(
      res.json.connections.map((c: { name: string; scopes: string[] }) => [c.name, c.scopes]),
      [['gh', ['read:user']]],
    );
  });
});

describe('the admin API does not grant a scope the provider does not enforce on the connection', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker({ secretStore: 'file', passphrase: 'a long test passphrase' });
    await addForgeConnections(broker);
  });
  after(async () => broker.dispose());

  test('the provider listing says which scope stops being enforced next to which', async () => {
    const { body } = await broker.admin('/providers');
    const forge = body.providers.find((p: { id: string }) => p.id === 'forge');
    assert.deepEqual(forge.unenforced_subsets, { public_repo: ['repo'] });
    const github = body.providers.find((p: { id: string }) => p.id === 'github');
    assert.deepEqual(github.unenforced_subsets, { public_repo: ['repo'] });
  });

  test('public_repo is refused with 400 invalid_grant_scope where the connection holds repo, and allowed where it does not', async () => {
    const refused = await broker.admin('/agents', {
      body: { name: 'narrow', grants: [{ connection: 'forge-all', scopes: ['public_repo'] }] },
    });
    assert.equal(refused.status, 400, JSON.stringify(refused.body));
    assert.equal(refused.body.error, 'invalid_grant_scope');
    assert.match(
      refused.body.error_description,
      /"public_repo" is not enforced by the provider on a connection that holds "repo".*grant "repo" or "\*" instead/,
    );
    assert.deepEqual(refused.body.ungrantable_scopes, ['public_repo']);
    assert.deepEqual(refused.body.available_scopes, ['repo']);
    assert.deepEqual((await broker.admin('/agents')).body.agents, [], 'no agent was created');

    const allowed = await broker.admin('/agents', {
      body: {
        name: 'public-only',
        grants: [
          { connection: 'forge-public', scopes: ['public_repo'] },
          { connection: 'forge-all', scopes: ['repo'] },
        ],
      },
    });
    assert.equal(allowed.status, 201, JSON.stringify(allowed.body));
    const edited = await broker.admin(`/agents/${allowed.body.id}`, {
      method: 'PATCH',
      body: { grants: [{ connection: 'forge-all', scopes: ['public_repo', 'repo'] }] },
    });
    assert.equal(edited.status, 400, 'an edit is checked the same way');
    assert.equal(edited.body.error, 'invalid_grant_scope');
  });
});
