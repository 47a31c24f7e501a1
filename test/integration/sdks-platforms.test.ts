import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { Vercel } from '@vercel/sdk';
import { SDKError } from '@vercel/sdk/models/sdkerror.js';
import { SpotifyApi } from '@spotify/web-api-ts-sdk';
import { Client as XClient, ApiError as XApiError } from '@xdevplatform/xdk';
import { createAdminApiClient, createAdminRestApiClient } from '@shopify/admin-api-client';
import mondayApi, { ApiClient as MondayClient } from '@mondaydotcomorg/api';
import { DiscordAPIError, REST } from '@discordjs/rest';
import type { StandInRequest } from '../fixtures/api-stand-in.js';
import { sdkWorldForSuite, thrown, within } from '../fixtures/sdk-calls.js';

/**
 * Platform providers' official Node SDKs, unmodified, through `latchkey serve` (the pattern of
 * sdks.test.ts): each built-in definition with only its host moved to a local stand-in that
 * answers like the real API, two reads and a write with the provider credential injected,
 * and a call outside the grant refused by the SDK at once with the missing scope in it.
 */

const KEYS: Record<string, string> = {
  vercel: 'vercel_standin_token',
  spotify: 'BQ.standin-spotify-token',
  x: 'x.standin-oauth2-token',
  shopify: 'shpat_standin_shopify_token',
  monday: 'eyJhbGciOiJIUzI1NiJ9.standin-monday',
  'discord-bot': 'MTA.standin.discord-bot-token',
};
/** Header and value each API expects its credential in. */
const EXPECTED_CREDENTIAL: Record<string, [string, string]> = {
  vercel: ['authorization', `Bearer ${KEYS.vercel}`],
  spotify: ['authorization', `Bearer ${KEYS.spotify}`],
  x: ['authorization', `Bearer ${KEYS.x}`],
  shopify: ['x-shopify-access-token', KEYS.shopify!],
  monday: ['authorization', KEYS.monday!],
  'discord-bot': ['authorization', `Bot ${KEYS['discord-bot']}`],
};
const CHANNEL = '81384788765712384';
// The monday SDK re-exports graphql-request's ClientError through a getter, which Node's ESM import of CommonJS cannot name.
const { ClientError: MondayClientError } = mondayApi;

const json = (body: unknown, status = 200) => ({ status, body });
const bodyOf = <T>(r: StandInRequest) => JSON.parse(r.body) as T;

/** A Vercel project as its SDK validates it (the fields its response schema requires). */
const project = (name: string) => ({
  id: 'prj_1',
  name,
  accountId: 'team_1',
  framework: 'nextjs',
  nodeVersion: '22.x',
  directoryListing: false,
  alias: [],
  deploymentExpiration: {},
  resourceConfig: { functionDefaultRegions: ['iad1'] },
  defaultResourceConfig: { functionDefaultRegions: ['iad1'] },
  createdAt: 1767225600000,
  updatedAt: 1767225600000,
});

/** The stand-ins: each API's real paths, methods and version headers, as its SDK sends them. */
const ROUTES = {
  // Vercel's REST API: versioned paths on https://api.vercel.com, JSON.
  vercel: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/v2/user')
      return json({
        user: {
          id: 'u1',
          email: 'ada@example.com',
          name: 'Ada',
          username: 'ada',
          avatar: null,
          defaultTeamId: null,
          createdAt: 1767225600000,
          softBlock: null,
          billing: null,
          resourceConfig: {},
          stagingPrefix: 'ada',
          hasTrialAvailable: false,
        },
      });
    if (r.method === 'GET' && r.path === '/v10/projects')
      return json({ projects: [project('engine')], pagination: { count: 1, next: null, prev: null } });
    if (r.method === 'PATCH' && r.path === '/v9/projects/prj_1') return json(project(bodyOf<{ name: string }>(r).name));
    return json({ error: { code: 'not_found', message: 'The requested path was not found' } }, 404);
  },
  // Spotify's Web API: https://api.spotify.com/v1/…, JSON.
  spotify: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/v1/me')
      return json({ id: 'ada', display_name: 'Ada', email: 'ada@example.com', type: 'user', uri: 'spotify:user:ada' });
    if (r.method === 'GET' && r.path === '/v1/me/playlists')
      return json({
        href: 'https://api.spotify.com/v1/me/playlists?offset=0&limit=20',
        items: [{ id: 'pl1', name: 'Focus', type: 'playlist', uri: 'spotify:playlist:pl1' }],
        limit: 20,
        next: null,
        offset: 0,
        previous: null,
        total: 1,
      });
    if (r.method === 'POST' && r.path === '/v1/playlists/pl1/tracks' && bodyOf<{ uris: string[] }>(r).uris.length)
      return json({ snapshot_id: 'snap2' }, 201);
    return json({ error: { status: 404, message: 'Service not found' } }, 404);
  },
  // X API v2: https://api.x.com/2/…, JSON; errors are problem details.
  x: (r: StandInRequest) => {
    if (r.method === 'GET' && r.path === '/2/users/me')
      return json({ data: { id: '2244994945', name: 'Ada', username: 'ada' } });
    if (r.method === 'GET' && r.path === '/2/tweets/search/recent' && new URLSearchParams(r.query).get('query'))
      return json({ data: [{ id: '1460323737035677698', text: 'Hello' }], meta: { result_count: 1 } });
    if (r.method === 'POST' && r.path === '/2/tweets')
      return json({ data: { id: '1460323737035677699', text: bodyOf<{ text: string }>(r).text } }, 201);
    return json({ title: 'Not Found Error', type: 'about:blank', status: 404, detail: 'Not Found' }, 404);
  },
  // Shopify's Admin API on the shop's host: /admin/api/<version>/graphql.json and the REST resources.
  shopify: (r: StandInRequest) => {
    if (r.method === 'POST' && r.path === '/admin/api/2026-01/graphql.json' && /\bshop\b/.test(r.body))
      return json({ data: { shop: { name: 'Acme' } } });
    if (r.method === 'GET' && r.path === '/admin/api/2026-01/products.json')
      return json({ products: [{ id: 632910392, title: 'IPod Nano' }] });
    if (r.method === 'POST' && r.path === '/admin/api/2026-01/products.json')
      return json({ product: { id: 1072481042, title: bodyOf<{ product: { title: string } }>(r).product.title } }, 201);
    return json({ errors: 'Not Found' }, 404);
  },
  // monday.com's GraphQL API: POST https://api.monday.com/v2 with an API-Version header.
  monday: (r: StandInRequest) => {
    if (r.method !== 'POST' || r.path !== '/v2') return json({ errors: [{ message: 'Not Found' }] }, 404);
    if (!/^\d{4}-\d{2}$/.test(String(r.headers['api-version'])))
      return json({ errors: [{ message: 'Invalid API version', extensions: { code: 'INVALID_VERSION' } }] }, 400);
    const { query, variables } = bodyOf<{ query: string; variables: Record<string, string> }>(r);
    if (/^\s*query getMeOp\b/.test(query))
      return json({ data: { me: { id: '1', name: 'Ada', email: 'ada@example.com' } } });
    if (/^\s*query getBoardGroupsOp\b/.test(query))
      return json({ data: { boards: [{ groups: [{ id: 'topics', title: 'Topics' }] }] } });
    if (/^\s*mutation createItemOp\b/.test(query))
      return json({ data: { create_item: { id: '9', name: variables.itemName } } });
    return json({ errors: [{ message: 'Unknown operation', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } }] });
  },
  // Discord's REST API: https://discord.com/api/v10/…, JSON; errors are {code, message}.
  'discord-bot': (r: StandInRequest) => {
    // Discord asks every client for a "DiscordBot (url, version)" User-Agent.
    if (!/^DiscordBot \(/.test(String(r.headers['user-agent'])))
      return json({ message: 'A DiscordBot User-Agent is required', code: 0 }, 400);
    if (r.method === 'GET' && r.path === '/api/v10/users/%40me')
      return json({ id: '80351110224678912', username: 'latchkey-bot', discriminator: '0', bot: true });
    if (r.method === 'GET' && r.path === `/api/v10/channels/${CHANNEL}/messages`)
      return json([{ id: '1', channel_id: CHANNEL, content: 'Hello' }]);
    if (r.method === 'POST' && r.path === `/api/v10/channels/${CHANNEL}/messages`)
      return json({ id: '2', channel_id: CHANNEL, content: bodyOf<{ content: string }>(r).content });
    return json({ message: '404: Not Found', code: 0 }, 404);
  },
};

describe('platform SDKs through latchkey serve', () => {
  const world = sdkWorldForSuite({
    routes: ROUTES,
    keys: KEYS,
    personalToken: (id) => ['spotify', 'x', 'monday'].includes(id),
    full: [
      { connection: 'vercel', scopes: ['read', 'write'] },
      { connection: 'spotify', scopes: ['user-read-email', 'playlist-read-private', 'playlist-modify-private'] },
      { connection: 'x', scopes: ['users.read', 'tweet.read', 'tweet.write'] },
      { connection: 'shopify', scopes: ['*'] },
      { connection: 'monday', scopes: ['*'] },
      { connection: 'discord-bot', scopes: ['read', 'write'] },
    ],
    narrow: [
      { connection: 'vercel', scopes: ['read'] },
      { connection: 'spotify', scopes: ['user-read-email', 'playlist-read-private'] },
      { connection: 'x', scopes: ['users.read', 'tweet.read'] },
      { connection: 'shopify', scopes: ['read_products'] },
      // Every scope but one: monday's single GraphQL rule needs them all.
      {
        connection: 'monday',
        scopes: ['me:read', 'boards:read', 'updates:read', 'updates:write', 'users:read', 'workspaces:read'],
      },
      { connection: 'discord-bot', scopes: ['read'] },
    ],
  });
  const { base, seen } = world;

  test('Vercel (@vercel/sdk): serverURL', async () => {
    const vercel = new Vercel({ bearerToken: world.full, serverURL: base('vercel') });
    assert.equal((await vercel.user.getAuthUser())?.user.username, 'ada');
    assert.deepEqual(
      ((await vercel.projects.getProjects({})) as { projects: { name: string }[] }).projects.map((p) => p.name),
      ['engine'],
    );
    assert.equal(
      (await vercel.projects.updateProject({ idOrName: 'prj_1', requestBody: { name: 'engine-2' } })).name,
      'engine-2',
    );
    assert.deepEqual(
      seen('vercel').map((r) => `${r.method} ${r.path}`),
      ['GET /v2/user', 'GET /v10/projects', 'PATCH /v9/projects/prj_1'],
    );
    world.assertInjected('vercel', EXPECTED_CREDENTIAL.vercel!);

    const reader = new Vercel({ bearerToken: world.narrow.token, serverURL: base('vercel') });
    const error = await thrown(() => reader.projects.updateProject({ idOrName: 'prj_1', requestBody: { name: 'x' } }));
    assert.ok(error instanceof SDKError, inspect(error));
    assert.equal(error.statusCode, 403);
    // Vercel's SDK prints the status and the body of any error it has no model for.
    assert.ok(
      error.message.startsWith('API error occurred: Status 403') &&
        error.message.includes(
          'PATCH /v9/projects/prj_1 on \\"vercel\\" needs one of the scopes write; ask the person to grant one',
        ),
      error.message,
    );
    await world.assertDeniedOnce('vercel', '/v9/projects/prj_1');
  });

  test("Spotify (@spotify/web-api-ts-sdk): its documented fetch option, in place of the SDK's root", async () => {
    // The SDK builds https://api.spotify.com/v1/… itself: its fetch option swaps that root for the connection's.
    const viaLatchkey = (url: RequestInfo | URL, init?: RequestInit) =>
      fetch(String(url).replace('https://api.spotify.com/v1', base('spotify')), init);
    const client = (token: string) =>
      SpotifyApi.withAccessToken(
        'latchkey-client-id',
        { access_token: token, token_type: 'Bearer', expires_in: 3600, refresh_token: '' },
        { fetch: viaLatchkey },
      );
    const spotify = client(world.full);
    assert.equal((await spotify.currentUser.profile()).display_name, 'Ada');
    assert.deepEqual(
      (await spotify.currentUser.playlists.playlists()).items.map((p) => p.name),
      ['Focus'],
    );
    await spotify.playlists.addItemsToPlaylist('pl1', ['spotify:track:4iV5W9uYEdYUVa79Axb7Rh']);
    assert.deepEqual(
      seen('spotify').map((r) => `${r.method} ${r.path}`),
      ['GET /v1/me', 'GET /v1/me/playlists', 'POST /v1/playlists/pl1/tracks'],
    );
    world.assertInjected('spotify', EXPECTED_CREDENTIAL.spotify!);

    const error = await thrown(() =>
      client(world.narrow.token).playlists.addItemsToPlaylist('pl1', ['spotify:track:4iV5W9uYEdYUVa79Axb7Rh']),
    );
    // The SDK's fixed sentence for any 403, then the body.
    assert.ok(
      error.message.startsWith('Bad OAuth request') &&
        error.message.includes(
          'POST /playlists/pl1/tracks on \\"spotify\\" needs one of the scopes playlist-modify-private, playlist-modify-public; ask the person to grant one',
        ),
      error.message,
    );
    await world.assertDeniedOnce('spotify', '/playlists/pl1/tracks');
  });

  test('X (@xdevplatform/xdk): baseUrl, the agent token as the OAuth 2.0 access token', async () => {
    const x = new XClient({ accessToken: world.full, baseUrl: base('x') });
    assert.equal((await x.users.getMe()).data?.username, 'ada');
    assert.equal((await x.posts.searchRecent('latchkey')).data?.[0]?.text, 'Hello');
    assert.equal((await x.posts.create({ text: 'Through Latchkey' })).data?.text, 'Through Latchkey');
    assert.deepEqual(
      seen('x').map((r) => `${r.method} ${r.path}`),
      ['GET /2/users/me', 'GET /2/tweets/search/recent', 'POST /2/tweets'],
    );
    world.assertInjected('x', EXPECTED_CREDENTIAL.x!);

    const reader = new XClient({ accessToken: world.narrow.token, baseUrl: base('x') });
    const error = await thrown(() => reader.posts.create({ text: 'Denied' }));
    assert.ok(error instanceof XApiError, inspect(error));
    assert.equal(error.status, 403);
    assert.equal(
      error.message,
      'POST /2/tweets on "x" needs one of the scopes tweet.write; ask the person to grant one',
    );
    await world.assertDeniedOnce('x', '/2/tweets');
  });

  test("Shopify (@shopify/admin-api-client): customFetchApi onto the connection's shop and API version", async () => {
    // The clients build https://<shop>/admin/api/<version>/… from storeDomain; the connection
    // holds the shop and the version (2026-01), so the fetch keeps only what follows them.
    const viaLatchkey = (url: string, init?: RequestInit) => {
      const { pathname, search } = new URL(url);
      return fetch(`${base('shopify')}${pathname.replace(/^\/admin\/api\/[^/]+/, '')}${search}`, init);
    };
    const options = (accessToken: string) => ({
      storeDomain: 'acme.myshopify.com',
      apiVersion: '2026-01',
      accessToken,
      customFetchApi: viaLatchkey,
    });
    const graphql = createAdminApiClient(options(world.full));
    const rest = createAdminRestApiClient(options(world.full));
    const shop = await graphql.request<{ shop: { name: string } }>('query { shop { name } }');
    assert.equal(shop.data?.shop.name, 'Acme', inspect(shop.errors));
    const products = await rest.get('products');
    assert.equal(products.status, 200);
    assert.deepEqual(
      ((await products.json()) as { products: { title: string }[] }).products.map((p) => p.title),
      ['IPod Nano'],
    );
    const created = await rest.post('products', { data: { product: { title: 'Through Latchkey' } } });
    assert.equal(created.status, 201);
    assert.equal(((await created.json()) as { product: { title: string } }).product.title, 'Through Latchkey');
    assert.deepEqual(
      seen('shopify').map((r) => `${r.method} ${r.path}`),
      [
        'POST /admin/api/2026-01/graphql.json',
        'GET /admin/api/2026-01/products.json',
        'POST /admin/api/2026-01/products.json',
      ],
    );
    world.assertInjected('shopify', EXPECTED_CREDENTIAL.shopify!);

    // Shopify's clients do not throw on an HTTP error: REST hands back the response, and
    // GraphQL returns `errors` with the status; the reason is in the body.
    const denied = await within(
      2000,
      createAdminRestApiClient(options(world.narrow.token)).post('products', {
        data: { product: { title: 'Denied' } },
      }),
    );
    assert.equal(denied.status, 403);
    assert.equal(
      ((await denied.json()) as { error_description: string }).error_description,
      'POST /products.json on "shopify" needs one of the scopes write_products; ask the person to grant one',
    );
    const refused = await within(
      2000,
      createAdminApiClient(options(world.narrow.token)).request('query { shop { name } }'),
    );
    assert.equal(refused.errors?.networkStatusCode, 403, inspect(refused));
    assert.equal(refused.errors?.message, 'GraphQL Client: Forbidden');
    const response = refused.errors?.response;
    assert.ok(response, 'the GraphQL error carries the HTTP response');
    assert.match(
      ((await response.json()) as { error_description: string }).error_description,
      /^POST \/graphql\.json on "shopify" can do anything the connection can, so it needs a grant covering every scope the connection holds \(read_products, write_products, read_orders, write_orders, read_customers, write_customers\)/,
    );
    await world.assertDeniedOnce('shopify', ['/products.json', '/graphql.json']);
  });

  test('monday.com (@mondaydotcomorg/api): endpoint, the key as a bare Authorization header', async () => {
    const monday = new MondayClient({ token: world.full, endpoint: `${base('monday')}/v2` });
    assert.equal((await monday.operations.getMeOp()).me?.name, 'Ada');
    assert.deepEqual(
      (await monday.operations.getBoardGroupsOp({ ids: ['1'] })).boards?.[0]?.groups?.map((g) => g?.title),
      ['Topics'],
    );
    assert.equal(
      (await monday.operations.createItemOp({ boardId: '1', groupId: 'topics', itemName: 'Through Latchkey' }))
        .create_item?.name,
      'Through Latchkey',
    );
    assert.deepEqual(
      seen('monday').map((r) => `${r.method} ${r.path}`),
      ['POST /v2', 'POST /v2', 'POST /v2'],
    );
    world.assertInjected('monday', EXPECTED_CREDENTIAL.monday!);

    const reader = new MondayClient({ token: world.narrow.token, endpoint: `${base('monday')}/v2` });
    const error = await thrown(() =>
      reader.operations.createItemOp({ boardId: '1', groupId: 'topics', itemName: 'Denied' }),
    );
    assert.ok(error instanceof MondayClientError, inspect(error));
    assert.equal(error.response.status, 403);
    assert.match(
      error.message,
      /^POST \/v2 on "monday" can do anything the connection can, so it needs a grant covering every scope the connection holds \(me:read, boards:read, boards:write, updates:read, updates:write, users:read, workspaces:read\) or "\*"; ask the person for that grant/,
    );
    assert.equal(error.response.errors?.[0]?.extensions?.code, 'FORBIDDEN');
    await world.assertDeniedOnce('monday', '/v2');
  });

  test('Discord (@discordjs/rest): api, the agent token as the bot token (Bot <token>)', async () => {
    const client = (token: string) => new REST({ api: base('discord-bot') }).setToken(token);
    const discord = client(world.full);
    // Routes.user() is "/users/@me", refused by the proxy (a raw "@" in a path); Discord reads "%40me" alike.
    assert.equal(((await discord.get('/users/%40me')) as { username: string }).username, 'latchkey-bot');
    assert.deepEqual(
      ((await discord.get(`/channels/${CHANNEL}/messages`)) as { content: string }[]).map((m) => m.content),
      ['Hello'],
    );
    assert.equal(
      (
        (await discord.post(`/channels/${CHANNEL}/messages`, { body: { content: 'Through Latchkey' } })) as {
          content: string;
        }
      ).content,
      'Through Latchkey',
    );
    assert.deepEqual(
      seen('discord-bot').map((r) => `${r.method} ${r.path}`),
      [
        'GET /api/v10/users/%40me',
        `GET /api/v10/channels/${CHANNEL}/messages`,
        `POST /api/v10/channels/${CHANNEL}/messages`,
      ],
    );
    world.assertInjected('discord-bot', EXPECTED_CREDENTIAL['discord-bot']!);

    // A 4xx is thrown at once (the client retries only 5xx and waits out only 429).
    const error = await thrown(() =>
      client(world.narrow.token).post(`/channels/${CHANNEL}/messages`, { body: { content: 'Denied' } }),
    );
    assert.ok(error instanceof DiscordAPIError, inspect(error));
    assert.equal(error.status, 403);
    assert.equal(error.code, 'insufficient_scope');
    assert.equal(
      error.message,
      `POST /v10/channels/${CHANNEL}/messages on "discord-bot" needs one of the scopes write; ask the person to grant one`,
    );
    await world.assertDeniedOnce('discord-bot', `/v10/channels/${CHANNEL}/messages`);
  });
});
