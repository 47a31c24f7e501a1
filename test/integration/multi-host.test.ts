/**
 * Multi-host APIs and per-account hosts through a running broker: a definition with two
 * bases (two local upstreams stand in for them), and a Zendesk-like one whose host takes
 * the person's subdomain, from the admin API's connect to a proxied call.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';
import { connectFully, setUp } from '../fixtures/connect.js';
import { startTestProvider } from '../fixtures/oidc-provider.js';

interface Upstream {
  url: string;
  port: number;
  /** Every request it received: path and Host header. */
  seen: { path: string; host: string | undefined; authorization: string | undefined }[];
  close(): Promise<void>;
}

/** A stand-in API host that answers every request with who it is and what it got. */
async function startUpstream(name: string): Promise<Upstream> {
  const seen: Upstream['seen'] = [];
  const server: Server = createServer((req, res) => {
    seen.push({ path: req.url ?? '', host: req.headers.host, authorization: req.headers.authorization });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ upstream: name, path: req.url, host: req.headers.host }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    seen,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

const keyAuth = {
  type: 'api_key',
  header: 'Authorization',
  format: 'Bearer {key}',
  scopes: { read: 'Read', write: 'Write' },
};

async function agentToken(broker: TestBroker, connection: string): Promise<string> {
  const agent = await broker.admin('/agents', {
    body: { name: `agent-${connection}`, grants: [{ connection, scopes: ['read'] }] },
  });
  assert.equal(agent.status, 201, JSON.stringify(agent.body));
  const minted = await broker.admin(`/agents/${agent.body.id}/token`, { method: 'POST' });
  assert.equal(minted.status, 200, JSON.stringify(minted.body));
  return minted.body.access_token;
}

async function call(broker: TestBroker, token: string, path: string) {
  const response = await fetch(`${broker.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json()) as any };
}

/** Sent as written: fetch would resolve dot segments before sending them. */
function rawStatus(broker: TestBroker, token: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: '127.0.0.1', port: broker.port, path, headers: { authorization: `Bearer ${token}` } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('multi-host APIs and per-account hosts through the broker', () => {
  let broker: TestBroker;
  let main: Upstream;
  let sheets: Upstream;
  let tenant: Upstream;

  before(async () => {
    [main, sheets, tenant] = await Promise.all([
      startUpstream('main'),
      startUpstream('sheets'),
      startUpstream('tenant'),
    ]);
    broker = await startTestBroker({ secretStore: 'file', passphrase: 'a long test passphrase' });
  });
  after(async () => {
    await broker?.dispose();
    await Promise.all([main?.close(), sheets?.close(), tenant?.close()]);
  });

  test('each base reaches its own host with its own rules; /proxy/<c>:<base> names it, unknown bases are refused', async () => {
    const added = await broker.admin('/providers', {
      body: {
        id: 'multi',
        name: 'Multi',
        auth: keyAuth,
        api: {
          bases: { default: main.url, sheets: `${sheets.url}/v4` },
          rules: [
            { method: 'GET', path: '/files/**', scopes: ['read'] },
            { method: 'GET', path: '/spreadsheets/**', scopes: ['read'], base: 'sheets' },
          ],
        },
      },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.deepEqual(added.body.bases, { default: main.url, sheets: `${sheets.url}/v4` });
    const connected = await broker.admin('/connections', {
      body: { provider: 'multi', name: 'multi', secret: 'multi-key' },
    });
    assert.equal(connected.status, 201, JSON.stringify(connected.body));
    const token = await agentToken(broker, 'multi');

    const onDefault = await call(broker, token, '/proxy/multi/files/a?x=1');
    assert.equal(onDefault.status, 200, JSON.stringify(onDefault.body));
    assert.deepEqual([onDefault.body.upstream, onDefault.body.path], ['main', '/files/a?x=1']);
    const onSheets = await call(broker, token, '/proxy/multi:sheets/spreadsheets/ID/values/A1');
    assert.equal(onSheets.status, 200, JSON.stringify(onSheets.body));
    assert.deepEqual([onSheets.body.upstream, onSheets.body.path], ['sheets', '/v4/spreadsheets/ID/values/A1']);
    assert.equal(sheets.seen[0]?.authorization, 'Bearer multi-key');

    // A rule of one base opens nothing on another.
    const crossed = await call(broker, token, '/proxy/multi:sheets/files/a');
    assert.equal(crossed.status, 403);
    assert.equal(crossed.body.error, 'insufficient_scope');
    const crossedBack = await call(broker, token, '/proxy/multi/spreadsheets/ID');
    assert.equal(crossedBack.status, 403);

    for (const base of ['nope', 'Sheets', '', 'sheets:x']) {
      const unknown = await call(broker, token, `/proxy/multi:${base}/files/a`);
      assert.equal(unknown.status, 404, base);
      assert.equal(unknown.body.error, 'unknown_base');
      assert.deepEqual(unknown.body.bases, ['default', 'sheets']);
    }
    // Path safety holds per base: the base path cannot be climbed out of.
    for (const path of [
      '/proxy/multi:sheets/../files/a',
      '/proxy/multi:sheets/%2e%2e/files/a',
      '/proxy/multi:sheets/x%2f..%2f..%2ffiles/a',
      '/proxy/multi:sheets//127.0.0.1/files/a',
    ]) {
      assert.equal(await rawStatus(broker, token, path), 400, path);
    }
    assert.deepEqual(
      main.seen.map((s) => s.path),
      ['/files/a?x=1'],
    );
    assert.deepEqual(
      sheets.seen.map((s) => s.path),
      ['/v4/spreadsheets/ID/values/A1'],
    );

    const listed = await call(broker, token, '/v1/connections');
    const view = listed.body.connections.find((c: { name: string }) => c.name === 'multi');
    assert.deepEqual(view.bases, {
      default: { base_url: `${broker.url}/proxy/multi`, upstream_base_url: main.url },
      sheets: { base_url: `${broker.url}/proxy/multi:sheets`, upstream_base_url: `${sheets.url}/v4` },
    });
    assert.equal(view.base_url, `${broker.url}/proxy/multi`);
  });

  test('a subdomain variable is asked for at connect, refused unless a DNS label, and makes the host the call reaches', async () => {
    const added = await broker.admin('/providers', {
      body: {
        id: 'desk',
        name: 'Desk',
        auth: keyAuth,
        api: {
          // *.localhost is loopback (RFC 6761): the tenant's host, served by the local upstream.
          base_url: `http://{subdomain}.localhost:${tenant.port}/api`,
          variables: { subdomain: { kind: 'label', description: 'acme in acme.desk.example' } },
          rules: [{ method: 'GET', path: '/v2/tickets', scopes: ['read'] }],
        },
      },
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    assert.equal(added.body.variables[0].name, 'subdomain');
    assert.match(added.body.variables[0].allowed, /one DNS label/);

    const bad = [
      'evil.com/',
      'a.b@c',
      '127.0.0.1',
      '[::1]',
      'ACME',
      'acme:8443',
      '',
      'a'.repeat(64),
      'acme.evil',
      '-acme',
      'acme/..',
    ];
    for (const subdomain of bad) {
      const refused = await broker.admin('/connections', {
        body: { provider: 'desk', name: 'desk', secret: 'desk-key', variables: { subdomain } },
      });
      assert.equal(refused.status, 400, `${subdomain}: ${JSON.stringify(refused.body)}`);
      assert.equal(refused.body.error, 'invalid_variable', subdomain);
      assert.match(refused.body.error_description, /Allowed: one DNS label/);
    }
    const missing = await broker.admin('/connections', {
      body: { provider: 'desk', name: 'desk', secret: 'desk-key' },
    });
    assert.equal(missing.body.error, 'invalid_variable');
    assert.match(missing.body.error_description, /needs "subdomain"/);
    const listedBefore = await broker.admin('/connections');
    assert.ok(
      !listedBefore.body.connections.some((c: { name: string }) => c.name === 'desk'),
      'no refused value was stored',
    );

    const connected = await broker.admin('/connections', {
      body: { provider: 'desk', name: 'desk', secret: 'desk-key', variables: { subdomain: 'acme' } },
    });
    assert.equal(connected.status, 201, JSON.stringify(connected.body));
    assert.deepEqual(connected.body.connection.variables, { subdomain: 'acme' });

    const token = await agentToken(broker, 'desk');
    const answered = await call(broker, token, '/proxy/desk/v2/tickets');
    assert.equal(answered.status, 200, JSON.stringify(answered.body));
    assert.deepEqual(tenant.seen, [
      { path: '/api/v2/tickets', host: `acme.localhost:${tenant.port}`, authorization: 'Bearer desk-key' },
    ]);

    const listed = await call(broker, token, '/v1/connections');
    const view = listed.body.connections.find((c: { name: string }) => c.name === 'desk');
    assert.equal(view.upstream_base_url, `http://acme.localhost:${tenant.port}/api`);
  });

  test('an OAuth connection keeps the variables given when its browser flow started', async () => {
    const provider = await startTestProvider();
    try {
      await setUp(provider, broker, {
        api: {
          base_url: `http://{subdomain}.localhost:${tenant.port}/api`,
          variables: { subdomain: { kind: 'label', description: 'acme in acme.desk.example' } },
          rules: [{ method: 'GET', path: '/v2/tickets', scopes: ['items:read'] }],
        },
      });
      const refused = await broker.admin('/connections', {
        body: { provider: 'acme', name: 'oauth-desk', variables: { subdomain: 'a.b@c' } },
      });
      assert.equal(refused.body.error, 'invalid_variable', 'checked before the flow starts');
      await connectFully(broker, { provider: 'acme', name: 'oauth-desk', variables: { subdomain: 'tenant-2' } });
      const made = (await broker.admin('/connections')).body.connections.find(
        (c: { name: string }) => c.name === 'oauth-desk',
      );
      assert.equal(made?.status, 'connected');
      assert.deepEqual(made?.variables, { subdomain: 'tenant-2' });
    } finally {
      await provider.close();
    }
  });
});
