/**
 * Curated MCP tools as data (`api.tools`): what the validator refuses, and how a tool's input
 * becomes a call (path placeholders, query, body). Every built-in curated tool is walked too.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinProvidersDir } from '../../main/core/catalog/load-catalog.js';
import { curatedCall } from '../../main/core/catalog/curated-tools.js';
import { compileRules } from '../../main/core/catalog/rules.js';
import { providerDefinitionProblems } from '../../main/core/catalog/validate-definition.js';
import type { CuratedTool, ProviderDefinition } from '../../main/core/catalog/types.js';
import { isLatchkeyError } from '../../main/core/errors.js';
import { checkProxyPath } from '../../main/core/proxy/path.js';

const listItems: CuratedTool = {
  name: 'list_items',
  description: 'List items.',
  method: 'GET',
  path: '/api/{group}/items',
  params: {
    type: 'object',
    properties: { group: { type: 'string' }, limit: { type: 'integer' } },
    required: ['group'],
  },
  query: ['limit'],
};

function definition(tools: unknown[]): Record<string, unknown> {
  return {
    id: 'acme',
    name: 'Acme',
    auth: {
      type: 'api_key',
      header: 'Authorization',
      format: 'Bearer {key}',
      scopes: { read: 'Read', write: 'Write' },
    },
    api: {
      base_url: 'https://api.acme.example',
      rules: [
        { method: 'GET', path: '/api/*/items', scopes: ['read'] },
        { method: 'POST', path: '/api/items', scopes: ['write'] },
        { method: 'GET', path: '/files/**', scopes: ['read'] },
      ],
      tools,
    },
  };
}

const problemsOf = (tools: unknown[]) => providerDefinitionProblems(definition(tools));

describe('api.tools validation', () => {
  test('a tool matching a rule, with its placeholder a required string input, is accepted', () => {
    assert.deepEqual(problemsOf([listItems]), []);
  });

  test('a tool whose method and path match no rule is refused', () => {
    const problems = problemsOf([{ ...listItems, method: 'DELETE' }]);
    assert.ok(
      problems.some((p) => p.path === '/api/tools/0/path' && /matches no rule/.test(p.message)),
      JSON.stringify(problems),
    );
    const elsewhere = problemsOf([{ ...listItems, path: '/admin/{group}' }]);
    assert.ok(
      elsewhere.some((p) => p.path === '/api/tools/0/path' && /matches no rule/.test(p.message)),
      JSON.stringify(elsewhere),
    );
  });

  test('a tool naming a base the definition lacks is refused', () => {
    const problems = problemsOf([{ ...listItems, base: 'gmail' }]);
    assert.ok(
      problems.some((p) => p.path === '/api/tools/0/base'),
      JSON.stringify(problems),
    );
  });

  test('a placeholder without a required string input is refused', () => {
    const missing = problemsOf([{ ...listItems, params: { type: 'object', properties: {} } }]);
    assert.ok(
      missing.some((p) => p.path === '/api/tools/0/path' && /\{group\}/.test(p.message)),
      JSON.stringify(missing),
    );
    const optional = problemsOf([
      { ...listItems, params: { type: 'object', properties: { group: { type: 'string' } } } },
    ]);
    assert.ok(
      optional.some((p) => p.path === '/api/tools/0/path' && /\{group\}/.test(p.message)),
      JSON.stringify(optional),
    );
    const number = problemsOf([
      { ...listItems, params: { type: 'object', properties: { group: { type: 'integer' } }, required: ['group'] } },
    ]);
    assert.ok(
      number.some((p) => p.path === '/api/tools/0/path' && /\{group\}/.test(p.message)),
      JSON.stringify(number),
    );
  });

  test('bad and duplicate names are refused', () => {
    for (const name of ['List_items', '1items', 'list-items', 'a'.repeat(42), '']) {
      assert.ok(
        problemsOf([{ ...listItems, name }]).some((p) => p.path === '/api/tools/0/name'),
        name,
      );
    }
    assert.ok(
      problemsOf([{ ...listItems, name: 'request' }]).some(
        (p) => p.path === '/api/tools/0/name' && /reserved/.test(p.message),
      ),
    );
    assert.ok(
      problemsOf([listItems, listItems]).some((p) => p.path === '/api/tools/1/name' && /unique/.test(p.message)),
    );
  });

  test('params must be an object schema; query and body name declared inputs', () => {
    assert.ok(
      problemsOf([{ ...listItems, params: { type: 'string' } }]).some((p) => p.path.startsWith('/api/tools/0/params')),
    );
    assert.ok(problemsOf([{ ...listItems, query: ['nope'] }]).some((p) => p.path === '/api/tools/0/query/0'));
    assert.ok(
      problemsOf([{ ...listItems, query: ['group'] }]).some(
        (p) => p.path === '/api/tools/0/query/0' && /path/.test(p.message),
      ),
    );
  });
});

describe('curatedCall', () => {
  const refused = (tool: CuratedTool, input: Record<string, unknown>) =>
    assert.throws(
      () => curatedCall(tool, input),
      (error) => isLatchkeyError(error) && error.code === 'invalid_tool_input' && error.status === 400,
    );

  test('fills placeholders percent-encoded as one segment, and the query from its inputs', () => {
    const call = curatedCall(listItems, { group: 'a b?#%', limit: 5 });
    assert.deepEqual(call, { method: 'GET', path: '/api/a%20b%3F%23%25/items', query: { limit: '5' } });
    assert.equal(checkProxyPath(call.path), '/api/a b?#%/items');
  });

  test('refuses "/", "." and ".." and empty values in a one-segment placeholder', () => {
    for (const group of ['a/b', '..', '.', '', '../admin']) refused(listItems, { group });
  });

  test('a {name+} placeholder fills several segments, each encoded and never a dot segment', () => {
    const file: CuratedTool = {
      name: 'get_file',
      description: 'Read a file.',
      method: 'GET',
      path: '/files/{path+}',
      params: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'] },
    };
    assert.equal(curatedCall(file, { path: 'docs/read me.md' }).path, '/files/docs/read%20me.md');
    for (const path of ['docs/../secrets', './a', 'a//b', '..']) refused(file, { path });
  });

  test('body: the listed inputs, or every input not in the path or query', () => {
    const create: CuratedTool = {
      name: 'create_item',
      description: 'Create.',
      method: 'POST',
      path: '/api/items',
      params: { type: 'object', properties: {} },
      body: ['title', 'tags'],
    };
    assert.deepEqual(curatedCall(create, { title: 'x', tags: ['a'], other: 1 }).body, { title: 'x', tags: ['a'] });
    assert.deepEqual(curatedCall({ ...listItems, body: 'params' }, { group: 'g', limit: 2, title: 't' }).body, {
      title: 't',
    });
    assert.equal(curatedCall(listItems, { group: 'g' }).body, undefined);
    assert.deepEqual(curatedCall(listItems, { group: 'g', limit: [1, 2] }).query, { limit: '1,2' });
  });
});

describe('built-in curated tools', () => {
  const builtins: ProviderDefinition[] = readdirSync(builtinProvidersDir())
    .filter((name) => name.endsWith('.json'))
    .map((name) => JSON.parse(readFileSync(join(builtinProvidersDir(), name), 'utf8')) as ProviderDefinition);
  const withTools = builtins.filter((definition) => (definition.api.tools ?? []).length > 0);

  test('GitHub, Slack, Google and Notion carry the curated tools', () => {
    const names = Object.fromEntries(
      withTools.map((definition) => [definition.id, definition.api.tools!.map((tool) => tool.name)]),
    );
    assert.deepEqual(names.github, ['list_issues', 'create_issue', 'get_file']);
    assert.deepEqual(names.slack, ['post_message', 'list_channels', 'search_messages']);
    assert.deepEqual(names.google, ['list_events', 'create_event', 'gmail_search', 'gmail_get_message', 'gmail_send']);
    assert.deepEqual(names.notion, ['search', 'get_page', 'get_page_content']);
  });

  for (const definition of withTools) {
    test(`${definition.id}: every tool validates and reaches a rule with a filled-in input`, () => {
      assert.deepEqual(
        providerDefinitionProblems(definition).filter((p) => p.path.startsWith('/api/tools')),
        [],
      );
      for (const tool of definition.api.tools!) {
        const input = Object.fromEntries(
          Object.keys(tool.params.properties ?? {}).map((name) => [name, name === 'path' ? 'src/index.ts' : 'sample']),
        );
        const call = curatedCall(tool, input);
        const match = compileRules(
          definition.api.rules.filter((rule) => (rule.base ?? 'default') === (tool.base ?? 'default')),
        );
        assert.ok(
          match(call.method, checkProxyPath(call.path)).length > 0,
          `${definition.id}.${tool.name}: ${call.method} ${call.path}`,
        );
      }
    });
  }
});
