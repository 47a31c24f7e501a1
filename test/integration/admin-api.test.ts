import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { filesContaining, startTestBroker, type TestBroker } from '../fixtures/broker.js';

/** A raw request, so the Host header can be anything (fetch does not let us forge it). */
function rawGet(
  port: number,
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers }, (res) => {
      let body = '';
      res.on('data', (chunk) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('admin API', () => {
  let broker: TestBroker;
  before(async () => {
    broker = await startTestBroker({ secretStore: 'file', passphrase: 'a long test passphrase' });
  });
  after(async () => broker.dispose());

  test('requires the admin token in the Authorization header', async () => {
    const none = await fetch(`${broker.url}/admin/api/connections`);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: string }).error, 'missing_token');
    const wrong = await fetch(`${broker.url}/admin/api/connections`, { headers: { authorization: 'Bearer nope' } });
    assert.equal(((await wrong.json()) as { error: string }).error, 'invalid_token');
    const query = await fetch(`${broker.url}/admin/api/connections?access_token=${broker.adminToken}`);
    assert.equal(query.status, 401, 'never from the query string');
    const cookie = await fetch(`${broker.url}/admin/api/connections`, {
      headers: { cookie: `admin=${broker.adminToken}` },
    });
    assert.equal(cookie.status, 401, 'never from a cookie');
  });

  test('refuses requests addressed to a foreign Host (DNS rebinding)', async () => {
    const auth = { authorization: `Bearer ${broker.adminToken}` };
    const foreign = await rawGet(broker.port, '/admin/api/status', { ...auth, host: `evil.example:${broker.port}` });
    assert.equal(foreign.status, 421);
    assert.equal(JSON.parse(foreign.body).error, 'invalid_host');
    const otherPort = await rawGet(broker.port, '/admin/api/status', { ...auth, host: `127.0.0.1:${broker.port + 1}` });
    assert.equal(otherPort.status, 421);
    const localhost = await rawGet(broker.port, '/admin/api/status', { ...auth, host: `localhost:${broker.port}` });
    assert.equal(localhost.status, 200);
  });

  test('refuses browser requests from a foreign Origin, even with the admin token', async () => {
    const auth = { authorization: `Bearer ${broker.adminToken}` };
    const foreign = await fetch(`${broker.url}/admin/api/status`, {
      headers: { ...auth, origin: 'https://evil.example' },
    });
    assert.equal(foreign.status, 403);
    assert.equal(((await foreign.json()) as { error: string }).error, 'forbidden_origin');
    const ownPortOtherScheme = await fetch(`${broker.url}/admin/api/status`, {
      headers: { ...auth, origin: `https://127.0.0.1:${broker.port}` },
    });
    assert.equal(ownPortOtherScheme.status, 403);
    const own = await fetch(`${broker.url}/admin/api/status`, { headers: { ...auth, origin: broker.url } });
    assert.equal(own.status, 200);
  });

  test('a malformed URL is refused in the JSON error shape', async () => {
    const res = await rawGet(broker.port, '/admin/api/connections/%zz', {
      host: `127.0.0.1:${broker.port}`,
      authorization: `Bearer ${broker.adminToken}`,
    });
    assert.equal(res.status, 400);
    assert.equal(JSON.parse(res.body).error, 'invalid_request');
  });

  test('bounds header sizes', async () => {
    const res = await rawGet(broker.port, '/admin/api/status', {
      host: `127.0.0.1:${broker.port}`,
      'x-padding': 'a'.repeat(20 * 1024),
    });
    assert.equal(res.status, 431);
  });

  test('the control socket in the data dir answers the status without a token, for this user only', async () => {
    const socketPath = join(broker.dataDir, 'control.sock');
    assert.equal(statSync(socketPath).mode & 0o077, 0, 'no access for group or others');
    const status = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = request({ socketPath, path: '/admin/api/status', headers: { host: 'latchkey' } }, (res) => {
        let body = '';
        res.on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status.status, 200, status.body);
    assert.equal(JSON.parse(status.body).data_dir, broker.dataDir);
  });

  test('lists the built-in catalog with redirect URIs and connect methods', async () => {
    const { body } = await broker.admin('/providers');
    const byId = new Map<string, any>(body.providers.map((p: { id: string }) => [p.id, p]));
    for (const id of [
      'slack',
      'github',
      'google',
      'notion',
      'linear',
      'atlassian',
      'microsoft',
      'dropbox',
      'gitlab',
      'hubspot',
      'stripe',
      'discord-bot',
      'openai',
    ]) {
      assert.ok(byId.has(id), `missing ${id}`);
    }
    assert.equal(byId.get('microsoft').redirect_uri, `http://localhost:${broker.port}/oauth/callback`);
    assert.ok(byId.get('github').connect_methods.includes('device'));
    assert.ok(byId.get('github').connect_methods.includes('personal_token'));
    assert.equal(byId.get('github').client_secret, 'required');
    assert.deepEqual(byId.get('stripe').connect_methods, ['api_key']);
    assert.equal(byId.get('slack').client, null);
  });

  test('connecting before the OAuth app is set up says what to do', async () => {
    const res = await broker.admin('/connections', { body: { provider: 'google' } });
    assert.equal(res.status, 400);
    assert.equal(res.body.error, 'client_not_configured');
    assert.equal(res.body.redirect_uri, `http://127.0.0.1:${broker.port}/oauth/callback`);
    assert.equal(res.body.configure, 'PUT /admin/api/providers/google/client');
  });

  test('a provider that needs a client secret refuses to start without it; the secret never comes back', async () => {
    const set = await broker.admin('/providers/github/client', { method: 'PUT', body: { client_id: 'Iv1.abc' } });
    assert.equal(set.status, 200);
    assert.deepEqual(set.body.client, { client_id: 'Iv1.abc', has_secret: false });
    const refused = await broker.admin('/connections', { body: { provider: 'github' } });
    assert.equal(refused.body.error, 'client_secret_required');
    const secret = 'github-client-secret-0123456789abcdef';
    const withSecret = await broker.admin('/providers/github/client', {
      method: 'PUT',
      body: { client_id: 'Iv1.abc', client_secret: secret },
    });
    assert.deepEqual(withSecret.body.client, { client_id: 'Iv1.abc', has_secret: true });
    const started = await broker.admin('/connections', { body: { provider: 'github' } });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.ok(!started.body.authorize_url.includes(secret));
    assert.deepEqual(filesContaining(broker.dataDir, secret), []);
  });

  test('an API key connection is stored in the vault, never on disk or in a listing', async () => {
    const key = 'sk_test_51AbCdEfGhIjKlMnOpQrStUv';
    const res = await broker.admin('/connections', { body: { provider: 'stripe', secret: key } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.equal(res.body.kind, 'connected');
    assert.equal(res.body.connection.name, 'stripe');
    assert.equal(res.body.connection.auth_method, 'api_key');
    const second = await broker.admin('/connections', {
      body: { provider: 'stripe', secret: 'sk_test_other_account_key_1234' },
    });
    assert.equal(second.body.connection.name, 'stripe-2', 'several accounts of one provider');
    assert.deepEqual(filesContaining(broker.dataDir, key), []);
    assert.ok(!JSON.stringify((await broker.admin('/connections')).body).includes(key));
    assert.equal((await broker.core.tokens.current(broker.core.service.get('stripe'))).access_token, key);
  });

  test('bad input is refused with a code and nothing changes', async () => {
    const unknownField = await broker.admin('/connections', {
      body: { provider: 'stripe', secret: 'x', color: 'red' },
    });
    assert.equal(unknownField.status, 400);
    assert.equal(unknownField.body.error, 'invalid_request');
    const badScope = await broker.admin('/connections', {
      body: { provider: 'stripe', secret: 'x', scopes: ['admin'] },
    });
    assert.equal(badScope.body.error, 'invalid_scope');
    assert.deepEqual(badScope.body.unknown_scopes, ['admin']);
    const unknownProvider = await broker.admin('/connections', { body: { provider: 'nope' } });
    assert.equal(unknownProvider.status, 404);
    assert.equal(unknownProvider.body.error, 'unknown_provider');
    const badName = await broker.admin('/connections', { body: { provider: 'stripe', secret: 'x', name: '../etc' } });
    assert.equal(badName.body.error, 'invalid_name');
    const taken = await broker.admin('/connections', { body: { provider: 'openai', secret: 'x', name: 'stripe' } });
    assert.equal(taken.status, 409);
    assert.equal(taken.body.error, 'connection_exists');
    const invalidProvider = await broker.admin('/providers', {
      body: { id: 'bad', name: 'Bad', auth: { type: 'oauth2' }, api: {} },
    });
    assert.equal(invalidProvider.status, 400);
    assert.equal(invalidProvider.body.error, 'invalid_provider');
    assert.ok(invalidProvider.body.problems.some((p: { path: string }) => p.path === '/auth/token_url'));
    const names = (await broker.admin('/connections')).body.connections.map((c: { name: string }) => c.name).sort();
    assert.deepEqual(names, ['stripe', 'stripe-2']);
  });

  test('describes itself at /admin/openapi.json', async () => {
    const res = await fetch(`${broker.url}/admin/openapi.json`);
    assert.equal(res.status, 200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(doc.openapi, /^3\./);
    for (const [path, method] of [
      ['/admin/api/providers', 'get'],
      ['/admin/api/providers', 'post'],
      ['/admin/api/providers/{id}/client', 'put'],
      ['/admin/api/connections', 'post'],
      ['/admin/api/connections/flows/{flow_id}', 'get'],
      ['/admin/api/connections/{name}', 'delete'],
    ] as const) {
      assert.ok(doc.paths[path]?.[method], `${method.toUpperCase()} ${path} is documented`);
    }
  });
});
