import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { compileRules, isCallAllowed, requiredScopes } from '../../main/core/catalog/rules.js';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import type { EndpointRule } from '../../main/core/catalog/types.js';

const rule = (method: string, path: string, ...scopes: string[]): EndpointRule => ({ method, path, scopes });
const paths = (matches: EndpointRule[]) => matches.map((m) => `${m.method} ${m.path}`);

describe('compileRules: glob semantics', () => {
  test('"*" matches exactly one non-empty segment', () => {
    const match = compileRules([rule('GET', '/items/*')]);
    assert.deepEqual(paths(match('GET', '/items/42')), ['GET /items/*']);
    assert.deepEqual(match('GET', '/items'), []);
    assert.deepEqual(match('GET', '/items/42/parts'), []);
    assert.deepEqual(match('GET', '/items//'), [], 'an empty segment is not a segment');
  });

  test('"**" matches zero or more segments', () => {
    const match = compileRules([rule('GET', '/repos/**')]);
    assert.equal(match('GET', '/repos').length, 1, 'zero segments');
    assert.equal(match('GET', '/repos/a').length, 1);
    assert.equal(match('GET', '/repos/a/b/c/d').length, 1);
    assert.deepEqual(match('GET', '/reposx'), []);
    assert.deepEqual(match('GET', '/'), []);
  });

  test('"**" in the middle of a pattern, and "/**" matches everything including the root', () => {
    const middle = compileRules([rule('GET', '/a/**/z')]);
    assert.equal(middle('GET', '/a/z').length, 1, 'zero segments in the middle');
    assert.equal(middle('GET', '/a/b/c/z').length, 1);
    assert.deepEqual(middle('GET', '/a/b/c'), []);
    assert.deepEqual(middle('GET', '/a/bz'), []);

    const all = compileRules([rule('*', '/**')]);
    assert.equal(all('GET', '/').length, 1);
    assert.equal(all('DELETE', '/x/y').length, 1);
  });

  test('literal segments compare exactly: case-sensitive, no partial or prefix match, regex characters are literal', () => {
    const match = compileRules([rule('POST', '/chat.postMessage'), rule('GET', '/a/b')]);
    assert.equal(match('POST', '/chat.postMessage').length, 1);
    assert.deepEqual(match('POST', '/chatXpostMessage'), [], '"." is not a wildcard');
    assert.deepEqual(match('POST', '/chat.postmessage'), [], 'case-sensitive');
    assert.deepEqual(match('GET', '/a/bc'), []);
    assert.deepEqual(match('GET', '/a/b/c'), []);
    assert.deepEqual(match('GET', '/a'), []);
    assert.deepEqual(match('GET', '/xa/b'), []);
    assert.equal(match('GET', '/a/b/').length, 1, 'one trailing slash is ignored');
  });

  test('"*" never matches part of a segment', () => {
    const match = compileRules([rule('GET', '/v1/*/items')]);
    assert.equal(match('GET', '/v1/x/items').length, 1);
    assert.deepEqual(match('GET', '/v1/x/y/items'), []);
    assert.deepEqual(match('GET', '/v1/items'), []);
  });

  test('"prefix*" matches one segment that starts with the prefix and goes on, nothing else', () => {
    const match = compileRules([rule('GET', '/v0/app*/*')]);
    assert.equal(match('GET', '/v0/appAbc123/Tasks').length, 1);
    assert.deepEqual(match('GET', '/v0/meta/bases'), [], 'another first letter');
    assert.deepEqual(match('GET', '/v0/app/Tasks'), [], 'the prefix alone is not enough');
    assert.deepEqual(match('GET', '/v0/xappA/Tasks'), [], 'a prefix, not a substring');
    assert.deepEqual(match('GET', '/v0/appA/b/Tasks'), [], 'one segment only');
    assert.deepEqual(
      compileRules([rule('GET', '/a.b*')])('GET', '/aXbc'),
      [],
      'regex characters of the prefix are literal',
    );
  });

  test('methods: exact, "*" matches any, HEAD matches a GET rule but not the reverse', () => {
    const match = compileRules([rule('GET', '/r'), rule('*', '/any'), rule('HEAD', '/head-only')]);
    assert.equal(match('GET', '/r').length, 1);
    assert.equal(match('HEAD', '/r').length, 1);
    assert.equal(match('get', '/r').length, 1, 'the call method is compared upper-cased');
    assert.deepEqual(match('POST', '/r'), []);
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'])
      assert.equal(match(method, '/any').length, 1, method);
    assert.equal(match('HEAD', '/head-only').length, 1);
    assert.deepEqual(match('GET', '/head-only'), []);
  });

  test('returns every matching rule in definition order, and [] when none matches', () => {
    const rules = [
      rule('GET', '/a/**', 'broad'),
      rule('*', '/a/*', 'any-method'),
      rule('GET', '/a/b', 'exact'),
      rule('POST', '/a/b', 'post'),
    ];
    const match = compileRules(rules);
    assert.deepEqual(paths(match('GET', '/a/b')), ['GET /a/**', '* /a/*', 'GET /a/b']);
    assert.equal(match('GET', '/a/b')[0], rules[0], 'the rule objects themselves are returned');
    assert.deepEqual(paths(match('POST', '/a/b')), ['* /a/*', 'POST /a/b']);
    assert.deepEqual(match('GET', '/b'), []);
    assert.deepEqual(compileRules([])('GET', '/'), []);
  });

  test('the root pattern "/" matches only the root', () => {
    const match = compileRules([rule('GET', '/')]);
    assert.equal(match('GET', '/').length, 1);
    assert.deepEqual(match('GET', '/x'), []);
  });
});

describe('requiredScopes and isCallAllowed', () => {
  const rules = [rule('GET', '/a/**', 'read', 'admin'), rule('GET', '/a/b', 'write', 'read'), rule('GET', '/open')];
  const match = compileRules(rules);

  test("requiredScopes is the ordered union of the matching rules' scopes", () => {
    assert.deepEqual(requiredScopes(match('GET', '/a/b'), []), ['read', 'admin', 'write']);
    assert.deepEqual(requiredScopes(match('GET', '/open'), []), []);
    assert.deepEqual(requiredScopes([], []), []);
  });

  test('allowed when some matching rule needs no scope or names a held one; refused when nothing matches', () => {
    assert.equal(isCallAllowed(match('GET', '/a/b'), ['write'], []), true);
    assert.equal(isCallAllowed(match('GET', '/a/c'), ['write'], []), false);
    assert.equal(isCallAllowed(match('GET', '/a/c'), new Set(['admin']), []), true);
    assert.equal(isCallAllowed(match('GET', '/open'), [], []), true);
    assert.equal(isCallAllowed(match('GET', '/closed'), ['read', 'write', 'admin'], []), false);
  });
});

describe('the GitHub built-in rules', () => {
  const { catalog } = loadCatalog({ extraDirs: [] });
  const match = catalog.matcher('github');

  test('reading a repository needs repo or public_repo, and HEAD is treated as GET', () => {
    for (const method of ['GET', 'HEAD']) {
      const matches = match(method, '/repos/octo/hello/contents/README.md');
      assert.deepEqual(paths(matches), ['GET /repos/**']);
      assert.deepEqual(requiredScopes(matches, []), ['repo', 'public_repo']);
    }
    assert.equal(isCallAllowed(match('GET', '/repos/octo/hello'), ['public_repo'], []), true);
    assert.equal(isCallAllowed(match('GET', '/repos/octo/hello'), ['read:user'], []), false);
  });

  test('creating an issue matches POST /repos/*/*/issues, but not with an extra or a missing segment', () => {
    assert.deepEqual(paths(match('POST', '/repos/octo/hello/issues')), ['POST /repos/*/*/issues']);
    assert.deepEqual(match('POST', '/repos/octo/issues'), []);
    assert.deepEqual(match('POST', '/repos/octo/hello/issues/1/labels'), []);
    assert.deepEqual(match('POST', '/repos/octo/hello/issuesx'), []);
  });

  test('deleting a repository needs delete_repo; GET /user needs no scope; unknown endpoints are closed', () => {
    assert.deepEqual(requiredScopes(match('DELETE', '/repos/octo/hello'), []), ['delete_repo']);
    assert.equal(isCallAllowed(match('DELETE', '/repos/octo/hello'), ['repo'], []), false);
    assert.equal(isCallAllowed(match('GET', '/user'), [], []), true);
    assert.deepEqual(match('DELETE', '/user'), []);
    assert.deepEqual(match('GET', '/admin/users'), []);
  });

  test('the matcher is compiled once and cached', () => {
    assert.equal(catalog.matcher('github'), match);
  });
});
