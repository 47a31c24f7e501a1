/**
 * Multi-host APIs (`api.bases`, rules naming their base) and per-account hosts
 * (`api.variables`): what the validator refuses, which values a person may fill in, and
 * the URLs they make.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkVariables, resolveBases, variableValueProblem } from '../../main/core/catalog/bases.js';
import { Catalog } from '../../main/core/catalog/catalog.js';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { providerDefinitionProblems, validateProviderDefinition } from '../../main/core/catalog/validate-definition.js';
import type { ProviderDefinition } from '../../main/core/catalog/types.js';
import { isLatchkeyError } from '../../main/core/errors.js';

const keyProvider = (api: Record<string, unknown>) => ({
  id: 'acme',
  name: 'Acme',
  auth: { type: 'api_key', header: 'Authorization', format: 'Bearer {key}', scopes: { read: 'Read', write: 'Write' } },
  api,
});

const subdomainApi = {
  base_url: 'https://{subdomain}.zendesk.example',
  variables: { subdomain: { kind: 'label', description: 'acme in acme.zendesk.example' } },
  rules: [{ method: 'GET', path: '/api/**', scopes: ['read'] }],
};

const problemsAt = (api: Record<string, unknown>) => providerDefinitionProblems(keyProvider(api));

describe('api.bases in definitions', () => {
  test('several bases with rules naming theirs are accepted, and each base has its own rules', () => {
    const definition = validateProviderDefinition(
      keyProvider({
        bases: {
          default: 'https://api.acme.example',
          sheets: 'https://sheets.acme.example',
          local: 'http://127.0.0.1:9',
        },
        rules: [
          { method: 'GET', path: '/files/**', scopes: ['read'] },
          { method: 'GET', path: '/files/**', scopes: ['write'], base: 'sheets' },
        ],
      }),
    );
    const catalog = new Catalog([], [definition]);
    assert.deepEqual(
      catalog
        .matcher('acme')('GET', '/files/1')
        .map((r) => r.scopes),
      [['read']],
    );
    assert.deepEqual(
      catalog
        .matcher('acme', 'sheets')('GET', '/files/1')
        .map((r) => r.scopes),
      [['write']],
    );
    assert.deepEqual(catalog.matcher('acme', 'local')('GET', '/files/1'), [], 'a base without rules is closed');
  });

  test('a rule naming a base the definition does not have is refused, naming the bases there are', () => {
    const problems = problemsAt({
      bases: { default: 'https://a.example', gmail: 'https://b.example' },
      rules: [{ method: 'GET', path: '/x', scopes: [], base: 'sheets' }],
    });
    assert.deepEqual(problems, [
      { path: '/api/rules/0/base', message: 'unknown base "sheets": not named in /api/bases (named: default, gmail)' },
    ]);
    const single = problemsAt({
      base_url: 'https://a.example',
      rules: [{ method: 'GET', path: '/x', scopes: [], base: 'gmail' }],
    });
    assert.deepEqual(
      single.map((p) => p.path),
      ['/api/rules/0/base'],
      'with one base_url only "default" exists',
    );
  });

  test('bases need a default, exclude base_url, and each is https (plain http only on loopback)', () => {
    assert.deepEqual(
      problemsAt({ bases: { gmail: 'https://b.example' }, rules: [] }).map((p) => p.path),
      ['/api/bases'],
    );
    assert.deepEqual(
      problemsAt({ base_url: 'https://a.example', bases: { default: 'https://b.example' }, rules: [] }).map(
        (p) => p.path,
      ),
      ['/api/bases'],
    );
    assert.deepEqual(problemsAt({ rules: [] }), [
      { path: '/api/base_url', message: 'is required (or /api/bases for an API on several hosts)' },
    ]);
    const http = problemsAt({ bases: { default: 'https://a.example', files: 'http://files.example' }, rules: [] });
    assert.equal(http.length, 1);
    assert.equal(http[0]!.path, '/api/bases/files');
    assert.match(http[0]!.message, /must use https:/);
    assert.deepEqual(
      problemsAt({ bases: { default: 'https://a.example', files: 'https://files.example/v1?x=1' }, rules: [] }).map(
        (p) => p.path,
      ),
      ['/api/bases/files'],
    );
    assert.deepEqual(
      problemsAt({
        bases: { default: 'https://a.example', Sheets: 'https://b.example', 'a:b': 'https://c.example' },
        rules: [],
      }).map((p) => p.path),
      ['/api/bases/Sheets', '/api/bases/a:b'],
    );
  });

  test('a full-access rule is only compared with the rules of its own base', () => {
    const rules = [
      { method: 'POST', path: '/graphql', scopes: [], requires: 'all_connection_scopes' },
      { method: 'POST', path: '/**', scopes: ['write'], base: 'files' },
    ];
    assert.deepEqual(problemsAt({ bases: { default: 'https://a.example', files: 'https://b.example' }, rules }), []);
    const sameBase = problemsAt({
      bases: { default: 'https://a.example', files: 'https://b.example' },
      rules: [rules[0], { ...rules[1], base: 'default' }],
    });
    assert.deepEqual(
      sameBase.map((p) => p.path),
      ['/api/rules/1'],
    );
  });
});

describe('api.variables in definitions', () => {
  test('a label variable as the first label before a fixed domain is accepted', () => {
    assert.deepEqual(problemsAt(subdomainApi), []);
    assert.deepEqual(
      problemsAt({ ...subdomainApi, base_url: 'http://{subdomain}.localhost:8080/api' }),
      [],
      'loopback names may be plain http (tests, local servers)',
    );
  });

  test('variables outside the host, undeclared, unused, or not where their kind says are refused', () => {
    const at = (base_url: string, variables: unknown = subdomainApi.variables) =>
      problemsAt({ ...subdomainApi, base_url, variables }).map((p) => `${p.path}: ${p.message}`);
    assert.match(
      at('https://zendesk.example/{subdomain}').join(),
      /\/api\/base_url: "\{subdomain\}" must be in the host/,
    );
    assert.match(at('https://zendesk.example:{subdomain}/').join(), /must be in the host/);
    assert.match(at('https://{tenant}.zendesk.example').join(), /"\{tenant\}" is not declared in \/api\/variables/);
    assert.match(
      at('https://{tenant}.zendesk.example').join(),
      /\/api\/variables\/subdomain: variable "subdomain" is used in no base or OAuth URL/,
    );
    assert.match(
      at('https://eu.{subdomain}.zendesk.example').join(),
      /a "label" variable is the host's first label before a fixed domain/,
    );
    assert.match(
      at('https://{subdomain}').join(),
      /a "label" variable is the host's first label before a fixed domain/,
    );
    assert.match(at('https://{subdomain}-x.zendesk.example').join(), /first label/);
    assert.match(at('https://{subdomain}.{subdomain}.example').join(), /takes at most one/);
    assert.match(at('http://{subdomain}.zendesk.example').join(), /must use https:/);
    assert.match(
      at('https://{host}.example', { host: { kind: 'hostname', description: 'x' } }).join(),
      /a "hostname" variable is the whole host/,
    );
    assert.deepEqual(
      at('https://{host}/api/v4', { host: { kind: 'hostname', description: 'x', default: 'gitlab.com' } }),
      [],
    );
    assert.match(
      at('https://{host}/api/v4', { host: { kind: 'hostname', description: 'x', default: '10.0.0.1' } }).join(),
      /\/api\/variables\/host\/default: "10.0.0.1" is an IP address/,
    );
    assert.match(
      at('https://{subdomain}.zendesk.example', { subdomain: { kind: 'url', description: 'x' } }).join(),
      /\/api\/variables\/subdomain\/kind: must be one of "label", "hostname"/,
    );
  });

  test('template variables outside base and OAuth endpoint URLs (help links) are refused, not taken as a literal host', () => {
    const definition = keyProvider(subdomainApi);
    const problems = providerDefinitionProblems({
      ...definition,
      auth: { ...definition.auth, help_url: 'https://{subdomain}.zendesk.example/help' },
    });
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/auth/help_url'],
    );
    assert.match(
      problems[0]!.message,
      /template variables go only in the host of \/api\/base_url, \/api\/bases or the \/auth endpoint URLs/,
    );
  });
});

describe('variable values', () => {
  const provider = validateProviderDefinition(keyProvider(subdomainApi));
  const refusal = (value: string) => {
    try {
      checkVariables(provider, { subdomain: value });
    } catch (error) {
      assert.ok(isLatchkeyError(error));
      assert.equal(error.code, 'invalid_variable');
      assert.equal(error.status, 400);
      assert.equal(error.details?.variable, 'subdomain');
      assert.match(error.message, /Allowed: one DNS label/);
      return error.message;
    }
    assert.fail(`"${value}" was accepted`);
  };

  test('a DNS label is accepted and makes the base URL', () => {
    assert.deepEqual(checkVariables(provider, { subdomain: 'acme-support2' }), { subdomain: 'acme-support2' });
    assert.deepEqual(resolveBases(provider, { subdomain: 'acme' }), { default: 'https://acme.zendesk.example' });
    assert.equal(variableValueProblem('label', 'a'.repeat(63)), undefined);
  });

  test('URLs, user info, IP literals, ports, paths, upper case, empty and over-long labels are refused', () => {
    for (const value of [
      'evil.com/',
      'a.b@c',
      'evil.com',
      '127.0.0.1',
      '[::1]',
      '::1',
      'ACME',
      'Acme',
      'acme:443',
      '',
      'a'.repeat(64),
      '-acme',
      'acme-',
      'ac_me',
      'acme/..',
      'acme#',
      'acme?x',
      'https://acme',
      'acme%2e',
      ' acme',
      'acme\n',
      'ácme',
    ]) {
      refusal(value);
    }
    assert.match(refusal(''), /"subdomain" is empty/);
  });

  test('missing and unknown variables are refused with what the provider takes', () => {
    assert.throws(
      () => checkVariables(provider, {}),
      (error: unknown) =>
        isLatchkeyError(error) &&
        error.code === 'invalid_variable' &&
        /needs "subdomain": acme in acme.zendesk.example/.test(error.message),
    );
    assert.throws(
      () => checkVariables(provider, { subdomain: 'acme', host: 'x' }),
      (error: unknown) =>
        isLatchkeyError(error) &&
        error.code === 'invalid_variable' &&
        /no variable "host" \(it takes: subdomain\)/.test(error.message),
    );
    const plain = validateProviderDefinition(keyProvider({ base_url: 'https://a.example', rules: [] }));
    assert.deepEqual(checkVariables(plain, undefined), {});
    assert.throws(() => checkVariables(plain, { subdomain: 'acme' }), /it takes none/);
  });

  test('a host name variable takes dotted labels, never an IP address in any spelling, and has its default', () => {
    const selfHosted = validateProviderDefinition(
      keyProvider({
        base_url: 'https://{host}/api/v4',
        variables: { host: { kind: 'hostname', description: 'gitlab.com or your own', default: 'gitlab.com' } },
        rules: [],
      }),
    );
    assert.deepEqual(resolveBases(selfHosted, checkVariables(selfHosted, undefined)), {
      default: 'https://gitlab.com/api/v4',
    });
    assert.deepEqual(resolveBases(selfHosted, checkVariables(selfHosted, { host: 'git.corp.example' })), {
      default: 'https://git.corp.example/api/v4',
    });
    for (const value of [
      '10.0.0.1',
      '127.1',
      '0x7f000001',
      '2130706433',
      'git.corp.example:8443',
      'user@git.corp.example',
      'git..corp',
      '.corp',
      'corp.',
      'git.corp.example/x',
      `${`${'a'.repeat(60)}.`.repeat(5)}example`,
    ]) {
      assert.throws(
        () => checkVariables(selfHosted, { host: value }),
        (error: unknown) => isLatchkeyError(error) && error.code === 'invalid_variable',
        value,
      );
    }
  });

  test('stored values that no longer pass are refused when the URL is made, not dialled', () => {
    assert.throws(
      () => resolveBases(provider, { subdomain: 'evil.com/' }),
      (error: unknown) => isLatchkeyError(error) && error.code === 'invalid_variable',
    );
    assert.throws(() => resolveBases(provider, {}), /is not set on this connection/);
  });
});

describe('built-in multi-host and per-account providers', () => {
  const { catalog, problems } = loadCatalog({ extraDirs: [] });
  test('load without problems', () => assert.deepEqual(problems, []));

  test('Google: Calendar and Drive on www.googleapis.com, Gmail, Sheets and Docs on their own hosts', () => {
    const google = catalog.require('google') as ProviderDefinition;
    assert.deepEqual(resolveBases(google, {}), {
      default: 'https://www.googleapis.com',
      gmail: 'https://gmail.googleapis.com',
      sheets: 'https://sheets.googleapis.com',
      docs: 'https://docs.googleapis.com',
    });
    const scopesOf = (base: string, method: string, path: string) =>
      catalog
        .matcher('google', base)(method, path)
        .flatMap((r) => r.scopes);
    assert.ok(
      scopesOf('sheets', 'GET', '/v4/spreadsheets/ID/values/A1:B2').includes(
        'https://www.googleapis.com/auth/spreadsheets.readonly',
      ),
    );
    assert.ok(
      !scopesOf('sheets', 'PUT', '/v4/spreadsheets/ID/values/A1').includes(
        'https://www.googleapis.com/auth/spreadsheets.readonly',
      ),
    );
    assert.ok(
      scopesOf('gmail', 'GET', '/gmail/v1/users/me/messages').includes(
        'https://www.googleapis.com/auth/gmail.readonly',
      ),
    );
    assert.ok(
      scopesOf('default', 'GET', '/calendar/v3/users/me/calendarList').includes(
        'https://www.googleapis.com/auth/calendar.readonly',
      ),
    );
    assert.deepEqual(
      scopesOf('default', 'GET', '/v4/spreadsheets/ID'),
      [],
      'Sheets rules do not open www.googleapis.com',
    );
  });

  test('Zendesk and Shopify ask for their subdomain and shop, and stay on their domains', () => {
    const zendesk = catalog.require('zendesk');
    assert.deepEqual(resolveBases(zendesk, checkVariables(zendesk, { subdomain: 'acme' })), {
      default: 'https://acme.zendesk.com',
    });
    const shopify = catalog.require('shopify');
    assert.match(
      resolveBases(shopify, checkVariables(shopify, { shop: 'acme' })).default as string,
      /^https:\/\/acme\.myshopify\.com\/admin\/api\/\d{4}-\d{2}$/,
    );
    assert.throws(() => checkVariables(zendesk, { subdomain: 'evil.com/' }), /invalid|Allowed/);
  });
});
