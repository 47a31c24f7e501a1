/**
 * GitHub's rules checked against GitHub's own REST description (`@octokit/openapi`, the
 * api.github.com OpenAPI document): no rule is dead, and every operation is either opened by a
 * rule or listed in `api.not_exposed` with a reason, so a new endpoint in an updated description
 * fails here until someone decides about it.
 *
 * Scopes: the description does not name OAuth scopes in machine form (no `security` on its
 * operations; `x-github` holds category, previews and availability only), so rule scopes cannot
 * be compared with it. The last test pins that fact: when a future description adds scopes, it
 * fails, and a scope comparison belongs here.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { DEFAULT_BASE } from '../../main/core/catalog/bases.js';
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import {
  deadRules,
  type Operation,
  operationName,
  staleNotExposed,
  undecidedOperations,
} from '../fixtures/description-checks.js';

const require = createRequire(import.meta.url);
const description = JSON.parse(
  readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'),
) as {
  security?: unknown;
  paths: Record<string, Record<string, { security?: unknown; 'x-github'?: Record<string, unknown> }>>;
};
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const described = Object.entries(description.paths).flatMap(([template, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, operation]) => ({
      operation: { method: method.toUpperCase(), base: DEFAULT_BASE, template } satisfies Operation,
      security: operation.security,
      xGithub: operation['x-github'] ?? {},
    })),
);
const operations = described.map(({ operation }) => operation);

const { catalog, problems } = loadCatalog({ extraDirs: [] });
const github = catalog.require('github');
const notExposed = github.api.not_exposed ?? [];

/** Rules for APIs the REST description does not cover, each with why. */
const OUTSIDE_THE_REST_DESCRIPTION = new Map([
  ['POST /graphql', "GitHub's GraphQL API is described by its own schema, not the REST OpenAPI document"],
]);

describe('GitHub rules against @octokit/openapi (api.github.com)', () => {
  test('the description and the definition load', () => {
    assert.deepEqual(problems, []);
    assert.ok(operations.length > 500, `${operations.length} operations`);
    assert.ok(notExposed.length > 0);
  });

  test('every rule matches at least one operation of the description (no dead rules, no typos)', () => {
    assert.deepEqual(deadRules(github, operations, new Set(OUTSIDE_THE_REST_DESCRIPTION.keys())), []);
    for (const name of OUTSIDE_THE_REST_DESCRIPTION.keys()) {
      assert.ok(
        github.api.rules.some((rule) => `${rule.method} ${rule.path}` === name),
        `${name} is still a rule`,
      );
      assert.ok(
        !operations.some((operation) => operationName(operation) === name),
        `${name} is not in the REST description`,
      );
    }
  });

  test('every operation is opened by a rule or listed as deliberately not exposed', () => {
    assert.deepEqual(
      undecidedOperations(catalog, github, operations).map(operationName),
      [],
      'new operations: open them with a rule or add them to api.not_exposed with a reason',
    );
  });

  test('every not_exposed entry stands for at least one operation no rule opens (no stale entries)', () => {
    assert.deepEqual(staleNotExposed(catalog, github, operations), []);
  });

  test('the check notices an operation nobody decided about', () => {
    // The same walk with one not_exposed entry taken away: its operations come back undecided.
    const without = notExposed
      .filter((entry) => entry.path !== '/enterprises/**')
      .map((entry) => ({ method: entry.method, path: entry.path, scopes: [] }));
    const undecided = undecidedOperations(catalog, github, operations, without);
    assert.ok(undecided.length > 0);
    assert.ok(undecided.every((operation) => operation.template.startsWith('/enterprises/')));
  });

  test('the description names no OAuth scopes in machine form, so there are none to compare', () => {
    assert.equal(description.security, undefined);
    const withScopes = described.filter(
      ({ security, xGithub }) =>
        security !== undefined || Object.keys(xGithub).some((key) => /scope|permission/i.test(key)),
    );
    assert.deepEqual(
      withScopes.map(({ operation }) => operationName(operation)),
      [],
    );
  });
});
