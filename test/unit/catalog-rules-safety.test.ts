/**
 * Walks every built-in provider definition for the ways a rule can hand a narrow grant more
 * than it says: full-access endpoints (GraphQL, batch) open to one scope, endpoints open to no
 * scope, read-only scopes accepted on write methods, scopes the provider does not enforce,
 * and rule paths the proxy's own path checker would refuse (rules no agent can ever reach).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinProvidersDir, loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { ungrantableScopes } from '../../main/common/grantable-scopes.js';
import { publicRules } from '../../main/core/catalog/public-rules.js';
import { compileRules, isCallAllowed, requiredScopes } from '../../main/core/catalog/rules.js';
import { FULL_ACCESS_SEGMENT } from '../../main/core/catalog/rule-problems.js';
import { providerDefinitionProblems } from '../../main/core/catalog/validate-definition.js';
import type { EndpointRule, ProviderDefinition } from '../../main/core/catalog/types.js';
import { validateGrants } from '../../main/core/authz/grants.js';
import { isLatchkeyError } from '../../main/core/errors.js';
import { grantedScopes } from '../../main/core/proxy/access.js';
import { checkProxyPath } from '../../main/core/proxy/path.js';

const { catalog, problems } = loadCatalog({ extraDirs: [] });
/** Read from the files themselves, so a definition the validator refuses is still walked. */
const builtins: ProviderDefinition[] = readdirSync(builtinProvidersDir())
  .filter((name) => name.endsWith('.json'))
  .map((name) => JSON.parse(readFileSync(join(builtinProvidersDir(), name), 'utf8')) as ProviderDefinition);
const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const ruleName = (provider: string, rule: EndpointRule) => `${provider}: ${rule.method} ${rule.path}`;

/** `read`, `readonly`, `*:read`, `read:*`, `read_*`, `Mail.Read`, `user-read-email`… but not `Mail.ReadWrite`. */
function isReadOnlyScope(scope: string): boolean {
  return scope
    .toLowerCase()
    .split(/[^a-z]+/)
    .some((word) => word === 'read' || word === 'readonly');
}

/** A small definition the validator cases change in one place. */
function sample(rules: unknown[], auth: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: 'acme',
    name: 'Acme',
    auth: {
      type: 'api_key',
      header: 'Authorization',
      format: 'Bearer {key}',
      scopes: { read: 'Read', write: 'Write' },
      ...auth,
    },
    api: { base_url: 'https://api.acme.example', rules },
  };
}

test('the built-in definitions load without problems', () => {
  assert.deepEqual(problems, []);
  assert.equal(catalog.list().length, builtins.length);
});

describe('full-access endpoints (GraphQL, batch)', () => {
  test('the validator refuses a GraphQL or batch rule that lists scopes instead of requiring every connection scope', () => {
    const found = providerDefinitionProblems(
      sample([
        { method: 'POST', path: '/graphql', scopes: ['read'] },
        { method: 'POST', path: '/v1/$batch', scopes: [] },
        { method: 'POST', path: '/files/delete_batch', scopes: ['write'] },
        { method: 'GET', path: '/graphql', scopes: ['read'], requires: 'all_connection_scopes' },
        { method: 'POST', path: '/api/graphql', scopes: [], requires: 'all_connection_scopes' },
        { method: 'POST', path: '/items', scopes: ['write'], requires: 'everything' },
      ]),
    );
    assert.deepEqual(
      found.map((p) => p.path),
      [
        '/api/rules/5/requires',
        '/api/rules/0/requires',
        '/api/rules/1/requires',
        '/api/rules/2/requires',
        '/api/rules/3/scopes',
      ],
    );
    assert.match(
      found[1]!.message,
      /"\/graphql" is a GraphQL or batch endpoint \(segment "graphql"\).*"requires": "all_connection_scopes"/,
    );
    assert.match(found[2]!.message, /segment "\$batch"/);
    assert.match(found[4]!.message, /must be \[\] when "requires" is "all_connection_scopes"/);
    assert.match(found[0]!.message, /must be one of "all_connection_scopes"/);
  });

  test('the validator refuses a broader rule that also matches a full-access endpoint (rules only add permission)', () => {
    const found = providerDefinitionProblems(
      sample([
        { method: 'POST', path: '/graphql', scopes: [], requires: 'all_connection_scopes' },
        { method: '*', path: '/**', scopes: ['read'] },
        { method: 'GET', path: '/items/**', scopes: ['read'] },
        { method: 'POST', path: '/*', scopes: [] },
      ]),
    );
    assert.deepEqual(
      found.map((p) => p.path),
      ['/api/rules/1', '/api/rules/3'],
    );
    assert.match(
      found[0]!.message,
      /also matches POST \/graphql, which rule \/api\/rules\/0 opens only to a grant of every connection scope.*"read"/,
    );
    assert.match(found[1]!.message, /would let any grant through/);
  });

  test('every built-in GraphQL or batch rule requires every connection scope, and names none', () => {
    const fullAccess: string[] = [];
    for (const provider of builtins) {
      for (const rule of provider.api.rules) {
        if (!rule.path.split('/').some((segment) => FULL_ACCESS_SEGMENT.test(segment))) continue;
        fullAccess.push(ruleName(provider.id, rule));
        assert.equal(rule.requires, 'all_connection_scopes', ruleName(provider.id, rule));
        assert.deepEqual(rule.scopes, [], ruleName(provider.id, rule));
      }
    }
    assert.deepEqual(fullAccess.sort(), [
      // Anthropic's Message Batches run any Messages request in bulk.
      'anthropic: DELETE /v1/messages/batches/*',
      'anthropic: GET /v1/messages/batches/**',
      'anthropic: POST /v1/messages/batches',
      'anthropic: POST /v1/messages/batches/*/cancel',
      'github: POST /graphql',
      'linear: POST /graphql',
      // Mailchimp's batch operations run any request of the API.
      'mailchimp: GET /batches/*',
      'mailchimp: POST /batches',
      'openai: GET /batches/**',
      'openai: POST /batches/**',
      'shopify: POST /graphql.json',
    ]);
  });

  test('such a rule allows only a grant covering every scope the connection holds, and says which', () => {
    const match = catalog.matcher('github')('POST', '/graphql');
    const held = ['repo', 'public_repo', 'read:user', 'read:org'];
    for (const narrow of [['read:user'], ['read:org'], ['public_repo'], ['repo', 'read:user', 'read:org']]) {
      assert.equal(isCallAllowed(match, narrow, held), false, narrow.join(' '));
    }
    assert.equal(isCallAllowed(match, held, held), true);
    assert.equal(isCallAllowed(catalog.matcher('linear')('POST', '/graphql'), ['read'], ['read', 'write']), false);
    assert.equal(
      isCallAllowed(catalog.matcher('linear')('POST', '/graphql'), ['read'], ['read']),
      true,
      'a read-only connection can only read anyway',
    );
    assert.deepEqual(requiredScopes(match, held), held);
  });
});

describe('endpoints open to any grant ("scopes": [])', () => {
  test('publicRules lists the rules that need no scope, with their JSON pointers', () => {
    const listed = publicRules(
      sample([
        { method: 'GET', path: '/ping', scopes: [] },
        { method: 'GET', path: '/items', scopes: ['read'] },
        { method: 'POST', path: '/graphql', scopes: [], requires: 'all_connection_scopes' },
      ]) as unknown as ProviderDefinition,
    );
    assert.deepEqual(listed, [{ path: '/api/rules/0', rule: { method: 'GET', path: '/ping', scopes: [] } }]);
  });

  test("the built-in public rules are exactly these, each reading public data or the account's own identity", () => {
    const listed = builtins
      .flatMap((provider) => publicRules(provider).map(({ rule }) => ruleName(provider.id, rule)))
      .sort();
    assert.deepEqual(listed, [
      // The cloud ids every Jira/Confluence URL needs: the sites connected, no content.
      'atlassian: GET /oauth/token/accessible-resources',
      // A Discord user's public profile ("%40me": the bot itself).
      'discord-bot: GET /v10/users/*',
      // Rate limit status; the account's own profile (private fields need the `user` scope, which the catalog does not declare).
      'github: GET /rate_limit',
      'github: GET /user',
      // The integration's own bot user.
      'notion: GET /v1/users/me',
      // The shop the token belongs to (name, domain, plan): the account's own identity.
      'shopify: GET /shop.json',
      // Which user and workspace the token is.
      'slack: * /auth.test',
      // Spotify's public catalog. (GET /me returns the person's e-mail and country: it needs a scope.)
      'spotify: GET /albums/**',
      'spotify: GET /artists/**',
      'spotify: GET /playlists/**',
      'spotify: GET /search',
      'spotify: GET /tracks/**',
    ]);
  });

  test('search across private data needs a scope that reads that data', () => {
    const github = catalog.matcher('github');
    for (const path of ['/search/issues', '/search/code', '/search/repositories']) {
      assert.deepEqual(requiredScopes(github('GET', path), []), ['repo', 'public_repo'], path);
      assert.equal(
        isCallAllowed(github('GET', path), ['read:user', 'read:org'], ['repo', 'read:user', 'read:org']),
        false,
        path,
      );
    }
  });
});

describe('read-only scopes never allow a write method', () => {
  /**
   * Reads that the provider's API sends as POST (or as any method): they read, whatever the
   * verb, so a read scope is the right one for them.
   */
  const READS_OVER_POST = new Set([
    // Airtable's list records takes long formulas in a POST body (its SDK switches to it by itself).
    'airtable: POST /v0/app*/*/listRecords',
    // Jira's JQL search takes its query in a POST body.
    'atlassian: POST /ex/jira/*/rest/api/3/search/**',
    // Dropbox's API is RPC: every call, reads included, is a POST.
    'dropbox: POST /2/users/get_current_account',
    'dropbox: POST /2/users/get_space_usage',
    'dropbox: POST /2/files/list_folder',
    'dropbox: POST /2/files/list_folder/continue',
    'dropbox: POST /2/files/get_metadata',
    'dropbox: POST /2/files/search_v2',
    'dropbox: POST /2/files/search/continue_v2',
    'dropbox: POST /2/files/get_temporary_link',
    'dropbox: POST /2/sharing/list_shared_links',
    // HubSpot's CRM search takes its filters in a POST body.
    'hubspot: POST /crm/v3/objects/contacts/search',
    'hubspot: POST /crm/v3/objects/companies/search',
    'hubspot: POST /crm/v3/objects/deals/search',
    // Intercom's contact and conversation search take their query in a POST body.
    'intercom: POST /contacts/search',
    'intercom: POST /conversations/search',
    // Notion's search and database (data source) queries take their filters in a POST body.
    'notion: POST /v1/search',
    'notion: POST /v1/databases/*/query',
    'notion: POST /v1/data_sources/*/query',
    // SendGrid's contact search takes its SGQL query in a POST body.
    'sendgrid: POST /v3/marketing/contacts/search',
    // Slack's Web API is RPC: its SDKs POST every method, reads included; each method name is a read.
    'slack: * /conversations.list',
    'slack: * /conversations.info',
    'slack: * /conversations.members',
    'slack: * /users.list',
    'slack: * /users.info',
    'slack: * /users.lookupByEmail',
    'slack: * /search.messages',
    'slack: * /files.list',
    'slack: * /files.info',
  ]);

  test('the scope names are recognised', () => {
    for (const scope of [
      'read',
      'files.metadata.read',
      'channels:read',
      'read:org',
      'read_content',
      'Mail.Read',
      'Files.Read.All',
      'user-read-email',
      'https://www.googleapis.com/auth/gmail.readonly',
    ]) {
      assert.equal(isReadOnlyScope(scope), true, scope);
    }
    for (const scope of ['write', 'Mail.ReadWrite', 'repo', 'chat:write', 'inference', 'readme']) {
      assert.equal(isReadOnlyScope(scope), false, scope);
    }
  });

  test('no built-in rule for POST, PUT, PATCH, DELETE or "*" accepts a read-only scope, apart from the listed reads', () => {
    const offending: string[] = [];
    const exempted: string[] = [];
    for (const provider of builtins) {
      for (const rule of provider.api.rules) {
        if (rule.method !== '*' && !WRITE_METHODS.has(rule.method)) continue;
        const readScopes = rule.scopes.filter(isReadOnlyScope);
        if (readScopes.length === 0) continue;
        const name = ruleName(provider.id, rule);
        (READS_OVER_POST.has(name) ? exempted : offending).push(`${name} [${readScopes.join(' ')}]`);
      }
    }
    assert.deepEqual(offending, []);
    assert.equal(exempted.length, READS_OVER_POST.size, 'every listed exemption still exists');
  });
});

describe('scopes the provider does not enforce (GitHub public_repo under repo)', () => {
  const github = catalog.require('github');
  const repoConnection = { id: 'conn-gh', name: 'gh', scopes: ['public_repo', 'read:user', 'repo'] };
  const publicConnection = { id: 'conn-gh-public', name: 'gh-public', scopes: ['public_repo', 'read:user'] };
  const grantable = [repoConnection, publicConnection].map((c) => ({
    ...c,
    ungrantable: ungrantableScopes(github.auth.unenforced_subsets, c.scopes),
  }));
  const lookup = {
    getByName: (name: string) => grantable.find((c) => c.name === name),
    getById: (id: string) => grantable.find((c) => c.id === id),
  };

  test('public_repo is not grantable on a connection that holds repo, with an error saying what to grant instead', () => {
    assert.deepEqual(
      [...ungrantableScopes(github.auth.unenforced_subsets, repoConnection.scopes)],
      [['public_repo', 'repo']],
    );
    assert.deepEqual([...ungrantableScopes(github.auth.unenforced_subsets, publicConnection.scopes)], []);
    assert.throws(
      () => validateGrants([{ connection: 'gh', scopes: ['public_repo', 'read:user'] }], lookup),
      (error: unknown) => {
        assert.ok(isLatchkeyError(error));
        assert.equal(error.code, 'invalid_grant_scope');
        assert.equal(error.status, 400);
        assert.match(
          error.message,
          /"public_repo" is not enforced by the provider on a connection that holds "repo".*grant "repo" or "\*" instead/,
        );
        assert.deepEqual(error.details.ungrantable_scopes, ['public_repo']);
        assert.deepEqual(error.details.available_scopes, ['read:user', 'repo']);
        return true;
      },
    );
    assert.deepEqual(validateGrants([{ connection: 'gh-public', scopes: ['public_repo'] }], lookup), [
      { connection: 'gh-public', scopes: ['public_repo'] },
    ]);
    assert.deepEqual(validateGrants([{ connection: 'gh', scopes: ['*'] }], lookup), [
      { connection: 'gh', scopes: ['*'] },
    ]);
  });

  test('a grant of it made earlier is not honoured by the proxy', () => {
    assert.deepEqual(grantedScopes(new Set(['public_repo', 'read:user']), repoConnection, github), ['read:user']);
    assert.deepEqual(grantedScopes(new Set(['public_repo']), publicConnection, github), ['public_repo']);
    assert.deepEqual(grantedScopes('*', repoConnection, github), repoConnection.scopes);
  });

  test('the built-in scopes whose limit the provider drops next to a broader scope are exactly these', () => {
    const google = 'https://www.googleapis.com/auth/';
    const declared = Object.fromEntries(
      builtins.flatMap((provider) =>
        provider.auth.unenforced_subsets ? [[provider.id, provider.auth.unenforced_subsets]] : [],
      ),
    );
    assert.deepEqual(declared, {
      // public_repo limits the token to public repositories only when it does not also hold repo.
      github: { public_repo: ['repo'] },
      // drive.file limits the token to the files the app opened or created, unless it also holds a whole-Drive scope.
      google: { [`${google}drive.file`]: [`${google}drive`, `${google}drive.readonly`] },
      // Files.Read is the person's own files; next to Files.Read.All the same /me/drive calls reach files shared with them.
      microsoft: { 'Files.Read': ['Files.Read.All'] },
    });
  });

  test('the validator checks both scopes are declared', () => {
    const found = providerDefinitionProblems(sample([], { unenforced_subsets: { read: ['admin'], write: ['write'] } }));
    assert.deepEqual(
      found.map((p) => p.path),
      ['/auth/unenforced_subsets/read/0', '/auth/unenforced_subsets/write/0'],
    );
    assert.match(found[0]!.message, /unknown scope "admin"/);
    assert.match(found[1]!.message, /cannot be a subset of itself/);
  });
});

describe("every built-in rule is reachable through the proxy's path checker", () => {
  /** The rule's path with each wildcard filled in: what an agent sends to reach it. */
  const example = (path: string) =>
    path
      .split('/')
      .map((segment) => (segment === '*' ? 'x1' : segment === '**' ? 'x2/x3' : segment))
      .join('/');

  test('each literal path passes checkProxyPath unchanged and matches its own rule', () => {
    const refused: string[] = [];
    for (const provider of builtins) {
      const match = compileRules(provider.api.rules);
      for (const rule of provider.api.rules) {
        const path = example(rule.path);
        let checked: string;
        try {
          checked = checkProxyPath(path);
        } catch (error) {
          refused.push(`${ruleName(provider.id, rule)}: ${(error as Error).message}`);
          continue;
        }
        assert.equal(checked, path, ruleName(provider.id, rule));
        assert.ok(
          match(rule.method === '*' ? 'GET' : rule.method, checked).includes(rule),
          ruleName(provider.id, rule),
        );
      }
    }
    assert.deepEqual(refused, []);
  });

  test('Discord\'s "@me", sent as "%40me", reaches the rules that used to spell it out', () => {
    const match = catalog.matcher('discord-bot');
    assert.deepEqual(requiredScopes(match('GET', checkProxyPath('/v10/users/%40me/guilds')), []), ['read']);
    assert.deepEqual(
      requiredScopes(match('PUT', checkProxyPath('/v10/channels/1/messages/2/reactions/%F0%9F%91%8D/%40me')), []),
      ['write'],
    );
    assert.equal(isCallAllowed(match('GET', checkProxyPath('/v10/users/%40me')), ['read'], ['read']), true);
  });
});
