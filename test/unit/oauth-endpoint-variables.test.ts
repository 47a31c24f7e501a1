/**
 * `{variable}` in OAuth endpoint URLs (self-hosted GitLab, Salesforce sandboxes): declared
 * like base variables, filled from the connection's values, and as strict as bases.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkVariables } from '../../main/core/catalog/bases.js';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { withOAuthEndpoints } from '../../main/core/catalog/oauth-endpoints.js';
import { providerDefinitionProblems } from '../../main/core/catalog/validate-definition.js';
import type { OAuth2Auth, ProviderDefinition } from '../../main/core/catalog/types.js';
import { isLatchkeyError } from '../../main/core/errors.js';

type OAuthProvider = ProviderDefinition & { auth: OAuth2Auth };
const builtin = (id: string) => loadCatalog({ extraDirs: [] }).catalog.require(id) as OAuthProvider;

const oauthDefinition = (
  authUrls: Record<string, string>,
  variables: Record<string, unknown> = { host: { kind: 'hostname', description: 'Your server' } },
) => ({
  id: 'forge',
  name: 'Forge',
  auth: {
    type: 'oauth2',
    pkce: true,
    client_auth: 'none',
    client_secret: 'none',
    authorization_url: 'https://{host}/oauth/authorize',
    token_url: 'https://{host}/oauth/token',
    scopes: { read: 'Read' },
    default_scopes: ['read'],
    ...authUrls,
  },
  api: {
    base_url: 'https://{host}/api/v4',
    variables,
    rules: [{ method: 'GET', path: '/projects', scopes: ['read'] }],
  },
});

describe('OAuth endpoint URLs with variables', () => {
  test('gitlab-self-managed fills {host} into every OAuth URL, the identity URL and the API base', () => {
    const provider = builtin('gitlab-self-managed');
    const values = checkVariables(provider, { host: 'gitlab.example.org' });
    const auth = withOAuthEndpoints(provider, values).auth;
    assert.equal(auth.authorization_url, 'https://gitlab.example.org/oauth/authorize');
    assert.equal(auth.token_url, 'https://gitlab.example.org/oauth/token');
    assert.equal(auth.revocation_url, 'https://gitlab.example.org/oauth/revoke');
    assert.equal(auth.device_authorization_url, 'https://gitlab.example.org/oauth/authorize_device');
    assert.equal(auth.issuer, 'https://gitlab.example.org');
    assert.equal(auth.identity?.url, 'https://gitlab.example.org/api/v4/user');
    assert.equal(provider.auth.token_url, 'https://{host}/oauth/token', 'the catalog definition is not changed');
  });

  test('hostile values are refused with invalid_variable', () => {
    const provider = builtin('gitlab-self-managed');
    for (const host of ['evil.com/x', 'a@b', 'host:1', 'https://evil.com', '127.0.0.1', 'evil.com#', '', 'EVIL.com']) {
      assert.throws(
        () => checkVariables(provider, { host }),
        (error) => isLatchkeyError(error) && error.code === 'invalid_variable' && error.details?.variable === 'host',
        host,
      );
      assert.throws(
        () => withOAuthEndpoints(provider, { host }),
        (error) => isLatchkeyError(error) && error.code === 'invalid_variable',
        host,
      );
    }
    assert.throws(() => withOAuthEndpoints(provider, {}), /not set on this connection/);
  });

  test('Salesforce logs in through login.salesforce.com by default, a sandbox host when given', () => {
    const provider = builtin('salesforce');
    const production = withOAuthEndpoints(provider, checkVariables(provider, { domain: 'acme' }));
    assert.equal(production.auth.token_url, 'https://login.salesforce.com/services/oauth2/token');
    // A connection made before login_host existed has no value for it: the default applies.
    assert.equal(
      withOAuthEndpoints(provider, { domain: 'acme' }).auth.authorization_url,
      'https://login.salesforce.com/services/oauth2/authorize',
    );
    const sandbox = withOAuthEndpoints(
      provider,
      checkVariables(provider, { domain: 'acme', login_host: 'test.salesforce.com' }),
    );
    assert.equal(sandbox.auth.revocation_url, 'https://test.salesforce.com/services/oauth2/revoke');
  });

  test('a definition must declare a variable it writes in an OAuth URL, and keep it in the host', () => {
    assert.deepEqual(providerDefinitionProblems(oauthDefinition({})), []);
    const undeclared = providerDefinitionProblems(oauthDefinition({ token_url: 'https://{server}/oauth/token' }));
    assert.deepEqual(
      undeclared.map((p) => p.path),
      ['/auth/token_url'],
    );
    assert.match(undeclared[0]!.message, /"\{server\}" is not declared in \/api\/variables/);
    assert.deepEqual(
      providerDefinitionProblems(oauthDefinition({ token_url: 'https://gitlab.example/{host}/token' })).map(
        (p) => p.path,
      ),
      ['/auth/token_url'],
    );
    assert.deepEqual(
      providerDefinitionProblems(oauthDefinition({ revocation_url: 'https://{host}/oauth/revoke?x=1' })).map(
        (p) => p.path,
      ),
      ['/auth/revocation_url'],
    );
    assert.deepEqual(
      providerDefinitionProblems(
        oauthDefinition(
          { token_url: 'http://{host}.example.com/token' },
          { host: { kind: 'label', description: 'x' } },
        ),
      )
        .map((p) => p.path)
        .sort(),
      ['/api/base_url', '/auth/authorization_url', '/auth/token_url'],
    );
  });
});
