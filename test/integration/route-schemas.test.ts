/**
 * Every documented route answers in a declared shape: fastify serializes a response only
 * through its schema, and the OpenAPI document is generated from the same schemas, so a
 * route without one would send unchecked fields and document nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';

interface Operation {
  responses?: Record<string, { description?: string; content?: Record<string, { schema?: unknown }> }>;
}

describe('route schemas', () => {
  let broker: TestBroker;
  let paths: Record<string, Record<string, Operation>>;
  let components: Record<string, unknown>;
  before(async () => {
    broker = await startTestBroker({ secretStore: 'file', passphrase: 'a long test passphrase' });
    const doc = (await (await fetch(`${broker.url}/admin/openapi.json`)).json()) as {
      paths: Record<string, Record<string, Operation>>;
      components?: { schemas?: Record<string, unknown> };
    };
    paths = doc.paths;
    components = doc.components?.schemas ?? {};
  });
  /** A schema, or the component its `$ref` names. */
  const resolve = (schema: unknown): unknown => {
    const ref = (schema as { $ref?: string } | undefined)?.$ref;
    return ref === undefined ? schema : components[ref.replace('#/components/schemas/', '')];
  };
  after(async () => broker.dispose());

  const operations = () =>
    Object.entries(paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, operation]) => ({ route: `${method.toUpperCase()} ${path}`, operation })),
    );

  test('every route declares the schema of its success answer', () => {
    const all = operations();
    assert.ok(all.length >= 25, `the admin API and the agent routes are documented (${all.length} operations)`);
    const without = all
      .filter(
        ({ operation }) =>
          !Object.entries(operation.responses ?? {}).some(
            ([status, response]) =>
              /^2\d\d$/.test(status) &&
              response.content !== undefined &&
              Object.values(response.content).every((media) => media.schema !== undefined),
          ),
      )
      .map(({ route }) => route);
    assert.deepEqual(without, [], 'routes without a response schema');
  });

  test('every admin route declares its error answers in the one error shape', () => {
    const admin = operations().filter(({ route }) => route.includes(' /admin/api/'));
    assert.ok(admin.length >= 20);
    for (const { route, operation } of admin) {
      for (const status of ['400', '401', '403', '404']) {
        const schema = resolve(operation.responses?.[status]?.content?.['application/json']?.schema) as
          | { required?: string[] }
          | undefined;
        assert.deepEqual(
          schema?.required,
          ['error', 'error_description'],
          `${route} documents ${status} as {error, error_description}`,
        );
      }
    }
  });
});
