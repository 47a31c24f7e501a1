/**
 * A key pasted as "user:password" reaches the provider as HTTP Basic (`"Basic {key_base64}"`,
 * Twilio's API key SID and secret): the built-in Twilio definition, pointed at a local server
 * standing in for api.twilio.com, through the real proxy, connection service and store.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type Database from 'better-sqlite3';
import { Catalog } from '../../main/core/catalog/catalog.js';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { validateProviderDefinition } from '../../main/core/catalog/validate-definition.js';
import type { ConnectionService } from '../../main/core/connections/service.js';
import type { TokenManager } from '../../main/core/connections/tokens.js';
import { connectionServices } from '../fixtures/connection-services.js';
import { proxyRoutes } from '../../main/core/proxy/routes.js';
import type { AgentPrincipal, AgentVerifier } from '../../main/core/proxy/types.js';
import type { ConnectionStore } from '../../main/core/store/connections.js';
import { openDatabase } from '../fixtures/database.js';
import { Vault } from '../../main/core/vault/vault.js';
import { MemoryBackend } from '../fixtures/memory-backend.js';

const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';
const KEY = 'SK0123456789abcdef0123456789abcdef:s3cr$&t';

let dir: string;
let db: Database.Database;
let upstream: Server;
let app: FastifyInstance;
let tokens: TokenManager;
let store: ConnectionStore;
let base = '';
const seen: { method: string; url: string; headers: IncomingHttpHeaders }[] = [];

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'latchkey-basic-'));
  db = openDatabase(join(dir, 'latchkey.db'));
  upstream = createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"sid":"SM1","status":"queued"}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  const upstreamUrl = `http://127.0.0.1:${(upstream.address() as { port: number }).port}`;

  const builtin = loadCatalog({ extraDirs: [] }).catalog.require('twilio');
  const twilio = validateProviderDefinition({
    ...structuredClone(builtin),
    id: 'twilio-local',
    api: { ...structuredClone(builtin.api), base_url: upstreamUrl },
  });
  const catalog = new Catalog([], [twilio]);
  const vault = new Vault(new MemoryBackend());
  let service: ConnectionService;
  ({ store, tokens, service } = connectionServices({ db, catalog, vault, dataDir: dir }));
  await service.connect({ provider: 'twilio-local', name: 'twilio', secret: KEY });
  const connectionId = store.getByName('twilio')!.id;

  const principal: AgentPrincipal = {
    agent_id: 'agent-sms',
    agent_name: 'sms',
    client_id: 'client-sms',
    jti: 'jti-sms',
    expires_at: Date.now() + 900_000,
    grants: new Map([['twilio', new Set(['messages'])]]),
    connection_ids: new Map([['twilio', connectionId]]),
    rate_limit_per_minute: null,
  };
  const verifier: AgentVerifier = {
    paused: false,
    tokenEndpoint: () => 'http://127.0.0.1:1/oauth/token',
    verifyAccessToken: async (token) => {
      if (token !== 'tok-sms') throw new Error('unexpected token');
      return principal;
    },
  };
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
  await new Promise<void>((resolve) => upstream.close(() => resolve()));
  store.flush(); // last_used_at is written in batches: before the database closes
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

test('the pasted "SID:secret" key goes upstream as HTTP Basic, base64 of exactly what was pasted', async () => {
  const response = await fetch(`${base}/proxy/twilio/2010-04-01/Accounts/${ACCOUNT}/Messages.json`, {
    method: 'POST',
    headers: { authorization: 'Bearer tok-sms', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'To=%2B15005550006&From=%2B15005550001&Body=hi',
  });
  assert.equal(response.status, 201, await response.clone().text());
  assert.deepEqual(await response.json(), { sid: 'SM1', status: 'queued' });
  const hit = seen.at(-1)!;
  assert.equal(hit.url, `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
  assert.equal(hit.headers.authorization, `Basic ${Buffer.from(KEY, 'utf8').toString('base64')}`);
  assert.equal(Buffer.from(hit.headers.authorization!.slice('Basic '.length), 'base64').toString('utf8'), KEY);
});

test('a scope the agent lacks is refused before anything reaches the upstream', async () => {
  const before = seen.length;
  const response = await fetch(`${base}/proxy/twilio/2010-04-01/Accounts/${ACCOUNT}/Calls.json`, {
    method: 'POST',
    headers: { authorization: 'Bearer tok-sms', 'content-type': 'application/x-www-form-urlencoded' },
    body: 'To=%2B15005550006',
  });
  assert.equal(response.status, 403);
  assert.equal(seen.length, before);
});
