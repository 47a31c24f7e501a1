/**
 * Catalog rules checked against the providers' own machine-readable API descriptions (issue 11),
 * as github-openapi.test.ts does for GitHub: pinned, trimmed copies in
 * test/fixtures/api-descriptions/ (scripts/trim-api-description.ts writes and refreshes them;
 * each names its source repository, commit, files and date; Dropbox's is in Stone, not
 * OpenAPI), and Figma's as its npm package ships it (@figma/rest-api-spec, read at test time). Per provider:
 * - every rule matches an operation of the description (no dead rules, no typos), except rules
 *   for methods newer than the description, each listed here with why;
 * - every operation is opened by a rule or listed in `api.not_exposed` with a reason, and no
 *   not_exposed entry is stale; operations on servers the definition does not reach are listed
 *   here with why;
 * - where the description names OAuth scopes per operation and the definition asks for them
 *   (Asana, Dropbox, Figma, HubSpot, Sentry, Slack): every scope a rule names for an operation is one the description lists for
 *   it, and a rule naming none matches only operations that need none (description-checks.ts,
 *   `scopeMismatches`). Discord's description names scopes too, but Latchkey
 *   connects a bot token with its own split; Box, Intercom, OpenAI, SendGrid and Twilio name none.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { schemeScopes } from '../fixtures/openapi-operations.js';
import type { EndpointRule, ProviderDefinition } from '../../main/core/catalog/types.js';
import {
  deadRules,
  matchesOperation,
  type Operation,
  operationName,
  placeOperations,
  readPackagedDescription,
  readVendoredDescription,
  describeSource,
  ruleName,
  scopeMismatches,
  staleNotExposed,
  undecidedOperations,
  type VendoredDescription,
} from '../fixtures/description-checks.js';

interface Expectations {
  /** Rules for methods the (older) description does not have yet, with why. */
  newerThanTheDescription?: Map<string, string>;
  /** Servers of the description no base of the definition reaches, with why. */
  unreached?: Map<string, string>;
  /** The description's old scope names → the definition's, with why (see SLACK below). */
  renamedScopes?: Map<string, string>;
  /**
   * `compare`: the description names OAuth scopes per operation and the rules name the same
   * provider scopes; `none`: the description names none; `own`: it names OAuth scopes, but the
   * definition connects with a pasted key whose scopes are Latchkey's own split of the API.
   */
  scopes: 'compare' | 'none' | 'own';
  /** The description is published on npm: read from the installed package instead of a vendored copy. */
  npm?: { package: string; file: string; scheme: string };
}

const PROVIDERS: Record<string, Expectations> = {
  // slackapi/slack-api-specs stopped at 2021-09 (the repository says its specs are artifacts of
  // Slack's own machine; none is newer), so it predates the two-step upload and names the
  // classic apps' chat:write:user / chat:write:bot, which granular-scope apps ask as chat:write
  // (https://docs.slack.dev/reference/scopes/chat.write).
  slack: {
    scopes: 'compare',
    newerThanTheDescription: new Map([
      ['POST /files.getUploadURLExternal', 'Slack added the two-step upload in 2023 (files.upload retired in 2025)'],
      ['POST /files.completeUploadExternal', 'Slack added the two-step upload in 2023 (files.upload retired in 2025)'],
    ]),
    renamedScopes: new Map([
      ['chat:write:user', 'chat:write'],
      ['chat:write:bot', 'chat:write'],
    ]),
  },
  asana: { scopes: 'compare' },
  // Discord's description names OAuth2 scopes for user tokens; the definition connects a bot token.
  'discord-bot': { scopes: 'own' },
  dropbox: {
    scopes: 'compare',
    unreached: new Map([
      [
        'https://content.dropboxapi.com',
        'Uploads and downloads go to the content host, which the definition does not reach yet',
      ],
      ['https://notify.dropboxapi.com', 'Long-polling for changes: not exposed until asked for'],
    ]),
  },
  // On npm as @figma/rest-api-spec; Figma's personal access tokens are created with the scopes its OAuth apps ask for.
  figma: {
    scopes: 'compare',
    npm: { package: '@figma/rest-api-spec', file: 'openapi/openapi.yaml', scheme: 'OAuth2' },
  },
  // The copy holds the v3 CRM families the definition opens (contacts, companies, deals,
  // tickets, owners): HubSpot publishes one description per family, hundreds in all.
  hubspot: { scopes: 'compare' },
  box: {
    scopes: 'none',
    unreached: new Map([
      ['https://upload.box.com/api/2.0', 'Uploads go to the upload host, which the definition does not reach yet'],
      ['https://dl.boxcloud.com/2.0', "Zip downloads' content host; creating a zip download is not exposed either"],
      ['https://account.box.com/api/oauth2', "The authorization page: the broker's own OAuth flow"],
    ]),
  },
  intercom: { scopes: 'none' },
  openai: { scopes: 'none' },
  sendgrid: { scopes: 'none' },
  // The copy puts Sentry's regional server (https://{region}.sentry.io) at sentry.io, the US region.
  sentry: { scopes: 'compare' },
  twilio: { scopes: 'none' },
};

const { catalog, problems } = loadCatalog({ extraDirs: [] });

const withRule = (definition: ProviderDefinition, index: number, scopes: string[]): ProviderDefinition => ({
  ...definition,
  api: {
    ...definition.api,
    rules: definition.api.rules.map((rule, i) => (i === index ? { ...rule, scopes } : rule)),
  },
});

test('the catalog loads', () => {
  assert.deepEqual(problems, []);
});

for (const [provider, expected] of Object.entries(PROVIDERS)) {
  const description = expected.npm
    ? readPackagedDescription(provider, expected.npm.package, expected.npm.file, {
        scopes: schemeScopes(expected.npm.scheme),
      })
    : readVendoredDescription(provider);
  const definition = catalog.require(provider);
  const { operations, unreached } = placeOperations(definition, description);
  const newer = expected.newerThanTheDescription ?? new Map<string, string>();
  const rename = (scope: string) => expected.renamedScopes?.get(scope) ?? scope;

  describe(`${definition.name} rules against ${describeSource(description)}`, () => {
    test('the description is pinned and has operations', () => {
      assert.equal(description.provider, provider);
      // A repository's commit, or the npm package's version that package-lock.json pins.
      if ('repo' in description.source) assert.match(description.source.commit, /^[0-9a-f]{40}$/);
      else assert.match(description.source.version, /^\d+\.\d+\.\d+$/);
      assert.ok(operations.length >= 40, `${operations.length} operations`);
      assert.ok((definition.api.not_exposed ?? []).length > 0);
    });

    test('operations on servers the definition does not reach are exactly the listed ones', () => {
      assert.deepEqual([...unreached.keys()].sort(), [...(expected.unreached?.keys() ?? [])].sort());
    });

    test('every rule matches at least one operation (no dead rules, no typos)', () => {
      assert.deepEqual(deadRules(definition, operations, new Set(newer.keys())), []);
      for (const name of newer.keys()) {
        assert.ok(
          definition.api.rules.some((rule) => ruleName(rule) === name),
          `${name} is still a rule`,
        );
        const rule = definition.api.rules.find((candidate) => ruleName(candidate) === name);
        assert.ok(
          rule && !operations.some((operation) => matchesOperation(rule, operation)),
          `${name} is still not in the description`,
        );
      }
    });

    test('every operation is opened by a rule or listed in api.not_exposed', () => {
      assert.deepEqual(
        undecidedOperations(catalog, definition, operations).map(operationName),
        [],
        'new operations: open them with a rule or add them to api.not_exposed with a reason',
      );
    });

    test('every not_exposed entry stands for an operation no rule opens (no stale entries)', () => {
      assert.deepEqual(staleNotExposed(catalog, definition, operations), []);
    });

    test('the walk notices operations nobody decided about', () => {
      // Each not_exposed entry taken away in turn leaves some operation undecided (else it is
      // stale, above); the first one is enough to show the check can fail.
      const [first, ...rest] = definition.api.not_exposed ?? [];
      assert.ok(first);
      const undecided = undecidedOperations(
        catalog,
        definition,
        operations,
        rest.map((entry) => ({ method: entry.method, path: entry.path, scopes: [] })),
      );
      assert.ok(undecided.length > 0);
      const entry = { method: first.method, path: first.path, scopes: [] };
      assert.ok(undecided.every((operation: Operation) => matchesOperation(entry, operation)));
    });

    if (expected.scopes === 'compare') {
      test('every scope a rule names for an operation is one the description lists for it', () => {
        const compared = definition.api.rules.filter((rule) =>
          operations.some((operation) => operation.scopes !== undefined && matchesOperation(rule, operation)),
        );
        assert.ok(compared.length >= definition.api.rules.length / 2, `${compared.length} rules compared`);
        assert.deepEqual(scopeMismatches(definition, operations, rename), []);
      });

      test('the scope comparison notices a wrong scope and a missing one', () => {
        const index = definition.api.rules.findIndex((rule) =>
          operations.some((operation) => (operation.scopes ?? []).length > 0 && matchesOperation(rule, operation)),
        );
        assert.ok(index >= 0);
        assert.ok(scopeMismatches(withRule(definition, index, ['no-such:scope']), operations, rename).length > 0);
        assert.ok(scopeMismatches(withRule(definition, index, []), operations, rename).length > 0);
      });
    } else if (expected.scopes === 'own') {
      test("the rules' scopes are Latchkey's own split of a pasted key, so the description's OAuth scopes do not apply", () => {
        assert.equal(definition.auth.type, 'api_key');
        assert.ok(description.operations.some((operation) => operation.scopes !== undefined));
      });
    } else {
      test('the description names no OAuth scopes per operation, so there are none to compare', () => {
        assert.deepEqual(
          description.operations.filter((operation) => operation.scopes !== undefined),
          [],
        );
      });
    }

    if (expected.renamedScopes) {
      test('each renamed scope is still named by the description', () => {
        const named = new Set(description.operations.flatMap((operation) => operation.scopes ?? []));
        for (const old of expected.renamedScopes?.keys() ?? []) assert.ok(named.has(old), old);
      });
    }
  });
}

describe('the shared walk (description-checks.ts)', () => {
  const vendored = (operations: VendoredDescription['operations']): VendoredDescription => ({
    provider: 'test',
    source: { repo: 'example/example', commit: '0'.repeat(40), files: ['openapi.json'], date: '2026-01-01' },
    server: 'https://www.googleapis.com',
    operations,
  });

  /** A definition on these bases (the shape of Google's, and of Asana's versioned base). */
  const onBases = (bases: Record<string, string>): ProviderDefinition => {
    const google = catalog.require('google');
    return { ...google, api: { ...google.api, base_url: undefined, bases } };
  };

  test('places operations on the base whose URL starts theirs, the longest first, at a segment boundary', () => {
    const google = onBases({
      default: 'https://www.googleapis.com',
      gmail: 'https://gmail.googleapis.com',
      sheets: 'https://sheets.googleapis.com',
    });
    const { operations, unreached } = placeOperations(
      google,
      vendored([
        { method: 'GET', server: 'https://gmail.googleapis.com', path: '/gmail/v1/users/{userId}/messages' },
        { method: 'GET', server: 'https://sheets.googleapis.com/v4', path: '/spreadsheets/{spreadsheetId}' },
        { method: 'GET', path: '/drive/v3/files' },
        { method: 'GET', server: 'https://gmail.googleapis.com.example', path: '/gmail/v1/users' },
      ]),
    );
    assert.deepEqual(operations.map(operationName), [
      'GET :gmail/gmail/v1/users/{userId}/messages',
      'GET :sheets/v4/spreadsheets/{spreadsheetId}',
      'GET /drive/v3/files',
    ]);
    assert.deepEqual([...unreached], [['https://gmail.googleapis.com.example', 1]]);
    // A base that ends in a version segment takes it off the template.
    const asana = placeOperations(onBases({ default: 'https://app.asana.com/api/1.0' }), {
      ...vendored([{ method: 'GET', path: '/tasks/{task_gid}' }]),
      server: 'https://app.asana.com/api/1.0',
    });
    assert.deepEqual(asana.operations.map(operationName), ['GET /tasks/{task_gid}']);
  });

  test('a rule matches an operation when some call fits both', () => {
    const operation = (method: string, template: string): Operation => ({ method, base: 'default', template });
    const rule = (method: string, path: string): EndpointRule => ({ method, path, scopes: [] });
    const fits: [EndpointRule, Operation, boolean][] = [
      [rule('GET', '/users/me'), operation('GET', '/users/{user_gid}'), true],
      [rule('GET', '/users/*'), operation('GET', '/users/{user_gid}'), true],
      [rule('GET', '/users/*'), operation('GET', '/users/{user_gid}/teams'), false],
      [rule('GET', '/users/**'), operation('GET', '/users'), true],
      [rule('POST', '/users/*'), operation('GET', '/users/{user_gid}'), false],
      [rule('GET', '/Accounts/*/Messages/*'), operation('GET', '/Accounts/{AccountSid}/Messages/{Sid}.json'), true],
      [rule('GET', '/Accounts/*/Messages.json'), operation('GET', '/Accounts/{AccountSid}/Messages/{Sid}.json'), false],
      [rule('*', '/admin.*'), operation('POST', '/admin.apps.approve'), true],
      [rule('*', '/admin.*'), operation('POST', '/admin.'), false],
      [rule('GET', '/files/*'), operation('HEAD', '/files/{id}'), true],
      [{ ...rule('GET', '/users/*'), base: 'gmail' }, operation('GET', '/users/{id}'), false],
    ];
    for (const [candidate, described, expected] of fits)
      assert.equal(
        matchesOperation(candidate, described),
        expected,
        `${ruleName(candidate)} on ${operationName(described)}`,
      );
  });
});
