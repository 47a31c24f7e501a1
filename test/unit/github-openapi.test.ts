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
import { loadCatalog } from '../../main/core/catalog/load-catalog.js';
import { compileRules } from '../../main/core/catalog/rules.js';
import type { EndpointRule } from '../../main/core/catalog/types.js';

interface Operation {
  method: string;
  /** The description's path template, e.g. /repos/{owner}/{repo}/issues. */
  template: string;
  /** The template with each parameter filled with one segment, as an agent would call it. */
  concrete: string;
  security?: unknown;
  xGithub: Record<string, unknown>;
}

const require = createRequire(import.meta.url);
const description = JSON.parse(
  readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8'),
) as {
  security?: unknown;
  paths: Record<string, Record<string, { security?: unknown; 'x-github'?: Record<string, unknown> }>>;
};
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
const operations: Operation[] = Object.entries(description.paths).flatMap(([template, item]) =>
  Object.entries(item)
    .filter(([method]) => METHODS.includes(method))
    .map(([method, operation]) => ({
      method: method.toUpperCase(),
      template,
      concrete: template.replace(/\{[^}/]+\}/g, 'x'),
      security: operation.security,
      xGithub: operation['x-github'] ?? {},
    })),
);

const { catalog, problems } = loadCatalog({ extraDirs: [] });
const github = catalog.require('github');
const notExposed = github.api.not_exposed ?? [];
const asRule = (entry: { method: string; path: string }): EndpointRule => ({
  method: entry.method,
  path: entry.path,
  scopes: [],
});
const matchesOperation = (rule: EndpointRule, operation: Operation): boolean =>
  compileRules([rule])(operation.method, operation.concrete).length > 0;

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
    const dead = github.api.rules
      .filter((rule) => !OUTSIDE_THE_REST_DESCRIPTION.has(`${rule.method} ${rule.path}`))
      .filter((rule) => !operations.some((operation) => matchesOperation(rule, operation)))
      .map((rule) => `${rule.method} ${rule.path}`);
    assert.deepEqual(dead, []);
    for (const name of OUTSIDE_THE_REST_DESCRIPTION.keys()) {
      assert.ok(
        github.api.rules.some((rule) => `${rule.method} ${rule.path}` === name),
        `${name} is still a rule`,
      );
      assert.ok(
        !operations.some((operation) => `${operation.method} ${operation.template}` === name),
        `${name} is not in the REST description`,
      );
    }
  });

  test('every operation is opened by a rule or listed as deliberately not exposed', () => {
    const match = catalog.matcher('github');
    const unlisted = compileRules(notExposed.map(asRule));
    const undecided = operations
      .filter(
        (operation) =>
          match(operation.method, operation.concrete).length === 0 &&
          unlisted(operation.method, operation.concrete).length === 0,
      )
      .map((operation) => `${operation.method} ${operation.template}`);
    assert.deepEqual(
      undecided,
      [],
      'new operations: open them with a rule or add them to api.not_exposed with a reason',
    );
  });

  test('every not_exposed entry stands for at least one operation no rule opens (no stale entries)', () => {
    const match = catalog.matcher('github');
    const stale = notExposed
      .filter(
        (entry) =>
          !operations.some(
            (operation) =>
              match(operation.method, operation.concrete).length === 0 && matchesOperation(asRule(entry), operation),
          ),
      )
      .map((entry) => `${entry.method} ${entry.path}`);
    assert.deepEqual(stale, []);
  });

  test('the check notices an operation nobody decided about', () => {
    // The same walk with one not_exposed entry taken away: its operations come back undecided.
    const match = catalog.matcher('github');
    const without = compileRules(notExposed.filter((entry) => entry.path !== '/enterprises/**').map(asRule));
    const undecided = operations.filter(
      (operation) =>
        match(operation.method, operation.concrete).length === 0 &&
        without(operation.method, operation.concrete).length === 0,
    );
    assert.ok(undecided.length > 0);
    assert.ok(undecided.every((operation) => operation.template.startsWith('/enterprises/')));
  });

  test('the description names no OAuth scopes in machine form, so there are none to compare', () => {
    assert.equal(description.security, undefined);
    const withScopes = operations.filter(
      (operation) =>
        operation.security !== undefined || Object.keys(operation.xGithub).some((key) => /scope|permission/i.test(key)),
    );
    assert.deepEqual(
      withScopes.map((operation) => `${operation.method} ${operation.template}`),
      [],
    );
  });
});
