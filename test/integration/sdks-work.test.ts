import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import sendgrid from '@sendgrid/client';
import * as Asana from 'asana';
import { BoxClient, BoxDeveloperTokenAuth } from 'box-node-sdk';
import { BoxApiError } from 'box-node-sdk/box/errors';
import Cloudflare from 'cloudflare';
import { TodoistApi, TodoistRequestError } from '@doist/todoist-api-typescript';
import { IntercomClient, IntercomError } from 'intercom-client';
import type { StandInRequest } from '../fixtures/api-stand-in.js';
import { sdkWorldForSuite, thrown } from '../fixtures/sdk-calls.js';

/**
 * Official Node SDKs of work tools, unmodified, through `latchkey serve` (the pattern of
 * sdks.test.ts): each built-in definition with only its host moved to a local stand-in that
 * answers like the real API, two reads and a write with the provider credential injected,
 * and a call outside the grant thrown by the SDK at once with the missing scope in it.
 */

const KEYS: Record<string, string> = {
  sendgrid: 'SG.standin-sendgrid.key',
  asana: '2/1200/standin-asana-pat',
  box: 'standin-box-developer-token',
  cloudflare: 'standin-cloudflare-api-token',
  todoist: '0123456789abcdef0123456789abcdef01234567',
  intercom: 'dG9rOnN0YW5kaW4taW50ZXJjb20=',
};

const json = (body: unknown, status = 200) => ({ status, body });
const parsed = (r: StandInRequest) => JSON.parse(r.body) as Record<string, any>;

/** The stand-ins: each API's real paths, methods and version headers, as its SDK sends them. */
const ROUTES = {
  // SendGrid v3: JSON; errors are {errors: [{field, message, help}]}.
  sendgrid: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/v3/user/profile') return json({ first_name: 'Ada', last_name: 'Lovelace' });
    if (r.method === 'GET' && r.path === '/v3/templates' && r.query === '?generations=dynamic')
      return json({ result: [{ id: 'd-1', name: 'Welcome', generation: 'dynamic' }] });
    if (r.method === 'POST' && r.path === '/v3/mail/send') return { status: 202, body: '' };
    return json({ errors: [{ field: null, message: 'resource not found', help: null }] }, 404);
  },
  // Asana: /api/1.0, every answer wrapped in {data}.
  asana: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/api/1.0/users/me')
      return json({ data: { gid: '1200', resource_type: 'user', name: 'Ada Lovelace', email: 'ada@example.com' } });
    if (r.method === 'GET' && r.path === '/api/1.0/workspaces')
      return json({ data: [{ gid: '1201', resource_type: 'workspace', name: 'Engine' }], next_page: null });
    if (r.method === 'POST' && r.path === '/api/1.0/tasks')
      return json({ data: { gid: '1202', resource_type: 'task', name: parsed(r).data.name } }, 201);
    return json({ errors: [{ message: 'Not Found', help: 'https://developers.asana.com/docs/errors' }] }, 404);
  },
  // Box: /2.0, JSON.
  box: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/2.0/users/me')
      return json({ type: 'user', id: '11', name: 'Ada Lovelace', login: 'ada@example.com' });
    if (r.method === 'GET' && r.path === '/2.0/folders/0/items')
      return json({
        total_count: 1,
        entries: [{ type: 'folder', id: '12', name: 'Plans' }],
        offset: 0,
        limit: 100,
        order: [],
      });
    if (r.method === 'POST' && r.path === '/2.0/folders')
      return json({ type: 'folder', id: '13', name: parsed(r).name }, 201);
    return json({ type: 'error', status: 404, code: 'not_found', message: 'Not Found' }, 404);
  },
  // Cloudflare: /client/v4, every answer in the {success, errors, messages, result} envelope.
  cloudflare: (r: StandInRequest) => {
    const ok = (result: unknown) => json({ success: true, errors: [], messages: [], result });
    if (r.method === 'GET' && r.path === '/client/v4/user/tokens/verify') return ok({ id: 'tok1', status: 'active' });
    if (r.method === 'GET' && r.path === '/client/v4/zones')
      return json({
        success: true,
        errors: [],
        messages: [],
        result: [{ id: 'zone1', name: 'example.com', status: 'active' }],
        result_info: { page: 1, per_page: 20, count: 1, total_count: 1 },
      });
    if (r.method === 'POST' && r.path === '/client/v4/zones/zone1/dns_records') return ok({ id: 'rec1', ...parsed(r) });
    return json(
      { success: false, errors: [{ code: 7003, message: 'Could not route' }], messages: [], result: null },
      404,
    );
  },
  // Todoist: /api/v1, snake_case JSON.
  todoist: (r: StandInRequest) => {
    const task = (id: string, content: string) => ({
      id,
      user_id: '2671355',
      project_id: '6Jf8VQXxpwv56VQ7',
      section_id: null,
      parent_id: null,
      added_by_uid: '2671355',
      assigned_by_uid: null,
      responsible_uid: null,
      labels: [],
      deadline: null,
      duration: null,
      checked: false,
      is_deleted: false,
      added_at: '2026-01-01T00:00:00Z',
      completed_at: null,
      updated_at: '2026-01-01T00:00:00Z',
      due: null,
      priority: 1,
      child_order: 1,
      content,
      description: '',
      day_order: -1,
      is_collapsed: false,
    });
    if (r.method === 'GET' && r.path === '/api/v1/tasks')
      return json({ results: [task('6X7rM8997g3RQmvh', 'Design review')], next_cursor: null });
    if (r.method === 'GET' && r.path === '/api/v1/tasks/6X7rM8997g3RQmvh')
      return json(task('6X7rM8997g3RQmvh', 'Design review'));
    if (r.method === 'POST' && r.path === '/api/v1/tasks') return json(task('6X7rM8997g3RQmvj', parsed(r).content));
    return json({ error: 'Not found', error_code: 478, error_tag: 'NOT_FOUND', http_code: 404 }, 404);
  },
  // Intercom: versioned by the Intercom-Version header; errors are {type: "error.list", errors}.
  intercom: (r: StandInRequest) => {
    if (!/^\d+\.\d+$/.test(String(r.headers['intercom-version'])))
      return json(
        { type: 'error.list', errors: [{ code: 'intercom_version_invalid', message: 'Invalid version' }] },
        400,
      );
    const contact = (id: string, email: string) => ({ type: 'contact', id, role: 'user', email });
    if (r.method === 'GET' && r.path === '/me')
      return json({ type: 'admin', id: '991', name: 'Ada Lovelace', email: 'ada@example.com' });
    if (r.method === 'GET' && r.path === '/contacts/6329') return json(contact('6329', 'grace@example.com'));
    if (r.method === 'POST' && r.path === '/contacts') return json(contact('6330', parsed(r).email));
    return json({ type: 'error.list', errors: [{ code: 'not_found', message: 'Resource Not Found' }] }, 404);
  },
};

describe('official SDKs of work tools through latchkey serve', () => {
  const world = sdkWorldForSuite({
    routes: ROUTES,
    keys: KEYS,
    personalToken: (id) => ['asana', 'box'].includes(id),
    full: [
      { connection: 'sendgrid', scopes: ['read', 'mail_send'] },
      { connection: 'asana', scopes: ['users:read', 'workspaces:read', 'tasks:write'] },
      { connection: 'box', scopes: ['root_readwrite'] },
      { connection: 'cloudflare', scopes: ['read', 'dns'] },
      { connection: 'todoist', scopes: ['read', 'write'] },
      { connection: 'intercom', scopes: ['read', 'write'] },
    ],
    narrow: [
      { connection: 'sendgrid', scopes: ['read'] },
      { connection: 'asana', scopes: ['users:read', 'workspaces:read', 'tasks:read'] },
      { connection: 'box', scopes: ['root_readonly'] },
      { connection: 'cloudflare', scopes: ['read'] },
      { connection: 'todoist', scopes: ['read'] },
      { connection: 'intercom', scopes: ['read'] },
    ],
  });
  const { base, seen } = world;

  const needs = (call: string, connection: string, scope: string) =>
    `${call} on "${connection}" needs one of the scopes ${scope}; ask the person to grant one`;

  test('SendGrid (@sendgrid/client): the baseUrl default request, the agent token as its API key', async () => {
    // The module's client, as SendGrid documents it; setApiKey resets the base URL, so it comes first.
    const client = (token: string) => {
      sendgrid.setApiKey(token); // (it warns that the key does not start with "SG.")
      sendgrid.setDefaultRequest('baseUrl', base('sendgrid'));
      return sendgrid;
    };
    const sdk = client(world.full);
    const [, profile] = await sdk.request({ method: 'GET', url: '/v3/user/profile' });
    assert.equal(profile.first_name, 'Ada');
    const [, templates] = await sdk.request({ method: 'GET', url: '/v3/templates', qs: { generations: 'dynamic' } });
    assert.equal(templates.result[0].id, 'd-1');
    const mail = {
      personalizations: [{ to: [{ email: 'grace@example.com' }] }],
      from: { email: 'ada@example.com' },
      subject: 'Through Latchkey',
      content: [{ type: 'text/plain', value: 'Hello' }],
    };
    const [sent] = await sdk.request({ method: 'POST', url: '/v3/mail/send', body: mail });
    assert.equal(sent.statusCode, 202);
    assert.deepEqual(
      seen('sendgrid').map((r) => `${r.method} ${r.path}`),
      ['GET /v3/user/profile', 'GET /v3/templates', 'POST /v3/mail/send'],
    );
    world.assertInjected('sendgrid', ['authorization', `Bearer ${KEYS.sendgrid}`]);

    const error = (await thrown(() =>
      client(world.narrow.token).request({ method: 'POST', url: '/v3/mail/send', body: mail }),
    )) as Error & {
      code: number;
      response: { body: any };
    };
    assert.equal(error.code, 403, inspect(error));
    // The SDK's message is the status text; printed, its ResponseError lists each of SendGrid's
    // {errors: [{message, field, help}]} (the "error_list" dialect), and the sentence is the first.
    const sentence = needs('POST /v3/mail/send', 'sendgrid', 'mail_send');
    assert.equal(String(error), `Forbidden (403)\n  ${sentence}\n    null\n    ${world.broker.url}/llms.txt`);
    assert.equal(error.response.body.errors[0].message, sentence);
    await world.assertDeniedOnce('sendgrid', '/v3/mail/send');
  });

  test('Asana (asana): the ApiClient basePath, the agent token as its personal access token', async () => {
    const client = (token: string) => {
      const api = new Asana.ApiClient();
      api.basePath = base('asana');
      api.authentications.token!.accessToken = token;
      return api;
    };
    const api = client(world.full);
    assert.equal((await new Asana.UsersApi(api).getUser('me', {})).data.name, 'Ada Lovelace');
    const workspaces = await new Asana.WorkspacesApi(api).getWorkspaces({});
    assert.equal(workspaces.data[0].name, 'Engine');
    const created = await new Asana.TasksApi(api).createTask(
      { data: { name: 'Through Latchkey', workspace: '1201' } },
      {},
    );
    assert.equal(created.data.gid, '1202');
    assert.deepEqual(
      seen('asana').map((r) => `${r.method} ${r.path}`),
      ['GET /api/1.0/users/me', 'GET /api/1.0/workspaces', 'POST /api/1.0/tasks'],
    );
    world.assertInjected('asana', ['authorization', `Bearer ${KEYS.asana}`]);

    const error = (await thrown(() =>
      new Asana.TasksApi(client(world.narrow.token)).createTask({ data: { name: 'Denied', workspace: '1201' } }, {}),
    )) as Error & { status: number; response: { body: any } };
    assert.equal(error.status, 403, inspect(error));
    // The SDK rejects with superagent's error, whose message is the status text; Asana's README
    // prints `error.response.body`, its {errors: [{message, help}]}, where the sentence is.
    assert.equal(error.message, 'Forbidden');
    assert.equal(error.response.body.errors[0].message, needs('POST /tasks', 'asana', 'tasks:write'));
    await world.assertDeniedOnce('asana', '/tasks');
  });

  test('Box (box-node-sdk): withCustomBaseUrls, the agent token as a developer token', async () => {
    const client = (token: string) =>
      new BoxClient({ auth: new BoxDeveloperTokenAuth({ token }) }).withCustomBaseUrls({ baseUrl: base('box') });
    const box = client(world.full);
    assert.equal((await box.users.getUserMe()).login, 'ada@example.com');
    assert.equal((await box.folders.getFolderItems('0')).entries?.[0]?.id, '12');
    assert.equal((await box.folders.createFolder({ name: 'Latchkey', parent: { id: '0' } })).id, '13');
    assert.deepEqual(
      seen('box').map((r) => `${r.method} ${r.path}`),
      ['GET /2.0/users/me', 'GET /2.0/folders/0/items', 'POST /2.0/folders'],
    );
    world.assertInjected('box', ['authorization', `Bearer ${KEYS.box}`]);

    const error = await thrown(() =>
      client(world.narrow.token).folders.createFolder({ name: 'Denied', parent: { id: '0' } }),
    );
    assert.ok(error instanceof BoxApiError, inspect(error));
    assert.equal(error.responseInfo.statusCode, 403);
    // Box's SDK joins a body's `error` and `error_description` (Latchkey's own JSON) into its message.
    assert.equal(
      error.message,
      `403; "insufficient_scope" - ${JSON.stringify(needs('POST /2.0/folders', 'box', 'root_readwrite'))}`,
    );
    await world.assertDeniedOnce('box', '/2.0/folders');
  });

  test('Cloudflare (cloudflare): baseURL, the agent token as its API token', async () => {
    const client = (token: string) => new Cloudflare({ apiToken: token, baseURL: base('cloudflare') });
    const cf = client(world.full);
    assert.equal((await cf.user.tokens.verify()).status, 'active');
    assert.deepEqual(
      (await cf.zones.list()).result.map((z) => z.name),
      ['example.com'],
    );
    const record = await cf.dns.records.create({
      zone_id: 'zone1',
      type: 'A',
      name: 'www',
      content: '192.0.2.1',
      ttl: 1,
    });
    assert.equal(record.id, 'rec1');
    assert.deepEqual(
      seen('cloudflare').map((r) => `${r.method} ${r.path}`),
      ['GET /client/v4/user/tokens/verify', 'GET /client/v4/zones', 'POST /client/v4/zones/zone1/dns_records'],
    );
    world.assertInjected('cloudflare', ['authorization', `Bearer ${KEYS.cloudflare}`]);

    const error = await thrown(() =>
      client(world.narrow.token).dns.records.create({
        zone_id: 'zone1',
        type: 'A',
        name: 'x',
        content: '192.0.2.2',
        ttl: 1,
      }),
    );
    assert.ok(error instanceof Cloudflare.PermissionDeniedError, inspect(error));
    // Cloudflare's {errors: [{code, message}]} become the error's `errors`; its message prints the body.
    const sentence = needs('POST /zones/zone1/dns_records', 'cloudflare', 'dns');
    assert.equal(error.errors[0]?.message, sentence);
    assert.ok(
      error.message.startsWith('403 {"errors":[') && error.message.includes(JSON.stringify(sentence)),
      error.message,
    );
    await world.assertDeniedOnce('cloudflare', '/zones/zone1/dns_records');
  });

  test('Todoist (@doist/todoist-api-typescript): its documented customFetch, prefixing the proxy path', async () => {
    // The SDK resolves /api/v1/ against baseUrl's origin (a path prefix is dropped), so its
    // customFetch option puts the proxy prefix in front instead.
    const viaLatchkey = async (url: string, init?: RequestInit) => {
      const { pathname, search } = new URL(url);
      const response = await fetch(`${base('todoist')}${pathname}${search}`, init);
      return {
        ok: response.ok,
        status: response.status,
        statusText: response.statusText,
        // forEach, not iteration: another SDK's types (discord's undici) declare a Headers without an iterator.
        headers: headersObject(response.headers),
        text: () => response.text(),
        json: () => response.json(),
      };
    };
    const client = (token: string) => new TodoistApi(token, { customFetch: viaLatchkey });
    const todoist = client(world.full);
    assert.deepEqual(
      (await todoist.getTasks()).results.map((t) => t.content),
      ['Design review'],
    );
    assert.equal((await todoist.getTask('6X7rM8997g3RQmvh')).content, 'Design review');
    assert.equal((await todoist.addTask({ content: 'Through Latchkey' })).id, '6X7rM8997g3RQmvj');
    assert.deepEqual(
      seen('todoist').map((r) => `${r.method} ${r.path}`),
      ['GET /api/v1/tasks', 'GET /api/v1/tasks/6X7rM8997g3RQmvh', 'POST /api/v1/tasks'],
    );
    world.assertInjected('todoist', ['authorization', `Bearer ${KEYS.todoist}`]);

    const error = await thrown(() => client(world.narrow.token).addTask({ content: 'Denied' }));
    assert.ok(error instanceof TodoistRequestError, inspect(error));
    assert.equal(error.httpStatusCode, 403);
    // Todoist's SDK builds its message from the status line alone, for any error of the API:
    // the sentence is in `responseData` (Latchkey's JSON, shaped like Todoist's {error, …}).
    assert.equal(error.message, 'HTTP 403: Forbidden');
    assert.equal(
      (error.responseData as { error_description: string }).error_description,
      needs('POST /api/v1/tasks', 'todoist', 'write'),
    );
    await world.assertDeniedOnce('todoist', '/api/v1/tasks');
  });

  test('Intercom (intercom-client): baseUrl, the agent token as its access token', async () => {
    const client = (token: string) => new IntercomClient({ token, baseUrl: base('intercom') });
    const intercom = client(world.full);
    assert.equal((await intercom.admins.identify())?.email, 'ada@example.com');
    assert.equal((await intercom.contacts.find({ contact_id: '6329' })).email, 'grace@example.com');
    assert.equal((await intercom.contacts.create({ email: 'lin@example.com' })).id, '6330');
    assert.deepEqual(
      seen('intercom').map((r) => `${r.method} ${r.path}`),
      ['GET /me', 'GET /contacts/6329', 'POST /contacts'],
    );
    world.assertInjected('intercom', ['authorization', `Bearer ${KEYS.intercom}`]);

    const error = await thrown(() => client(world.narrow.token).contacts.create({ email: 'denied@example.com' }));
    assert.ok(error instanceof IntercomError, inspect(error));
    assert.equal(error.statusCode, 403);
    // Fern's IntercomError prints the body, Intercom's {errors: [{code, message}]}, sentence included.
    const sentence = needs('POST /contacts', 'intercom', 'write');
    assert.equal((error.body as { errors: { message: string }[] }).errors[0]?.message, sentence);
    assert.ok(
      error.message.startsWith('Status code: 403\nBody: {') && error.message.includes(JSON.stringify(sentence)),
      error.message,
    );
    await world.assertDeniedOnce('intercom', '/contacts');
  });
});

function headersObject(headers: Headers): Record<string, string> {
  const object: Record<string, string> = {};
  headers.forEach((value, name) => {
    object[name] = value;
  });
  return object;
}
