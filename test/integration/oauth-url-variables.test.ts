import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { connectFully, setUp } from '../fixtures/connect.js';
import { startTestProvider, type TestProvider } from '../fixtures/oidc-provider.js';
import { clearTestKeychain, startTestBroker, type TestBroker } from '../fixtures/broker.js';
import type { OAuth2Auth } from '../../main/core/catalog/types.js';

/**
 * A provider whose OAuth endpoints are on a host the person chooses (self-hosted GitLab):
 * `{host}` in the authorization, token and revocation URLs, filled from the connection.
 */
describe('OAuth endpoint URLs with a {host} variable, against a real oidc-provider', () => {
  let provider: TestProvider;
  let broker: TestBroker;

  before(async () => {
    provider = await startTestProvider();
    broker = await startTestBroker();
    const port = new URL(provider.issuer).port;
    const fixed = provider.definition();
    const auth = fixed.auth as OAuth2Auth;
    await setUp(provider, broker, {
      auth: {
        ...auth,
        authorization_url: `http://{host}:${port}/auth`,
        token_url: `http://{host}:${port}/token`,
        revocation_url: `http://{host}:${port}/token/revocation`,
      },
      api: { ...fixed.api, variables: { host: { kind: 'hostname', description: 'Your server' } } },
    });
  });
  after(async () => {
    await broker.dispose();
    await provider.close();
    await clearTestKeychain();
  });

  test('a definition that writes {host} in an OAuth URL without declaring it is refused', async () => {
    const fixed = provider.definition();
    const added = await broker.admin('/providers', {
      body: { ...fixed, id: 'undeclared', auth: { ...(fixed.auth as OAuth2Auth), token_url: 'https://{host}/token' } },
    });
    assert.equal(added.status, 400, JSON.stringify(added.body));
    assert.match(JSON.stringify(added.body), /\/auth\/token_url.*"\{host\}\\?" is not declared in \/api\/variables/);
  });

  test('hostile host values are refused before any flow starts', async () => {
    for (const host of ['evil.com/x', 'a@b', 'host:1', '127.0.0.1', 'evil.com']) {
      const started = await broker.admin('/connections', {
        body: { provider: 'acme', name: 'hostile', variables: { host } },
      });
      assert.equal(started.status, 400, `${host}: ${JSON.stringify(started.body)}`);
      assert.equal(started.body.error, 'invalid_variable', host);
    }
  });

  test('connect goes to the substituted endpoints, and a refresh uses the substituted token URL', async () => {
    const before = {
      code: provider.tokenRequests.authorization_code ?? 0,
      refresh: provider.tokenRequests.refresh_token ?? 0,
    };
    const started = await broker.admin('/connections', {
      body: { provider: 'acme', name: 'probe', variables: { host: 'localhost' } },
    });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    assert.equal(new URL(started.body.authorize_url).host, `localhost:${new URL(provider.issuer).port}`);

    await connectFully(broker, { provider: 'acme', name: 'self-hosted', variables: { host: 'localhost' } });
    assert.equal(provider.tokenRequests.authorization_code, before.code + 1);
    const record = broker.core.service.get('self-hosted');
    assert.deepEqual(record.variables, { host: 'localhost' });

    const refreshed = await broker.admin('/connections/self-hosted/refresh', { method: 'POST' });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(provider.tokenRequests.refresh_token, before.refresh + 1);
  });
});
