import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import ts from 'typescript';
import { builtinProvidersDir, loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { Catalog } from '../../main/core/catalog/catalog.js';
import { formatCatalogProblem } from '../../main/core/catalog/catalog-problem.js';
import { providerDefinitionSchema } from '../../main/core/catalog/definition-schema.js';
import { validateProviderDefinition } from '../../main/core/catalog/validate-definition.js';
import type { OAuth2Auth, ProviderDefinition } from '../../main/core/catalog/types.js';
import { isLatchkeyError, type LatchkeyError } from '../../main/core/errors.js';
import { defaultDataDir, packageRoot } from '../../main/core/paths.js';

const OAUTH_IDS = [
  'slack',
  'github',
  'google',
  'notion',
  'linear',
  'atlassian',
  'microsoft',
  'dropbox',
  'gitlab',
  'gitlab-self-managed',
  'hubspot',
  'spotify',
  'asana',
  'monday',
  'zoom',
  'box',
  'x',
  'reddit',
  'strava',
  'salesforce',
  'airtable',
];
const KEY_IDS = [
  'stripe',
  'discord-bot',
  'openai',
  'zendesk',
  'shopify',
  'clickup',
  'figma',
  'intercom',
  'todoist',
  'sentry',
  'vercel',
  'cloudflare',
  'anthropic',
  'sendgrid',
  'calendly',
  'twilio',
  'trello',
  'mailchimp',
];

const temps: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'latchkey-catalog-'));
  temps.push(dir);
  return dir;
}
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Runs `fn`, which must throw a LatchkeyError, and returns it. */
function latchkeyError(fn: () => unknown): LatchkeyError {
  try {
    fn();
  } catch (error) {
    assert.ok(isLatchkeyError(error), `expected a LatchkeyError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected an error');
}

type Problem = { path: string; message: string };
const problemsOf = (error: LatchkeyError) => error.details.problems as Problem[];

/** A small valid definition that each malformed case breaks in one place. */
function sample(): Record<string, any> {
  return {
    id: 'acme',
    name: 'Acme',
    auth: {
      type: 'oauth2',
      authorization_url: 'https://auth.acme.example/authorize',
      token_url: 'https://auth.acme.example/token',
      pkce: true,
      client_auth: 'none',
      client_secret: 'none',
      scopes: { 'items:read': 'Read items', 'items:write': 'Write items' },
      default_scopes: ['items:read'],
      redirect: { host: '127.0.0.1', any_port: true },
    },
    api: {
      base_url: 'https://api.acme.example/v1',
      rules: [
        { method: 'GET', path: '/items/**', scopes: ['items:read', 'items:write'] },
        { method: 'POST', path: '/items', scopes: ['items:write'] },
        { method: '*', path: '/ping', scopes: [] },
        { method: 'DELETE', path: '/items/*', scopes: ['items:write'] },
      ],
    },
  };
}

function withChange(change: (d: Record<string, any>) => void): Record<string, any> {
  const definition = sample();
  change(definition);
  return definition;
}

describe('built-in providers', () => {
  const { catalog, problems } = loadCatalog({ extraDirs: [] });

  test('all load without problems and the expected set is present', () => {
    assert.deepEqual(problems, []);
    assert.deepEqual(
      catalog
        .list()
        .map((p) => p.id)
        .sort(),
      [...OAUTH_IDS, ...KEY_IDS].sort(),
    );
    for (const id of [...OAUTH_IDS, ...KEY_IDS]) assert.equal(catalog.isBuiltin(id), true, id);
  });

  test('every file in the providers folder validates and is named after its id', () => {
    const files = readdirSync(builtinProvidersDir()).filter((name) => name.endsWith('.json'));
    assert.equal(files.length, OAUTH_IDS.length + KEY_IDS.length);
    for (const file of files) {
      const definition = validateProviderDefinition(
        JSON.parse(readFileSync(join(builtinProvidersDir(), file), 'utf8')),
      );
      assert.equal(`${definition.id}.json`, file);
    }
  });

  test('each OAuth built-in has scopes, default scopes, rules and https URLs', () => {
    for (const id of OAUTH_IDS) {
      const provider = catalog.require(id);
      assert.equal(provider.auth.type, 'oauth2', id);
      const auth = provider.auth as OAuth2Auth;
      // Box's OAuth has only two content scopes (read-only and read-write); the others have more.
      assert.ok(Object.keys(auth.scopes).length >= (id === 'box' ? 2 : 5), `${id}: scopes`);
      assert.ok(auth.default_scopes.length > 0, `${id}: default scopes`);
      for (const scope of auth.default_scopes) assert.ok(scope in auth.scopes, `${id}: default scope ${scope}`);
      assert.ok(provider.api.rules.length > 0, `${id}: rules`);
      const urls = [
        auth.authorization_url,
        auth.token_url,
        auth.revocation_url,
        auth.device_authorization_url,
        auth.issuer,
        auth.identity?.url,
        provider.api.base_url,
        provider.docs_url,
      ];
      for (const url of urls) if (url !== undefined) assert.equal(new URL(url).protocol, 'https:', `${id}: ${url}`);
      if (auth.client_secret === 'required') assert.notEqual(auth.client_auth, 'none', id);
    }
  });

  test('key-based built-ins carry their header templates', () => {
    const expected: Record<string, [string, string]> = {
      stripe: ['Authorization', 'Bearer {key}'],
      'discord-bot': ['Authorization', 'Bot {key}'],
      openai: ['Authorization', 'Bearer {key}'],
    };
    for (const [id, [header, format]] of Object.entries(expected)) {
      const auth = catalog.require(id).auth;
      assert.equal(auth.type, 'api_key');
      if (auth.type !== 'api_key') continue;
      assert.equal(auth.header, header);
      assert.equal(auth.format, format);
    }
    const stripe = catalog.require('stripe');
    assert.deepEqual(Object.keys((stripe.auth as { scopes: object }).scopes), ['read', 'write']);
    assert.deepEqual(
      catalog
        .matcher('stripe')('DELETE', '/v1/customers/cus_1')
        .map((r) => r.scopes),
      [['write']],
    );
    assert.equal(catalog.require('openai').api.base_url_env, 'OPENAI_BASE_URL');
  });

  test('provider quirks are declared with the named options', () => {
    const auth = (id: string) => catalog.require(id).auth as OAuth2Auth;
    assert.deepEqual(auth('github').token_response, { errors_with_200: true, form_encoded: true });
    assert.equal(auth('github').client_secret, 'required');
    assert.deepEqual(auth('github').identity, { url: 'https://api.github.com/user', account: ['login'] });
    assert.equal(auth('slack').scope_param, 'user_scope');
    assert.equal(auth('slack').scope_separator, ',');
    assert.equal(auth('slack').token_response?.nested_token, 'authed_user');
    assert.equal(auth('notion').client_auth, 'client_secret_basic');
    assert.equal(auth('notion').token_request?.body, 'json');
    assert.equal(catalog.require('notion').api.headers?.['Notion-Version'], '2022-06-28');
    assert.deepEqual(auth('atlassian').authorization_params, { audience: 'api.atlassian.com', prompt: 'consent' });
    assert.deepEqual(auth('google').authorization_params, { access_type: 'offline', prompt: 'consent' });
    assert.equal(auth('google').issuer, 'https://accounts.google.com');
    assert.equal(auth('dropbox').authorization_params?.token_access_type, 'offline');
    assert.ok(auth('microsoft').default_scopes.includes('offline_access'));
    assert.deepEqual(auth('microsoft').redirect, { host: 'localhost', any_port: true });
    assert.equal(auth('gitlab').personal_token?.header, 'PRIVATE-TOKEN');
    assert.equal(auth('linear').personal_token?.format, '{key}');
  });

  test('definitions handed out are frozen', () => {
    const github = catalog.require('github');
    assert.ok(Object.isFrozen(github) && Object.isFrozen(github.api.rules[0]));
    assert.throws(() => {
      (github as { name: string }).name = 'changed';
    }, TypeError);
  });
});

describe('validateProviderDefinition', () => {
  test('the sample definition and a loopback http provider are valid', () => {
    assert.equal(validateProviderDefinition(sample()).id, 'acme');
    const local = withChange((d) => {
      d.auth.token_url = 'http://127.0.0.1:9/x';
      d.auth.authorization_url = 'http://localhost:8080/auth';
      d.auth.issuer = 'http://[::1]:4000';
      d.api.base_url = 'http://127.5.6.7/api';
    });
    assert.equal(validateProviderDefinition(local).auth.type, 'oauth2');
  });

  const cases: Array<{ name: string; change: (d: Record<string, any>) => void; path: string; message: RegExp }> = [
    {
      name: 'missing token_url',
      change: (d) => delete d.auth.token_url,
      path: '/auth/token_url',
      message: /is required/,
    },
    { name: 'missing api', change: (d) => delete d.api, path: '/api', message: /is required/ },
    {
      name: 'http on a non-loopback host',
      change: (d) => (d.auth.token_url = 'http://auth.acme.example/token'),
      path: '/auth/token_url',
      message: /"http:\/\/auth\.acme\.example\/token" must use https:/,
    },
    {
      name: 'not a URL',
      change: (d) => (d.api.base_url = 'api.acme.example'),
      path: '/api/base_url',
      message: /"api\.acme\.example" is not an absolute URL/,
    },
    {
      name: 'another scheme',
      change: (d) => (d.auth.revocation_url = 'ftp://acme.example/r'),
      path: '/auth/revocation_url',
      message: /must use https: \(got ftp\)/,
    },
    {
      name: 'credentials in a URL',
      change: (d) => (d.api.base_url = 'https://u:p@api.acme.example'),
      path: '/api/base_url',
      message: /user name or password/,
    },
    {
      name: 'unknown default scope',
      change: (d) => d.auth.default_scopes.push('items:delete'),
      path: '/auth/default_scopes/1',
      message: /unknown scope "items:delete".*declared: items:read, items:write/,
    },
    {
      name: 'unknown rule scope',
      change: (d) => (d.api.rules[3].scopes = ['admin']),
      path: '/api/rules/3/scopes/0',
      message: /unknown scope "admin"/,
    },
    {
      name: 'lower-case rule method',
      change: (d) => (d.api.rules[3].method = 'delete'),
      path: '/api/rules/3/method',
      message: /must be upper case: "DELETE", not "delete"/,
    },
    {
      name: 'not a method',
      change: (d) => (d.api.rules[0].method = 'FETCH'),
      path: '/api/rules/0/method',
      message: /"FETCH" is not an HTTP method/,
    },
    {
      name: 'bad glob segment',
      change: (d) => (d.api.rules[1].path = '/a/**b'),
      path: '/api/rules/1/path',
      message: /segment "\*\*b" of "\/a\/\*\*b"/,
    },
    {
      name: 'wildcard inside a segment',
      change: (d) => (d.api.rules[1].path = '/items/x*y'),
      path: '/api/rules/1/path',
      message: /segment "x\*y".*"prefix\*"/,
    },
    {
      name: 'wildcard before a suffix',
      change: (d) => (d.api.rules[1].path = '/items/*x'),
      path: '/api/rules/1/path',
      message: /segment "\*x"/,
    },
    {
      name: 'relative rule path',
      change: (d) => (d.api.rules[1].path = 'items'),
      path: '/api/rules/1/path',
      message: /"items" must start with "\/"/,
    },
    {
      name: 'empty rule segment',
      change: (d) => (d.api.rules[1].path = '/a//b'),
      path: '/api/rules/1/path',
      message: /empty segment/,
    },
    {
      name: 'query in rule path',
      change: (d) => (d.api.rules[1].path = '/a?b=1'),
      path: '/api/rules/1/path',
      message: /query string/,
    },
    {
      name: 'unknown extra property',
      change: (d) => (d.auth.colour = 'blue'),
      path: '/auth/colour',
      message: /unknown property "colour"/,
    },
    {
      name: 'unknown property in a rule',
      change: (d) => (d.api.rules[2].note = 'x'),
      path: '/api/rules/2/note',
      message: /unknown property "note"/,
    },
    {
      name: 'client_auth none with a required secret',
      change: (d) => (d.auth.client_secret = 'required'),
      path: '/auth/client_auth',
      message: /"none".*client_secret is "required"/,
    },
    { name: 'bad id', change: (d) => (d.id = 'Acme_1'), path: '/id', message: /lower-case.*got "Acme_1"/ },
    { name: 'id too long', change: (d) => (d.id = `a${'b'.repeat(63)}`), path: '/id', message: /1–63/ },
    {
      name: 'unknown auth type',
      change: (d) => (d.auth.type = 'saml'),
      path: '/auth/type',
      message: /must be "oauth2" or "api_key" \(got "saml"\)/,
    },
    {
      name: 'wrong type',
      change: (d) => (d.auth.pkce = 'yes'),
      path: '/auth/pkce',
      message: /must be a boolean \(got a string\)/,
    },
    {
      name: 'bad enum',
      change: (d) => (d.auth.redirect.host = '0.0.0.0'),
      path: '/auth/redirect/host',
      message: /must be one of "127\.0\.0\.1", "localhost", "\[::1\]" \(got "0\.0\.0\.0"\)/,
    },
    {
      name: 'duplicate default scope',
      change: (d) => d.auth.default_scopes.push('items:read'),
      path: '/auth/default_scopes/1',
      message: /"items:read" is listed twice/,
    },
    {
      name: 'scope name with a space',
      change: (d) => (d.auth.scopes['bad scope'] = 'x'),
      path: '/auth/scopes/bad scope',
      message: /not a valid scope name/,
    },
    {
      name: 'personal token template without {key}',
      change: (d) => (d.auth.personal_token = { header: 'Authorization', format: 'Bearer' }),
      path: '/auth/personal_token/format',
      message: /must contain "\{key\}"/,
    },
    {
      name: 'header line break',
      change: (d) => (d.api.headers = { 'X-Version': 'a\r\nInjected: 1' }),
      path: '/api/headers/X-Version',
      message: /control character/,
    },
    {
      name: 'credential header in api.headers',
      change: (d) => (d.api.headers = { authorization: 'x' }),
      path: '/api/headers/authorization',
      message: /cannot be set here/,
    },
  ];

  for (const { name, change, path, message } of cases) {
    test(`rejects: ${name}`, () => {
      const error = latchkeyError(() => validateProviderDefinition(withChange(change)));
      assert.equal(error.code, 'invalid_provider');
      assert.equal(error.status, 400);
      const problems = problemsOf(error);
      const found = problems.find((p) => p.path === path);
      assert.ok(found, `no problem at ${path}: ${JSON.stringify(problems)}`);
      assert.match(found.message, message);
      assert.equal(problems.length, 1, `exactly one problem: ${JSON.stringify(problems)}`);
      assert.ok(error.message.includes(path), 'the summary names the path');
    });
  }

  test('api_key providers: {key} required in format, rule scopes must be the declared broker scopes', () => {
    const key = (auth: object, rules: object[]) => ({
      id: 'k',
      name: 'K',
      auth: { type: 'api_key', header: 'X-Api-Key', format: '{key}', ...auth },
      api: { base_url: 'https://k.example', rules },
    });
    assert.equal(
      validateProviderDefinition(key({ scopes: { read: 'Read' } }, [{ method: 'GET', path: '/**', scopes: ['read'] }]))
        .id,
      'k',
    );
    let problems = problemsOf(latchkeyError(() => validateProviderDefinition(key({ format: 'Token' }, []))));
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/auth/format'],
    );
    problems = problemsOf(
      latchkeyError(() => validateProviderDefinition(key({}, [{ method: 'GET', path: '/x', scopes: ['read'] }]))),
    );
    assert.deepEqual(problems, [
      { path: '/api/rules/0/scopes/0', message: 'unknown scope "read": not declared in /auth/scopes (declared: none)' },
    ]);
    problems = problemsOf(
      latchkeyError(() => validateProviderDefinition(key({ scopes: { read: 'Read' }, token_url: 'https://x' }, []))),
    );
    assert.equal(problems[0]?.path, '/auth/token_url');
    assert.match(problems[0]!.message, /unknown property "token_url"/);
  });

  test('several problems are reported together, and non-objects are rejected', () => {
    const problems = problemsOf(
      latchkeyError(() =>
        validateProviderDefinition(
          withChange((d) => {
            d.id = 'X';
            delete d.auth.token_url;
            d.api.rules[0].method = 'get';
          }),
        ),
      ),
    );
    assert.deepEqual(problems.map((p) => p.path).sort(), ['/api/rules/0/method', '/auth/token_url', '/id']);
    assert.deepEqual(problemsOf(latchkeyError(() => validateProviderDefinition(null))), [
      { path: '', message: 'must be an object (got null)' },
    ]);
    assert.equal(problemsOf(latchkeyError(() => validateProviderDefinition([]))).length, 1);
  });

  test('the exported schema is a closed draft-07 JSON Schema', () => {
    assert.equal(providerDefinitionSchema.$schema, 'http://json-schema.org/draft-07/schema#');
    assert.equal(providerDefinitionSchema.additionalProperties, false);
    assert.equal(providerDefinitionSchema.properties.api.additionalProperties, false);
  });
});

describe('loadCatalog with extra folders', () => {
  test('good files load; invalid JSON, invalid definitions and shadowed built-ins become problems', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'acme.json'), JSON.stringify(sample(), null, 2));
    writeFileSync(join(dir, 'broken.json'), '{\n  "id": "broken",\n  "name": \n}\n');
    writeFileSync(
      join(dir, 'invalid.json'),
      JSON.stringify(
        withChange((d) => {
          d.id = 'invalid';
          delete d.auth.token_url;
        }),
      ),
    );
    writeFileSync(join(dir, 'github.json'), JSON.stringify(withChange((d) => (d.id = 'github'))));
    writeFileSync(join(dir, 'notes.txt'), 'not a definition');

    const { catalog, problems } = loadCatalog({ extraDirs: [join(dir, 'missing'), dir] });
    assert.equal(catalog.get('acme')?.name, 'Acme');
    assert.equal(catalog.isBuiltin('acme'), false);
    assert.equal(catalog.get('invalid'), undefined);
    assert.equal(catalog.get('broken'), undefined);
    assert.equal(catalog.require('github').name, 'GitHub', 'the built-in stays');
    assert.equal(catalog.list().length, OAUTH_IDS.length + KEY_IDS.length + 1);

    assert.equal(problems.length, 3, JSON.stringify(problems));
    const byFile = Object.fromEntries(problems.map((p) => [p.file, p]));
    const broken = byFile[join(dir, 'broken.json')];
    assert.ok(broken);
    assert.equal(broken.path, '');
    assert.match(broken.message, /^invalid JSON at line 4, column 1/);
    assert.deepEqual(byFile[join(dir, 'invalid.json')], {
      file: join(dir, 'invalid.json'),
      path: '/auth/token_url',
      message: 'is required',
    });
    const shadow = byFile[join(dir, 'github.json')];
    assert.equal(shadow?.path, '/id');
    assert.match(shadow!.message, /"github" is a built-in provider/);

    assert.equal(
      formatCatalogProblem(byFile[join(dir, 'invalid.json')]!),
      `${join(dir, 'invalid.json')}: /auth/token_url: is required`,
    );
    assert.match(formatCatalogProblem(broken), /broken\.json: invalid JSON at line 4/);
  });

  test('a later custom file replaces an earlier custom one', () => {
    const first = tempDir();
    const second = tempDir();
    writeFileSync(join(first, 'acme.json'), JSON.stringify(sample()));
    writeFileSync(join(second, 'acme.json'), JSON.stringify(withChange((d) => (d.name = 'Acme 2'))));
    const { catalog, problems } = loadCatalog({ extraDirs: [first, second] });
    assert.deepEqual(problems, []);
    assert.equal(catalog.require('acme').name, 'Acme 2');
  });

  test('a missing built-in folder is reported, not thrown', () => {
    const { catalog, problems } = loadCatalog({ builtinDir: join(tempDir(), 'nope'), extraDirs: [] });
    assert.equal(catalog.list().length, 0);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /missing/);
  });
});

describe('Catalog', () => {
  test('require() of an unknown id: unknown_provider, 404, with the available ids', () => {
    const { catalog } = loadCatalog({ extraDirs: [] });
    const error = latchkeyError(() => catalog.require('nope'));
    assert.equal(error.code, 'unknown_provider');
    assert.equal(error.status, 404);
    assert.ok((error.details.available as string[]).includes('github'));
    assert.match(error.message, /"nope"/);
    assert.equal(catalog.get('nope'), undefined);
    assert.throws(
      () => catalog.matcher('nope'),
      (e: unknown) => isLatchkeyError(e) && e.code === 'unknown_provider',
    );
  });

  test('addCustom validates, persists atomically with mode 0600, and a fresh loadCatalog sees it', async () => {
    const dataDir = tempDir();
    const { catalog } = loadCatalog({ extraDirs: [join(dataDir, 'providers')] });
    const added = await catalog.addCustom(sample(), dataDir);
    assert.equal(added.id, 'acme');
    assert.equal(catalog.require('acme').name, 'Acme');
    assert.equal(catalog.matcher('acme')('GET', '/items/1').length, 1);

    const file = join(dataDir, 'providers', 'acme.json');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), sample());
    if (process.platform !== 'win32') assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dataDir, 'providers')), ['acme.json'], 'no temp file is left behind');

    // Replacing the custom definition updates the cached matcher too.
    await catalog.addCustom(
      withChange((d) => d.api.rules.splice(0, 1)),
      dataDir,
    );
    assert.deepEqual(catalog.matcher('acme')('GET', '/items/1'), []);

    const fresh = loadCatalog({ extraDirs: [join(dataDir, 'providers')] });
    assert.deepEqual(fresh.problems, []);
    assert.equal(fresh.catalog.require('acme').api.rules.length, 3);
    assert.equal(fresh.catalog.isBuiltin('acme'), false);
  });

  test('addCustom refuses a built-in id (provider_exists, 409) and invalid definitions (invalid_provider)', async () => {
    const dataDir = tempDir();
    const { catalog } = loadCatalog({ extraDirs: [] });
    await assert.rejects(
      catalog.addCustom(
        withChange((d) => (d.id = 'github')),
        dataDir,
      ),
      (e: unknown) => isLatchkeyError(e) && e.code === 'provider_exists' && e.status === 409,
    );
    await assert.rejects(
      catalog.addCustom(
        withChange((d) => delete d.auth.token_url),
        dataDir,
      ),
      (e: unknown) => isLatchkeyError(e) && e.code === 'invalid_provider',
    );
    assert.equal(catalog.require('github').name, 'GitHub');
    assert.equal(catalog.get('acme'), undefined);
    assert.throws(() => readdirSync(join(dataDir, 'providers')), /ENOENT/, 'nothing was written');
  });

  test('list() is sorted by name; the constructor refuses a custom definition shadowing a built-in', () => {
    const a = { ...sample(), id: 'zeta', name: 'Alpha' } as ProviderDefinition;
    const b = { ...sample(), id: 'alpha', name: 'Zeta' } as ProviderDefinition;
    assert.deepEqual(
      new Catalog([b], [a]).list().map((p) => p.id),
      ['zeta', 'alpha'],
    );
    assert.throws(
      () => new Catalog([a], [a]),
      (e: unknown) => isLatchkeyError(e) && e.code === 'provider_exists',
    );
  });
});

describe('paths', () => {
  test('packageRoot() is the folder of the latchkey package.json', () => {
    const root = packageRoot();
    assert.equal(JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).name, 'latchkey');
    assert.equal(builtinProvidersDir(), join(root, 'main', 'core', 'catalog', 'providers'));
  });

  test('packageRoot() also works from a compiled module under dist/', async () => {
    // Compile paths.ts to JS and place it as dist/main/core/paths.js of a stand-in package;
    // a package.json with another name on the way up must be skipped.
    const pkg = tempDir();
    writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'latchkey', type: 'module' }));
    const dist = join(pkg, 'dist', 'main', 'core');
    mkdirSync(dist, { recursive: true });
    writeFileSync(join(pkg, 'dist', 'package.json'), JSON.stringify({ name: 'something-else' }));
    const source = readFileSync(join(packageRoot(), 'main', 'core', 'paths.ts'), 'utf8');
    const output = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.NodeNext, target: ts.ScriptTarget.ES2022 },
    }).outputText;
    writeFileSync(join(dist, 'paths.js'), output);
    const compiled = (await import(pathToFileURL(join(dist, 'paths.js')).href)) as { packageRoot(): string };
    assert.equal(compiled.packageRoot(), pkg);
  });

  test('defaultDataDir() matches Electron userData for "Latchkey"', () => {
    const home = process.env.HOME ?? '';
    if (process.platform !== 'win32') {
      assert.equal(defaultDataDir('linux', { XDG_CONFIG_HOME: '/xdg' }), '/xdg/Latchkey');
      assert.equal(defaultDataDir('linux', {}), join(home, '.config', 'Latchkey'));
      assert.equal(defaultDataDir('linux', { XDG_CONFIG_HOME: 'relative' }), join(home, '.config', 'Latchkey'));
      assert.equal(defaultDataDir('darwin', {}), join(home, 'Library', 'Application Support', 'Latchkey'));
    }
    assert.equal(
      defaultDataDir('win32', { APPDATA: 'C:\\Users\\me\\AppData\\Roaming' }),
      'C:\\Users\\me\\AppData\\Roaming\\Latchkey',
    );
  });
});
