import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import Anthropic from '@anthropic-ai/sdk';
import { auth as googleAuth, calendar } from '@googleapis/calendar';
import {
  Client as GraphClient,
  GraphError,
  HTTPMessageHandler,
  RetryHandler,
  type Context,
  type Middleware,
} from '@microsoft/microsoft-graph-client';
import { Client as HubSpotClient } from '@hubspot/api-client';
import { Dropbox, DropboxResponseError } from 'dropbox';
import { Gitlab, GitbeakerRequestError } from '@gitbeaker/rest';
import { createRequire } from 'node:module';
import twilio from 'twilio';
import Airtable from 'airtable';
import type TwilioRequestClient from 'twilio/lib/base/RequestClient.js';
import type { StandInRequest } from '../fixtures/api-stand-in.js';
import { sdkWorldForSuite, thrown } from '../fixtures/sdk-calls.js';

/** Mailchimp's SDK ships no types: the part of its client (a module-wide instance) used here. */
interface MailchimpClient {
  basePath: string;
  setConfig(config: { accessToken?: string; apiKey?: string; server?: string }): void;
  lists: {
    getAllLists(): Promise<{ lists: { id: string; name: string }[] }>;
    getListMember(listId: string, subscriberHash: string): Promise<{ email_address: string }>;
    addListMember(
      listId: string,
      body: { email_address: string; status: string },
    ): Promise<{ id: string; email_address: string }>;
  };
}
const mailchimp = createRequire(import.meta.url)('@mailchimp/mailchimp_marketing') as MailchimpClient;

/**
 * More providers' official Node SDKs, unmodified, through `latchkey serve` (the pattern of
 * sdks.test.ts): each built-in definition with only its host moved to a local stand-in that
 * answers like the real API, two reads and a write with the provider credential injected,
 * and a call outside the grant thrown by the SDK at once with the missing scope in it.
 */

const KEYS: Record<string, string> = {
  anthropic: 'sk-ant-standin-key',
  google: 'ya29.standin-google-token',
  microsoft: 'eyJ0eXAi.standin-graph-token',
  hubspot: 'pat-na1-standin-hubspot',
  dropbox: 'sl.standin-dropbox-token',
  gitlab: 'glpat-standin-gitlab-token',
  mailchimp: 'latchkey:0123456789abcdef0123456789abcdef-us6',
  twilio: 'SK0123456789abcdef0123456789abcdef:standin-twilio-secret',
  airtable: 'patStandin.airtable-token',
};
/** Header and value each API expects its credential in. */
const EXPECTED_CREDENTIAL: Record<string, [string, string]> = {
  anthropic: ['x-api-key', KEYS.anthropic!],
  google: ['authorization', `Bearer ${KEYS.google}`],
  microsoft: ['authorization', `Bearer ${KEYS.microsoft}`],
  hubspot: ['authorization', `Bearer ${KEYS.hubspot}`],
  dropbox: ['authorization', `Bearer ${KEYS.dropbox}`],
  gitlab: ['private-token', KEYS.gitlab!],
  mailchimp: ['authorization', `Basic ${Buffer.from(KEYS.mailchimp!).toString('base64')}`],
  twilio: ['authorization', `Basic ${Buffer.from(KEYS.twilio!).toString('base64')}`],
  airtable: ['authorization', `Bearer ${KEYS.airtable}`],
};
const ACCOUNT = 'AC0123456789abcdef0123456789abcdef';

const json = (body: unknown, status = 200) => ({ status, body });
const G = 'https://www.googleapis.com/auth/';

/** The stand-ins: each API's real paths, methods and version headers, as its SDK sends them. */
const ROUTES = {
  anthropic: (r: StandInRequest) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(r.headers['anthropic-version'])))
      return json(
        { type: 'error', error: { type: 'invalid_request_error', message: 'anthropic-version header is required' } },
        400,
      );
    const model = {
      type: 'model',
      id: 'claude-sonnet-4-5',
      display_name: 'Claude Sonnet 4.5',
      created_at: '2025-09-29T00:00:00Z',
    };
    if (r.method === 'GET' && r.path === '/v1/models')
      return json({ data: [model], has_more: false, first_id: model.id, last_id: model.id });
    if (r.method === 'GET' && r.path === '/v1/models/claude-sonnet-4-5') return json(model);
    if (r.method === 'POST' && r.path === '/v1/messages') {
      return json({
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: model.id,
        content: [{ type: 'text', text: 'Hello, Ada.' }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 4 },
      });
    }
    return undefined;
  },
  // Google's discovery-based client: rootUrl + calendar/v3/…, JSON.
  google: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/calendar/v3/users/me/calendarList')
      return json({ kind: 'calendar#calendarList', items: [{ id: 'ada@example.com', summary: 'Ada', primary: true }] });
    if (r.method === 'GET' && r.path === '/calendar/v3/calendars/primary/events')
      return json({ kind: 'calendar#events', items: [{ id: 'e1', summary: 'Design review' }] });
    if (r.method === 'POST' && r.path === '/calendar/v3/calendars/primary/events')
      return json({ kind: 'calendar#event', id: 'e2', summary: (JSON.parse(r.body) as { summary: string }).summary });
    return json({ error: { code: 404, message: 'Not Found', status: 'NOT_FOUND' } }, 404);
  },
  // Microsoft Graph: https://graph.microsoft.com/v1.0/…
  microsoft: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/v1.0/me')
      return json({ id: 'u1', displayName: 'Ada Lovelace', userPrincipalName: 'ada@example.com' });
    if (r.method === 'GET' && r.path === '/v1.0/me/messages') return json({ value: [{ id: 'm1', subject: 'Plans' }] });
    if (r.method === 'POST' && r.path === '/v1.0/me/sendMail') return { status: 202, body: '' };
    return json({ error: { code: 'BadRequest', message: 'Invalid version' } }, 400);
  },
  hubspot: (r: StandInRequest) => {
    const contact = (id: string, email: string) => ({
      id,
      properties: { email },
      createdAt: '2026-01-01T00:00:00Z',
      updatedAt: '2026-01-01T00:00:00Z',
      archived: false,
    });
    if (r.method === 'GET' && r.path === '/crm/v3/objects/contacts')
      return json({ results: [contact('51', 'ada@example.com')] });
    if (r.method === 'GET' && r.path === '/crm/v3/objects/contacts/51') return json(contact('51', 'ada@example.com'));
    if (r.method === 'POST' && r.path === '/crm/v3/objects/contacts')
      return json(contact('52', (JSON.parse(r.body) as { properties: { email: string } }).properties.email), 201);
    return json({ status: 'error', message: 'Not found', category: 'OBJECT_NOT_FOUND' }, 404);
  },
  // Dropbox's RPC endpoints: POST https://api.dropboxapi.com/2/<namespace>/<route>, JSON.
  dropbox: (r: StandInRequest) => {
    if (r.method !== 'POST') return undefined;
    if (r.path === '/2/users/get_current_account')
      return json({ account_id: 'dbid:1', email: 'ada@example.com', name: { display_name: 'Ada' } });
    if (r.path === '/2/files/list_folder')
      return json({
        entries: [{ '.tag': 'folder', name: 'Plans', path_lower: '/plans' }],
        cursor: 'c1',
        has_more: false,
      });
    if (r.path === '/2/files/create_folder_v2')
      return json({
        metadata: { name: 'Latchkey', path_lower: (JSON.parse(r.body) as { path: string }).path.toLowerCase() },
      });
    return json({ error_summary: 'path/not_found/', error: { '.tag': 'path' } }, 409);
  },
  gitlab: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/api/v4/user') return json({ id: 1, username: 'ada' });
    if (r.method === 'GET' && r.path === '/api/v4/projects/42')
      return json({ id: 42, path_with_namespace: 'ada/engine' });
    if (r.method === 'POST' && r.path === '/api/v4/projects/42/issues')
      return json({ iid: 7, title: (JSON.parse(r.body) as { title: string }).title, state: 'opened' }, 201);
    return json({ message: '404 Not Found' }, 404);
  },
  // Mailchimp Marketing API 3.0, JSON; errors are problem details.
  mailchimp: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/3.0/lists')
      return json({ lists: [{ id: '57afe96172', name: 'Newsletter' }], total_items: 1 });
    if (r.method === 'GET' && r.path === '/3.0/lists/57afe96172/members/62eeb292278cc15f5817cb78f7790b08')
      return json({ id: '62eeb292278cc15f5817cb78f7790b08', email_address: 'ada@example.com', status: 'subscribed' });
    if (r.method === 'POST' && r.path === '/3.0/lists/57afe96172/members')
      return json({ id: 'd1', ...(JSON.parse(r.body) as object) });
    return json(
      {
        type: 'https://mailchimp.com/developer/marketing/docs/errors/',
        title: 'Resource Not Found',
        status: 404,
        detail: 'The requested resource could not be found.',
      },
      404,
    );
  },
  // Twilio's 2010-04-01 REST API: .json resources, form-encoded writes.
  twilio: (r: StandInRequest) => {
    const account = `/2010-04-01/Accounts/${ACCOUNT}`;
    const message = (body: string) => ({
      sid: 'SM1',
      account_sid: ACCOUNT,
      body,
      status: 'queued',
      to: '+15005550006',
      from: '+15005550001',
    });
    if (r.method === 'GET' && r.path === `${account}.json`)
      return json({ sid: ACCOUNT, friendly_name: 'Ada', status: 'active' });
    if (r.method === 'GET' && r.path === `${account}/Messages.json`)
      return json({
        messages: [message('Hello')],
        page: 0,
        page_size: 1,
        first_page_uri: `${account}/Messages.json?PageSize=1&Page=0`,
        next_page_uri: null,
        previous_page_uri: null,
        uri: `${account}/Messages.json?PageSize=1&Page=0`,
      });
    if (
      r.method === 'POST' &&
      r.path === `${account}/Messages.json` &&
      r.headers['content-type'] === 'application/x-www-form-urlencoded'
    )
      return json(message(new URLSearchParams(r.body).get('Body') ?? ''), 201);
    return json(
      {
        code: 20404,
        message: 'The requested resource was not found',
        more_info: 'https://www.twilio.com/docs/errors/20404',
        status: 404,
      },
      404,
    );
  },
  // Airtable's Web API: /v0/{baseId}/{table}[/{recordId}], JSON.
  airtable: (r: StandInRequest) => {
    const record = (id: string, fields: Record<string, unknown>) => ({
      id,
      createdTime: '2026-01-01T00:00:00.000Z',
      fields,
    });
    if (r.method === 'GET' && r.path === '/v0/appAbc123/Tasks')
      return json({ records: [record('rec1', { Name: 'Design review' })] });
    if (r.method === 'GET' && r.path === '/v0/appAbc123/Tasks/rec1')
      return json(record('rec1', { Name: 'Design review' }));
    // The SDK creates records at the table path with a trailing slash, which the API accepts.
    if (r.method === 'POST' && r.path === '/v0/appAbc123/Tasks/')
      return json(record('rec2', (JSON.parse(r.body) as { fields: Record<string, unknown> }).fields));
    return json({ error: 'NOT_FOUND' }, 404);
  },
};

describe('more official SDKs through latchkey serve', () => {
  const world = sdkWorldForSuite({
    routes: ROUTES,
    keys: KEYS,
    personalToken: (id) => !['anthropic', 'mailchimp', 'twilio'].includes(id),
    full: [
      { connection: 'anthropic', scopes: ['read', 'inference'] },
      { connection: 'google', scopes: [`${G}calendar.events`] },
      { connection: 'microsoft', scopes: ['User.Read', 'Mail.Read', 'Mail.Send'] },
      { connection: 'hubspot', scopes: ['crm.objects.contacts.read', 'crm.objects.contacts.write'] },
      { connection: 'dropbox', scopes: ['account_info.read', 'files.metadata.read', 'files.content.write'] },
      { connection: 'gitlab', scopes: ['api'] },
      { connection: 'mailchimp', scopes: ['read', 'audience:write'] },
      { connection: 'twilio', scopes: ['read', 'messages'] },
      { connection: 'airtable', scopes: ['data.records:write'] },
    ],
    narrow: [
      { connection: 'anthropic', scopes: ['read'] },
      { connection: 'google', scopes: [`${G}calendar.readonly`] },
      { connection: 'microsoft', scopes: ['User.Read', 'Mail.Read'] },
      { connection: 'hubspot', scopes: ['crm.objects.contacts.read'] },
      { connection: 'dropbox', scopes: ['files.metadata.read'] },
      { connection: 'gitlab', scopes: ['read_api'] },
      { connection: 'mailchimp', scopes: ['read'] },
      { connection: 'twilio', scopes: ['read'] },
      { connection: 'airtable', scopes: ['data.records:read'] },
    ],
  });
  const { base, seen } = world;

  test('Anthropic (@anthropic-ai/sdk): baseURL, the agent token as its API key (x-api-key)', async () => {
    const anthropic = new Anthropic({ apiKey: world.full, baseURL: base('anthropic') });
    assert.deepEqual(
      (await anthropic.models.list()).data.map((m) => m.id),
      ['claude-sonnet-4-5'],
    );
    assert.equal((await anthropic.models.retrieve('claude-sonnet-4-5')).display_name, 'Claude Sonnet 4.5');
    const message = await anthropic.messages.create({
      model: 'claude-sonnet-4-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'Hello' }],
    });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Hello, Ada.' }]);
    assert.deepEqual(
      seen('anthropic').map((r) => `${r.method} ${r.path}`),
      ['GET /v1/models', 'GET /v1/models/claude-sonnet-4-5', 'POST /v1/messages'],
    );
    world.assertInjected('anthropic', EXPECTED_CREDENTIAL.anthropic!);

    const reader = new Anthropic({ apiKey: world.narrow.token, baseURL: base('anthropic') });
    const error = await thrown(() =>
      reader.messages.create({
        model: 'claude-sonnet-4-5',
        max_tokens: 64,
        messages: [{ role: 'user', content: 'Hello' }],
      }),
    );
    assert.ok(error instanceof Anthropic.PermissionDeniedError, inspect(error));
    const sentence = 'POST /v1/messages on "anthropic" needs one of the scopes inference; ask the person to grant one';
    // Anthropic's SDK prints the error body after the status, as it does for Anthropic's own errors.
    assert.ok(
      error.message.startsWith('403 {"type":"error","error":{"type":"permission_error","message":') &&
        error.message.includes(JSON.stringify(sentence)),
      error.message,
    );
    assert.equal(error.type, 'permission_error');
    assert.equal(error.apiMessage, sentence);
    await world.assertDeniedOnce('anthropic', '/v1/messages');
  });

  test("Google Calendar (@googleapis/calendar): its auth client's documented fetchImplementation, prefixing the proxy path", async () => {
    // googleapis resolves every path from the root of `rootUrl` (a path prefix is dropped),
    // so the auth client's fetch puts the proxy prefix in front instead.
    const viaLatchkey = (url: string | URL | Request, init?: RequestInit) => {
      const { pathname, search } = new URL(url instanceof Request ? url.url : url);
      return fetch(`${base('google')}${pathname}${search}`, init);
    };
    const client = (token: string) => {
      const oauth = new googleAuth.OAuth2({ transporterOptions: { fetchImplementation: viaLatchkey } });
      oauth.setCredentials({ access_token: token });
      return calendar({ version: 'v3', auth: oauth });
    };
    const cal = client(world.full);
    assert.equal((await cal.calendarList.list()).data.items?.[0]?.id, 'ada@example.com');
    assert.equal((await cal.events.list({ calendarId: 'primary' })).data.items?.[0]?.summary, 'Design review');
    assert.equal(
      (await cal.events.insert({ calendarId: 'primary', requestBody: { summary: 'Through Latchkey' } })).data.id,
      'e2',
    );
    assert.deepEqual(
      seen('google').map((r) => `${r.method} ${r.path}`),
      [
        'GET /calendar/v3/users/me/calendarList',
        'GET /calendar/v3/calendars/primary/events',
        'POST /calendar/v3/calendars/primary/events',
      ],
    );
    world.assertInjected('google', EXPECTED_CREDENTIAL.google!);

    const error = (await thrown(() =>
      client(world.narrow.token).events.insert({ calendarId: 'primary', requestBody: { summary: 'Denied' } }),
    )) as Error & { status?: number };
    assert.equal(error.status, 403, inspect(error));
    assert.equal(
      error.message,
      `POST /calendar/v3/calendars/primary/events on "google" needs one of the scopes ${G}calendar.events; ask the person to grant one`,
    );
    await world.assertDeniedOnce('google', '/calendar/v3/calendars/primary/events');
  });

  test('Microsoft Graph (@microsoft/microsoft-graph-client): baseUrl, and a middleware that adds the token over plain http', async () => {
    // The client's own AuthenticationHandler sends the token only to https hosts (Graph's, or
    // `customHosts`), and Latchkey listens on plain-http loopback: its documented custom
    // middleware chain takes one small handler that adds it instead.
    const bearer = (token: string): Middleware => {
      let next: Middleware | undefined;
      return {
        setNext: (middleware: Middleware) => {
          next = middleware;
        },
        execute: async (context: Context) => {
          context.options = {
            ...context.options,
            headers: { ...(context.options?.headers as Record<string, string>), Authorization: `Bearer ${token}` },
          };
          await next!.execute(context);
        },
      } as Middleware;
    };
    const client = (token: string) => {
      const [auth, retry, http] = [bearer(token), new RetryHandler(), new HTTPMessageHandler()];
      auth.setNext!(retry);
      retry.setNext(http);
      return GraphClient.initWithMiddleware({
        baseUrl: `${base('microsoft')}/`,
        defaultVersion: 'v1.0',
        middleware: auth,
      });
    };
    const graph = client(world.full);
    assert.equal((await graph.api('/me').get()).displayName, 'Ada Lovelace');
    assert.equal((await graph.api('/me/messages').get()).value[0].subject, 'Plans');
    await graph.api('/me/sendMail').post({
      message: { subject: 'Through Latchkey', toRecipients: [{ emailAddress: { address: 'grace@example.com' } }] },
    });
    assert.deepEqual(
      seen('microsoft').map((r) => `${r.method} ${r.path}`),
      ['GET /v1.0/me', 'GET /v1.0/me/messages', 'POST /v1.0/me/sendMail'],
    );
    world.assertInjected('microsoft', EXPECTED_CREDENTIAL.microsoft!);

    const error = await thrown(() =>
      client(world.narrow.token)
        .api('/me/sendMail')
        .post({ message: { subject: 'Denied' } }),
    );
    assert.ok(error instanceof GraphError, inspect(error));
    assert.equal(error.statusCode, 403);
    assert.equal(error.code, 'insufficient_scope');
    assert.equal(
      error.message,
      'POST /v1.0/me/sendMail on "microsoft" needs one of the scopes Mail.Send; ask the person to grant one',
    );
    await world.assertDeniedOnce('microsoft', '/v1.0/me/sendMail');
  });

  test('HubSpot (@hubspot/api-client): basePath', async () => {
    const hubspot = new HubSpotClient({ accessToken: world.full, basePath: base('hubspot') });
    assert.equal((await hubspot.crm.contacts.basicApi.getPage()).results[0]?.id, '51');
    assert.equal((await hubspot.crm.contacts.basicApi.getById('51')).properties.email, 'ada@example.com');
    assert.equal(
      (await hubspot.crm.contacts.basicApi.create({ properties: { email: 'grace@example.com' }, associations: [] })).id,
      '52',
    );
    assert.deepEqual(
      seen('hubspot').map((r) => `${r.method} ${r.path}`),
      ['GET /crm/v3/objects/contacts', 'GET /crm/v3/objects/contacts/51', 'POST /crm/v3/objects/contacts'],
    );
    world.assertInjected('hubspot', EXPECTED_CREDENTIAL.hubspot!);

    const reader = new HubSpotClient({ accessToken: world.narrow.token, basePath: base('hubspot') });
    const error = (await thrown(() =>
      reader.crm.contacts.basicApi.create({ properties: { email: 'denied@example.com' }, associations: [] }),
    )) as Error & { code: number; body: Record<string, any> };
    assert.equal(error.code, 403, inspect(error));
    assert.match(error.message, /^HTTP-Code: 403\nMessage: /);
    assert.ok(
      error.message.includes(
        'POST /crm/v3/objects/contacts on \\"hubspot\\" needs one of the scopes crm.objects.contacts.write; ask the person to grant one',
      ),
      error.message,
    );
    assert.deepEqual(error.body.required_scopes, ['crm.objects.contacts.write']);
    await world.assertDeniedOnce('hubspot', '/crm/v3/objects/contacts');
  });

  test('Dropbox (dropbox): its documented fetch option, prefixing the proxy path', async () => {
    // The SDK builds https://api.dropboxapi.com/2/… itself (only the domain is configurable).
    const viaLatchkey = (url: string, init: RequestInit) => {
      const { pathname, search } = new URL(url);
      return fetch(`${base('dropbox')}${pathname}${search}`, init);
    };
    const dropbox = new Dropbox({ accessToken: world.full, fetch: viaLatchkey });
    assert.equal((await dropbox.usersGetCurrentAccount()).result.email, 'ada@example.com');
    assert.equal((await dropbox.filesListFolder({ path: '' })).result.entries[0]?.name, 'Plans');
    assert.equal((await dropbox.filesCreateFolderV2({ path: '/Latchkey' })).result.metadata.path_lower, '/latchkey');
    assert.deepEqual(
      seen('dropbox').map((r) => `${r.method} ${r.path}`),
      ['POST /2/users/get_current_account', 'POST /2/files/list_folder', 'POST /2/files/create_folder_v2'],
    );
    world.assertInjected('dropbox', EXPECTED_CREDENTIAL.dropbox!);

    const reader = new Dropbox({ accessToken: world.narrow.token, fetch: viaLatchkey });
    const error = await thrown(() => reader.filesCreateFolderV2({ path: '/Denied' }));
    assert.ok(error instanceof DropboxResponseError, inspect(error));
    assert.equal(error.status, 403);
    assert.equal(
      error.error.error_description,
      'POST /2/files/create_folder_v2 on "dropbox" needs one of the scopes files.content.write; ask the person to grant one',
    );
    await world.assertDeniedOnce('dropbox', '/2/files/create_folder_v2');
  });

  test('GitLab (@gitbeaker/rest): host, the agent token as its PRIVATE-TOKEN', async () => {
    const gitlab = new Gitlab({ host: base('gitlab'), token: world.full });
    assert.equal((await gitlab.Users.showCurrentUser()).username, 'ada');
    assert.equal((await gitlab.Projects.show(42)).id, 42);
    assert.equal((await gitlab.Issues.create(42, 'Through Latchkey')).iid, 7);
    assert.deepEqual(
      seen('gitlab').map((r) => `${r.method} ${r.path}`),
      ['GET /api/v4/user', 'GET /api/v4/projects/42', 'POST /api/v4/projects/42/issues'],
    );
    world.assertInjected('gitlab', EXPECTED_CREDENTIAL.gitlab!);

    const reader = new Gitlab({ host: base('gitlab'), token: world.narrow.token });
    const error = await thrown(() => reader.Issues.create(42, 'Denied'));
    assert.ok(error instanceof GitbeakerRequestError, inspect(error));
    assert.equal(
      error.message,
      'POST /api/v4/projects/42/issues on "gitlab" needs one of the scopes api; ask the person to grant one',
    );
    await world.assertDeniedOnce('gitlab', '/api/v4/projects/42/issues');
  });

  test('Mailchimp (@mailchimp/mailchimp_marketing): basePath, the agent token as its OAuth access token', async () => {
    const use = (token: string) => {
      mailchimp.basePath = `${base('mailchimp')}`;
      mailchimp.setConfig({ accessToken: token });
    };
    use(world.full);
    assert.equal((await mailchimp.lists.getAllLists()).lists[0]?.name, 'Newsletter');
    assert.equal(
      (await mailchimp.lists.getListMember('57afe96172', '62eeb292278cc15f5817cb78f7790b08')).email_address,
      'ada@example.com',
    );
    assert.equal(
      (await mailchimp.lists.addListMember('57afe96172', { email_address: 'grace@example.com', status: 'subscribed' }))
        .email_address,
      'grace@example.com',
    );
    assert.deepEqual(
      seen('mailchimp').map((r) => `${r.method} ${r.path}`),
      [
        'GET /3.0/lists',
        'GET /3.0/lists/57afe96172/members/62eeb292278cc15f5817cb78f7790b08',
        'POST /3.0/lists/57afe96172/members',
      ],
    );
    world.assertInjected('mailchimp', EXPECTED_CREDENTIAL.mailchimp!);

    use(world.narrow.token);
    const error = (await thrown(() =>
      mailchimp.lists.addListMember('57afe96172', { email_address: 'denied@example.com', status: 'subscribed' }),
    )) as Error & { status: number; response: { body: Record<string, any> } };
    assert.equal(error.status, 403, inspect(error));
    assert.equal(error.response.body.title, 'insufficient_scope');
    assert.equal(
      error.response.body.detail,
      'POST /lists/57afe96172/members on "mailchimp" needs one of the scopes audience:write; ask the person to grant one',
    );
    await world.assertDeniedOnce('mailchimp', '/lists/57afe96172/members');
  });

  test('Twilio (twilio): its documented custom HTTP client, prefixing the proxy path; the agent token as the auth token', async () => {
    // Twilio's SDK takes no base URL (only region and edge): a RequestClient that moves each URI.
    class ViaLatchkey extends twilio.RequestClient {
      override request<TData>(opts: TwilioRequestClient.RequestOptions<TData>) {
        const { pathname, search } = new URL(opts.uri);
        return super.request<TData>({ ...opts, uri: `${base('twilio')}${pathname}${search}` });
      }
    }
    const client = (token: string) => twilio(ACCOUNT, token, { httpClient: new ViaLatchkey() });
    const sdk = client(world.full);
    assert.equal((await sdk.api.v2010.accounts(ACCOUNT).fetch()).friendlyName, 'Ada');
    assert.deepEqual(
      (await sdk.messages.list({ limit: 1 })).map((m) => m.body),
      ['Hello'],
    );
    assert.equal(
      (await sdk.messages.create({ to: '+15005550006', from: '+15005550001', body: 'Through Latchkey' })).body,
      'Through Latchkey',
    );
    assert.deepEqual(
      seen('twilio').map((r) => `${r.method} ${r.path}`),
      [
        `GET /2010-04-01/Accounts/${ACCOUNT}.json`,
        `GET /2010-04-01/Accounts/${ACCOUNT}/Messages.json`,
        `POST /2010-04-01/Accounts/${ACCOUNT}/Messages.json`,
      ],
    );
    world.assertInjected('twilio', EXPECTED_CREDENTIAL.twilio!);

    const error = (await thrown(() =>
      client(world.narrow.token).messages.create({ to: '+15005550006', from: '+15005550001', body: 'Denied' }),
    )) as Error & { status: number; moreInfo?: string };
    assert.equal(error.status, 403, inspect(error));
    assert.equal(
      error.message,
      `POST /2010-04-01/Accounts/${ACCOUNT}/Messages.json on "twilio" needs one of the scopes messages; ask the person to grant one`,
    );
    await world.assertDeniedOnce('twilio', `/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
  });

  test('Airtable (airtable): endpointUrl', async () => {
    const tasks = (token: string) =>
      new Airtable({ apiKey: token, endpointUrl: base('airtable') }).base('appAbc123')('Tasks');
    const table = tasks(world.full);
    assert.deepEqual(
      (await table.select().firstPage()).map((r) => r.get('Name')),
      ['Design review'],
    );
    assert.equal((await table.find('rec1')).get('Name'), 'Design review');
    assert.equal((await table.create({ Name: 'Through Latchkey' })).id, 'rec2');
    assert.deepEqual(
      seen('airtable').map((r) => `${r.method} ${r.path}`),
      ['GET /v0/appAbc123/Tasks', 'GET /v0/appAbc123/Tasks/rec1', 'POST /v0/appAbc123/Tasks/'],
    );
    world.assertInjected('airtable', EXPECTED_CREDENTIAL.airtable!);

    // Airtable's SDK replaces the message of every 403 with its own fixed sentence: the
    // refusal is typed and immediate, but the missing scope is not in it.
    const error = (await thrown(() => tasks(world.narrow.token).create({ Name: 'Denied' }))) as unknown as {
      error: string;
      message: string;
      statusCode: number;
    };
    assert.equal(error.statusCode, 403);
    assert.equal(error.error, 'NOT_AUTHORIZED');
    assert.equal(error.message, 'You are not authorized to perform this operation');
    await world.assertDeniedOnce('airtable', '/v0/appAbc123/Tasks/?'); // the audit keeps the path as sent
  });
});
