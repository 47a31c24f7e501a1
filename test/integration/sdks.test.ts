import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Octokit } from '@octokit/rest';
import OpenAI from 'openai';
import Stripe from 'stripe';
import { WebClient, LogLevel, type Logger } from '@slack/web-api';
import { APIErrorCode, Client as NotionClient, isNotionClientError } from '@notionhq/client';
import { LinearClient, LinearErrorType, type LinearError } from '@linear/sdk';
import type { StandInRequest } from '../fixtures/api-stand-in.js';
import { sdkWorldForSuite, thrown } from '../fixtures/sdk-calls.js';

/**
 * The providers' own Node SDKs, unmodified, pointed at `latchkey serve` the way the
 * README's "Pointing an agent at it" says, against local stand-ins of the APIs that answer
 * like the real ones. Each connection runs the built-in definition (rules, token schemes,
 * error dialect) with only its host moved to the stand-in.
 */

/** The provider credential each connection holds: what the stand-in must see, and the agent never. */
const KEYS: Record<string, string> = {
  github: 'ghp_standin_github_key',
  openai: 'sk-standin-openai-key',
  stripe: 'rk_test_standin_stripe_key',
  slack: 'xoxp-standin-slack-key',
  notion: 'ntn_standin_notion_key',
  linear: 'lin_api_standin_linear_key',
};
/** How each provider's API expects its credential. */
const EXPECTED_CREDENTIAL: Record<string, [string, string]> = {
  github: ['authorization', `Bearer ${KEYS.github}`],
  openai: ['authorization', `Bearer ${KEYS.openai}`],
  stripe: ['authorization', `Bearer ${KEYS.stripe}`],
  slack: ['authorization', `Bearer ${KEYS.slack}`],
  notion: ['authorization', `Bearer ${KEYS.notion}`],
  linear: ['authorization', KEYS.linear!],
};

const json = (body: unknown, status = 200) => ({ status, body });

/** The stand-ins: the paths, methods and version headers each API really has (and the SDK really sends). */
const ROUTES = {
  github: (r: StandInRequest) => {
    if (r.headers.accept !== 'application/vnd.github.v3+json') return json({ message: 'Unsupported Accept' }, 415);
    if (r.method === 'GET' && r.path === '/user') return json({ login: 'ada', id: 1, type: 'User' });
    if (r.method === 'GET' && r.path === '/repos/ada/engine')
      return json({ id: 7, name: 'engine', full_name: 'ada/engine', private: true });
    if (r.method === 'POST' && r.path === '/repos/ada/engine/issues')
      return json({ number: 42, title: (JSON.parse(r.body) as { title: string }).title, state: 'open' }, 201);
    return undefined;
  },
  openai: (r: StandInRequest) => {
    const model = { id: 'gpt-4o', object: 'model', created: 1715367049, owned_by: 'system' };
    if (r.method === 'GET' && r.path === '/v1/models') return json({ object: 'list', data: [model] });
    if (r.method === 'GET' && r.path === '/v1/models/gpt-4o') return json(model);
    if (r.method === 'POST' && r.path === '/v1/chat/completions') {
      return json({
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'gpt-4o',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, Ada.' }, finish_reason: 'stop' }],
      });
    }
    return undefined;
  },
  stripe: (r: StandInRequest) => {
    if (!/^\d{4}-\d{2}-\d{2}/.test(String(r.headers['stripe-version'])))
      return json({ error: { type: 'invalid_request_error', message: 'Stripe-Version missing' } }, 400);
    const customer = { id: 'cus_1', object: 'customer', email: 'ada@example.com' };
    if (r.method === 'GET' && r.path === '/v1/customers')
      return json({ object: 'list', url: '/v1/customers', has_more: false, data: [customer] });
    if (r.method === 'GET' && r.path === '/v1/customers/cus_1') return json(customer);
    if (r.method === 'POST' && r.path === '/v1/customers')
      return json({ ...customer, id: 'cus_2', email: new URLSearchParams(r.body).get('email') });
    return undefined;
  },
  slack: (r: StandInRequest) => {
    // Slack's Web API: POST /api/<method>, form-encoded, always 200 with {ok}.
    if (r.method !== 'POST' || r.headers['content-type'] !== 'application/x-www-form-urlencoded')
      return json({ ok: false, error: 'invalid_request' });
    const form = new URLSearchParams(r.body);
    if (r.path === '/api/conversations.list')
      return json({ ok: true, channels: [{ id: 'C1', name: 'general' }], response_metadata: { next_cursor: '' } });
    if (r.path === '/api/users.info') return json({ ok: true, user: { id: form.get('user'), name: 'ada' } });
    if (r.path === '/api/chat.postMessage')
      return json({
        ok: true,
        channel: form.get('channel'),
        ts: '1700000000.000100',
        message: { text: form.get('text') },
      });
    return json({ ok: false, error: 'unknown_method' });
  },
  notion: (r: StandInRequest) => {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(String(r.headers['notion-version'])))
      return json(
        { object: 'error', status: 400, code: 'missing_version', message: 'Notion-Version header failed validation' },
        400,
      );
    if (r.method === 'GET' && r.path === '/v1/users/me')
      return json({ object: 'user', id: 'u1', type: 'bot', bot: {} });
    if (r.method === 'POST' && r.path === '/v1/search')
      return json({ object: 'list', results: [], next_cursor: null, has_more: false });
    if (r.method === 'POST' && r.path === '/v1/data_sources/ds1/query')
      return json({ object: 'list', results: [{ object: 'page', id: 'p7' }], next_cursor: null, has_more: false });
    if (r.method === 'POST' && r.path === '/v1/pages') return json({ object: 'page', id: 'p1', properties: {} });
    return json({ object: 'error', status: 400, code: 'invalid_request_url', message: 'Invalid request URL.' }, 400);
  },
  linear: (r: StandInRequest) => {
    if (r.method !== 'POST' || r.path !== '/graphql') return undefined;
    const query = (JSON.parse(r.body) as { query: string }).query.trim();
    if (/^query viewer\b/.test(query))
      return json({ data: { viewer: { id: 'u1', name: 'Ada', email: 'ada@example.com' } } });
    if (/^query users\b/.test(query))
      return json({
        data: {
          users: {
            nodes: [
              { id: 'u1', name: 'Ada' },
              { id: 'u2', name: 'Grace' },
            ],
            pageInfo: { hasNextPage: false, hasPreviousPage: false },
          },
        },
      });
    if (/^mutation createIssue\b/.test(query))
      return json({ data: { issueCreate: { success: true, lastSyncId: 1, issue: { id: 'i2' } } } });
    return json({ errors: [{ message: `unknown operation ${query.slice(0, 40)}` }] }, 400);
  },
};

describe('official SDKs through latchkey serve', () => {
  const world = sdkWorldForSuite({
    routes: ROUTES,
    keys: KEYS,
    personalToken: (id) => ['github', 'slack', 'notion', 'linear'].includes(id),
    full: [
      { connection: 'github', scopes: ['repo'] },
      { connection: 'openai', scopes: ['read', 'inference'] },
      { connection: 'stripe', scopes: ['read', 'write'] },
      { connection: 'slack', scopes: ['channels:read', 'users:read', 'chat:write'] },
      { connection: 'notion', scopes: ['read_content', 'insert_content'] },
      { connection: 'linear', scopes: ['*'] },
    ],
    narrow: [
      { connection: 'github', scopes: ['read:org'] },
      { connection: 'openai', scopes: ['read'] },
      { connection: 'stripe', scopes: ['read'] },
      { connection: 'slack', scopes: ['channels:read'] },
      { connection: 'notion', scopes: ['read_content'] },
      { connection: 'linear', scopes: ['read'] },
    ],
  });
  const { base, seen } = world;

  test('Octokit (@octokit/rest): baseUrl', async () => {
    const octokit = new Octokit({ auth: world.full, baseUrl: base('github') });
    assert.equal((await octokit.rest.users.getAuthenticated()).data.login, 'ada');
    assert.equal((await octokit.rest.repos.get({ owner: 'ada', repo: 'engine' })).data.full_name, 'ada/engine');
    assert.equal(
      (await octokit.rest.issues.create({ owner: 'ada', repo: 'engine', title: 'Through Latchkey' })).data.number,
      42,
    );
    assert.deepEqual(
      seen('github').map((r) => `${r.method} ${r.path}`),
      ['GET /user', 'GET /repos/ada/engine', 'POST /repos/ada/engine/issues'],
    );
    world.assertInjected('github', EXPECTED_CREDENTIAL.github!);

    const reader = new Octokit({ auth: world.narrow.token, baseUrl: base('github') });
    const error = (await thrown(() =>
      reader.rest.issues.create({ owner: 'ada', repo: 'engine', title: 'Denied' }),
    )) as Error & { status: number; response?: { data: Record<string, any>; headers: Record<string, string> } };
    assert.equal(error.name, 'HttpError');
    assert.equal(error.status, 403);
    assert.match(
      error.message,
      /POST \/repos\/ada\/engine\/issues on "github" needs one of the scopes repo, public_repo; ask the person to grant one - http:\/\/127\.0\.0\.1:\d+\/llms\.txt/,
    );
    assert.deepEqual(error.response?.data.latchkey.required_scopes, ['repo', 'public_repo']);
    assert.equal(error.response?.headers['x-latchkey-error'], 'insufficient_scope');
    assert.match(String(error.response?.headers['www-authenticate']), /error="insufficient_scope"/);
    await world.assertDeniedOnce('github', '/repos/ada/engine/issues');
  });

  test('OpenAI (openai): baseURL', async () => {
    const openai = new OpenAI({ apiKey: world.full, baseURL: base('openai') });
    assert.deepEqual(
      (await openai.models.list()).data.map((m) => m.id),
      ['gpt-4o'],
    );
    assert.equal((await openai.models.retrieve('gpt-4o')).owned_by, 'system');
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o',
      messages: [{ role: 'user', content: 'Hello' }],
    });
    assert.equal(completion.choices[0]?.message.content, 'Hello, Ada.');
    assert.deepEqual(
      seen('openai').map((r) => `${r.method} ${r.path}`),
      ['GET /v1/models', 'GET /v1/models/gpt-4o', 'POST /v1/chat/completions'],
    );
    world.assertInjected('openai', EXPECTED_CREDENTIAL.openai!);

    const reader = new OpenAI({ apiKey: world.narrow.token, baseURL: base('openai') });
    const error = await thrown(() =>
      reader.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'Hello' }] }),
    );
    assert.ok(error instanceof OpenAI.PermissionDeniedError, inspect(error));
    assert.equal(
      error.message,
      '403 POST /chat/completions on "openai" needs one of the scopes inference; ask the person to grant one',
    );
    assert.equal(error.code, 'insufficient_scope');
    await world.assertDeniedOnce('openai', '/chat/completions');
  });

  test('Stripe (stripe): its documented custom HTTP client, prefixing the proxy path', async () => {
    const stripeFor = (token: string) =>
      new Stripe(token, {
        httpClient: Stripe.createFetchHttpClient((url, init) => {
          const { pathname, search } = new URL(String(url));
          return fetch(`${base('stripe')}${pathname}${search}`, init);
        }),
      });
    const stripe = stripeFor(world.full);
    assert.deepEqual(
      (await stripe.customers.list()).data.map((c) => c.id),
      ['cus_1'],
    );
    assert.equal(((await stripe.customers.retrieve('cus_1')) as Stripe.Customer).email, 'ada@example.com');
    assert.equal((await stripe.customers.create({ email: 'grace@example.com' })).email, 'grace@example.com');
    assert.deepEqual(
      seen('stripe').map((r) => `${r.method} ${r.path}`),
      ['GET /v1/customers', 'GET /v1/customers/cus_1', 'POST /v1/customers'],
    );
    world.assertInjected('stripe', EXPECTED_CREDENTIAL.stripe!);

    const error = await thrown(() => stripeFor(world.narrow.token).customers.create({ email: 'denied@example.com' }));
    assert.ok(error instanceof Stripe.errors.StripePermissionError, inspect(error));
    assert.equal(
      error.message,
      'POST /v1/customers on "stripe" needs one of the scopes write; ask the person to grant one',
    );
    await world.assertDeniedOnce('stripe', '/v1/customers');
  });

  test("Slack (@slack/web-api): slackApiUrl; a missing scope is Slack's own missing_scope, at once", async () => {
    const slack = new WebClient(world.full, { slackApiUrl: `${base('slack')}/` });
    assert.equal((await slack.conversations.list()).channels?.[0]?.name, 'general');
    assert.equal((await slack.users.info({ user: 'U1' })).user?.name, 'ada');
    assert.equal((await slack.chat.postMessage({ channel: 'C1', text: 'Through Latchkey' })).ts, '1700000000.000100');
    assert.deepEqual(
      seen('slack').map((r) => `${r.method} ${r.path}`),
      ['POST /api/conversations.list', 'POST /api/users.info', 'POST /api/chat.postMessage'],
    );
    world.assertInjected('slack', EXPECTED_CREDENTIAL.slack!);

    const logged: string[] = [];
    const logger: Logger = {
      debug: () => {},
      info: () => {},
      warn: (...m) => void logged.push(m.join(' ')),
      error: (...m) => void logged.push(m.join(' ')),
      setLevel: () => {},
      getLevel: () => LogLevel.INFO,
      setName: () => {},
    };
    const reader = new WebClient(world.narrow.token, { slackApiUrl: `${base('slack')}/`, logger });
    const error = (await thrown(() => reader.chat.postMessage({ channel: 'C1', text: 'Denied' }))) as Error & {
      code: string;
      data: Record<string, any>;
    };
    assert.equal(error.code, 'slack_webapi_platform_error');
    assert.equal(error.message, 'An API error occurred: missing_scope');
    assert.equal(error.data.needed, 'chat:write');
    assert.equal(error.data.provided, 'channels:read');
    // What an uncaught error prints, and what the WebClient logs: the missing scope and what to do.
    assert.match(inspect(error), /needed: 'chat:write'/);
    assert.ok(
      logged.some((line) =>
        line.includes(
          'POST /chat.postMessage on "slack" needs one of the scopes chat:write; ask the person to grant one',
        ),
      ),
      logged.join('\n'),
    );
    await world.assertDeniedOnce('slack', '/chat.postMessage');
  });

  test('Notion (@notionhq/client): baseUrl without /v1, as the SDK appends it', async () => {
    const notion = new NotionClient({ auth: world.full, baseUrl: base('notion') });
    assert.equal((await notion.users.me({})).id, 'u1');
    assert.deepEqual((await notion.search({ query: 'plans' })).results, []);
    // Notion's 2025-09-03 API, the SDK's default version: databases are queried through their data sources.
    assert.deepEqual(
      (await notion.dataSources.query({ data_source_id: 'ds1' })).results.map((page) => page.id),
      ['p7'],
    );
    assert.equal((await notion.pages.create({ parent: { page_id: 'p0' }, properties: {} })).id, 'p1');
    assert.deepEqual(
      seen('notion').map((r) => `${r.method} ${r.path}`),
      ['GET /v1/users/me', 'POST /v1/search', 'POST /v1/data_sources/ds1/query', 'POST /v1/pages'],
    );
    world.assertInjected('notion', EXPECTED_CREDENTIAL.notion!);

    const reader = new NotionClient({ auth: world.narrow.token, baseUrl: base('notion') });
    const error = await thrown(() => reader.pages.create({ parent: { page_id: 'p0' }, properties: {} }));
    assert.ok(isNotionClientError(error), inspect(error));
    assert.equal((error as { code?: string }).code, APIErrorCode.RestrictedResource);
    assert.equal(
      error.message,
      'POST /v1/pages on "notion" needs one of the scopes insert_content; ask the person to grant one',
    );
    await world.assertDeniedOnce('notion', '/v1/pages', 4);
  });

  test('Linear (@linear/sdk): apiUrl, the key as a bare Authorization header', async () => {
    const linear = new LinearClient({ apiKey: world.full, apiUrl: `${base('linear')}/graphql` });
    assert.equal((await linear.viewer).name, 'Ada');
    assert.deepEqual(
      (await linear.users()).nodes.map((user) => user.name),
      ['Ada', 'Grace'],
    );
    assert.equal((await linear.createIssue({ teamId: 't1', title: 'Through Latchkey' })).success, true);
    assert.deepEqual(
      seen('linear').map((r) => `${r.method} ${r.path}`),
      ['POST /graphql', 'POST /graphql', 'POST /graphql'],
    );
    world.assertInjected('linear', EXPECTED_CREDENTIAL.linear!);

    const reader = new LinearClient({ apiKey: world.narrow.token, apiUrl: `${base('linear')}/graphql` });
    const error = (await thrown(() => reader.createIssue({ teamId: 't1', title: 'Denied' }))) as LinearError;
    assert.equal(error.type, LinearErrorType.Forbidden);
    assert.match(
      error.message,
      /POST \/graphql on "linear" can do anything the connection can, so it needs a grant covering every scope the connection holds \(read, write, issues:create, comments:create, timeSchedule:write\) or "\*"; ask the person for that grant/,
    );
    await world.assertDeniedOnce('linear', '/graphql');
  });

  test("a scheme one definition declares is refused on the others' connections", async () => {
    const bare = { authorization: world.full, accept: 'application/vnd.github.v3+json' };
    const before = seen('github').length;
    const refused = await fetch(`${base('github')}/user`, { headers: bare });
    assert.equal(refused.status, 401);
    assert.equal(refused.headers.get('x-latchkey-error'), 'missing_token');
    assert.equal(seen('github').length, before, 'nothing reached GitHub');
    // The same token in the same bare header is Linear's SDK's scheme, accepted there.
    const accepted = await fetch(`${base('linear')}/graphql`, {
      method: 'POST',
      headers: { authorization: world.full, 'content-type': 'application/json' },
      body: JSON.stringify({ query: 'query viewer { viewer { id } }' }),
    });
    assert.equal(accepted.status, 200);
    // Without a token nothing is known of the connection: Latchkey's own JSON, whatever the provider.
    const anonymous = await fetch(`${base('linear')}/graphql`, { method: 'POST' });
    assert.equal(anonymous.status, 401);
    assert.equal(((await anonymous.json()) as { error: string }).error, 'missing_token');
  });

  test("the kill switch reads as the SDK's own error too, and stops at once", async () => {
    await world.broker.admin('/pause', {});
    try {
      const openai = await thrown(() => new OpenAI({ apiKey: world.full, baseURL: base('openai') }).models.list());
      assert.ok(openai instanceof OpenAI.PermissionDeniedError, inspect(openai));
      assert.equal(openai.message, '403 Latchkey is paused: agents can do nothing until the person resumes it.');
      const slack = (await thrown(() =>
        new WebClient(world.full, { slackApiUrl: `${base('slack')}/` }).conversations.list(),
      )) as Error & { data: Record<string, any> };
      assert.equal(slack.message, 'An API error occurred: paused');
      assert.equal(
        slack.data.latchkey.error_description,
        'Latchkey is paused: agents can do nothing until the person resumes it.',
      );
    } finally {
      await world.broker.admin('/resume', {});
    }
  });
});
