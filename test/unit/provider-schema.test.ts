/**
 * Definitions people can write: the README's minimal definition is accepted as is, optional
 * fields get their defaults, and the JSON Schema is published by the running broker and in the
 * repository, both the very object the validator compiles.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { silentLogger } from '../../main/core/log.js';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { DEFAULT_REDIRECT } from '../../main/core/catalog/defaults.js';
import { providerSchemaFile, providerSchemaText } from '../../main/core/catalog/schema-file.js';
import { providerDefinitionProblems, validateProviderDefinition } from '../../main/core/catalog/validate-definition.js';
import { providerDefinitionSchema } from '../../main/core/catalog/definition-schema.js';
import type { OAuth2Auth } from '../../main/core/catalog/types.js';
import { isLatchkeyError } from '../../main/core/errors.js';
import { buildHttpServer } from '../../main/core/http/server.js';
import { PROVIDER_SCHEMA_PATH, schemaRoutes } from '../../main/core/http/schema-routes.js';
import { packageRoot } from '../../main/core/paths.js';

const temps: string[] = [];
after(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** The JSON block of the README's "Custom providers" section, exactly as a reader copies it. */
function readmeDefinition(): Record<string, any> {
  const readme = readFileSync(join(packageRoot(), 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Custom providers'));
  const block = /```json\n([\s\S]*?)```/.exec(section);
  assert.ok(block, 'the Custom providers section has a ```json block');
  return JSON.parse(block[1]!) as Record<string, any>;
}

describe('the README definition', () => {
  test('is the minimal form: no client_secret, no redirect', () => {
    const definition = readmeDefinition();
    assert.equal('client_secret' in definition.auth, false);
    assert.equal('redirect' in definition.auth, false);
    assert.deepEqual(Object.keys(definition).sort(), ['api', 'auth', 'id', 'name']);
  });

  test('is accepted as is, with the defaults filled in', () => {
    assert.deepEqual(providerDefinitionProblems(readmeDefinition()), []);
    const valid = validateProviderDefinition(readmeDefinition());
    const auth = valid.auth as OAuth2Auth;
    assert.equal(auth.client_auth, 'none');
    assert.equal(auth.client_secret, 'none');
    assert.deepEqual(auth.redirect, { host: '127.0.0.1', any_port: true });
  });

  test('may name the schema for editors ("$schema")', () => {
    const definition = { $schema: 'http://127.0.0.1:7317/schemas/provider.json', ...readmeDefinition() };
    assert.deepEqual(providerDefinitionProblems(definition), []);
  });

  test('loads from a custom providers folder the same way', () => {
    const dir = mkdtempSync(join(tmpdir(), 'latchkey-readme-'));
    temps.push(dir);
    const file = join(dir, 'acme.json');
    writeFileSync(file, JSON.stringify(readmeDefinition(), null, 2));
    const { catalog, problems } = loadCatalog({ extraDirs: [dir] });
    assert.deepEqual(problems, []);
    assert.deepEqual((catalog.require('acme').auth as OAuth2Auth).redirect, DEFAULT_REDIRECT);
  });
});

describe('defaults of optional OAuth fields', () => {
  const withAuth = (change: Record<string, unknown>, drop: string[] = []) => {
    const definition = readmeDefinition();
    Object.assign(definition.auth, change);
    for (const key of drop) delete definition.auth[key];
    return definition;
  };

  test('client_secret follows client_auth: none → "none", post or basic → "required"', () => {
    for (const [clientAuth, expected] of [
      ['none', 'none'],
      ['client_secret_post', 'required'],
      ['client_secret_basic', 'required'],
    ] as const) {
      const auth = validateProviderDefinition(withAuth({ client_auth: clientAuth })).auth as OAuth2Auth;
      assert.equal(auth.client_secret, expected, clientAuth);
    }
  });

  test('stated values are kept', () => {
    const auth = validateProviderDefinition(
      withAuth({
        client_auth: 'client_secret_post',
        client_secret: 'optional',
        redirect: { host: 'localhost', any_port: false },
      }),
    ).auth as OAuth2Auth;
    assert.equal(auth.client_secret, 'optional');
    assert.deepEqual(auth.redirect, { host: 'localhost', any_port: false });
  });

  test('the definition handed in is not changed', () => {
    const definition = readmeDefinition();
    validateProviderDefinition(definition);
    assert.equal('redirect' in definition.auth, false);
  });

  test('errors still name the JSON path and the reason', () => {
    try {
      validateProviderDefinition(
        withAuth({ redirect: { host: 'example.com', any_port: true }, client_secret: 'required' }),
      );
      assert.fail('expected invalid_provider');
    } catch (error) {
      assert.ok(isLatchkeyError(error));
      const problems = error.details.problems as { path: string; message: string }[];
      assert.deepEqual(problems.map((p) => p.path).sort(), ['/auth/client_auth', '/auth/redirect/host']);
      assert.match(
        problems.find((p) => p.path === '/auth/redirect/host')!.message,
        /must be one of "127\.0\.0\.1", "localhost", "\[::1\]"/,
      );
    }
  });
});

describe('docs and not_exposed', () => {
  test('docs is an object of named https links; not_exposed entries are checked like rules', () => {
    const definition = readmeDefinition();
    definition.docs = {
      oauth: 'https://docs.acme.example/oauth',
      'Bad Name': 'https://docs.acme.example/x',
      api: 'ftp://docs.acme.example/api',
    };
    definition.api.not_exposed = [
      { method: 'DELETE', path: '/api/items/*', reason: 'Deleting is for people' },
      { method: 'delete', path: '/api/*x', reason: 'typo' },
      { method: 'GET', path: '/api/other' },
    ];
    const paths = providerDefinitionProblems(definition)
      .map((p) => p.path)
      .sort();
    assert.deepEqual(paths, [
      '/api/not_exposed/1/method',
      '/api/not_exposed/1/path',
      '/api/not_exposed/2/reason',
      '/docs/Bad Name',
      '/docs/api',
    ]);
  });
});

describe('credential templates', () => {
  test('"{key}" or "{key_base64}" (HTTP Basic from a pasted "user:password") must appear', () => {
    const keyed = (format: string) => ({
      id: 'k',
      name: 'K',
      auth: { type: 'api_key', header: 'Authorization', format },
      api: { base_url: 'https://api.k.example', rules: [] },
    });
    assert.deepEqual(providerDefinitionProblems(keyed('Basic {key_base64}')), []);
    assert.deepEqual(providerDefinitionProblems(keyed('Bearer {key}')), []);
    const problems = providerDefinitionProblems(keyed('Basic {secret}'));
    assert.deepEqual(
      problems.map((p) => p.path),
      ['/auth/format'],
    );
    assert.match(problems[0]!.message, /\{key_base64\}/);
  });
});

describe('the published schema', () => {
  test('the committed provider.schema.json is what the code produces (regenerate: node --import tsx scripts/write-provider-schema.ts)', () => {
    assert.equal(readFileSync(providerSchemaFile(), 'utf8'), providerSchemaText());
  });

  test('the running broker serves it without authentication, and a standard validator accepts the README definition with it', async () => {
    const dashboardDir = mkdtempSync(join(tmpdir(), 'latchkey-nodash-'));
    temps.push(dashboardDir);
    const server = await buildHttpServer({
      version: 'test',
      adminToken: 'admin-token-not-sent',
      dashboardDir,
      logger: silentLogger(),
      admin: [],
      root: [schemaRoutes],
    });
    try {
      const port = await server.listen(0);
      const response = await fetch(`http://127.0.0.1:${port}${PROVIDER_SCHEMA_PATH}`);
      assert.equal(response.status, 200);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const served = (await response.json()) as Record<string, unknown>;
      assert.deepEqual(served, JSON.parse(providerSchemaText()));
      // An editor's validator (plain Ajv, no Latchkey code) agrees with the broker on the README's definition.
      const validate = new Ajv({ strict: false, discriminator: true }).compile(served);
      assert.equal(validate(readmeDefinition()), true, JSON.stringify(validate.errors));
      const broken = readmeDefinition();
      delete broken.auth.scopes;
      assert.equal(validate(broken), false);
    } finally {
      await server.app.close();
    }
  });

  test('the schema carries the fields added for sources and deliberate gaps', () => {
    assert.ok('docs' in providerDefinitionSchema.properties);
    assert.ok('not_exposed' in providerDefinitionSchema.properties.api.properties);
  });
});
