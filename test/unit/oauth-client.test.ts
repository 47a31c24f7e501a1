import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { OAuth2Auth } from '../../main/core/catalog/types.js';
import type { LatchkeyError } from '../../main/core/errors.js';
import { FlowRegistry } from '../../main/core/oauth/flows.js';
import { ProviderClient, type OAuthProvider } from '../../main/core/oauth/provider-client.js';
import { refreshMargin } from '../../main/core/connections/tokens.js';

interface Seen {
  headers: IncomingMessage['headers'];
  body: string;
}

/** A loopback token endpoint that answers whatever the current test scripts. */
let server: Server;
let base = '';
let answer: { status: number; type: string; body: string } = { status: 200, type: 'application/json', body: '{}' };
const seen: Seen[] = [];

before(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      seen.push({ headers: req.headers, body });
      res.writeHead(answer.status, { 'content-type': answer.type });
      res.end(answer.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
after(() => server.close());

function provider(auth: Partial<OAuth2Auth>): OAuthProvider {
  return {
    id: 'quirky',
    name: 'Quirky',
    auth: {
      type: 'oauth2',
      authorization_url: `${base}/authorize`,
      token_url: `${base}/token`,
      pkce: true,
      client_auth: 'none',
      client_secret: 'none',
      scopes: { a: 'A', b: 'B' },
      default_scopes: ['a'],
      redirect: { host: '127.0.0.1', any_port: true },
      ...auth,
    },
    api: { base_url: `${base}/api`, rules: [] },
  };
}

const callback = (state: string) => new URLSearchParams({ code: 'the-code', state });
const exchange = (client: ProviderClient) =>
  client.exchangeCode(callback('s1'), {
    state: 's1',
    redirectUri: 'http://127.0.0.1:7317/oauth/callback',
    codeVerifier: 'v'.repeat(43),
  });

describe('provider token quirks, by named option', () => {
  test('Slack: the user token nested under authed_user, comma-separated scopes, identity from the response', async () => {
    answer = {
      status: 200,
      type: 'application/json',
      body: JSON.stringify({
        ok: true,
        app_id: 'A1',
        team: { id: 'T1', name: 'Acme Inc' },
        authed_user: {
          id: 'U1',
          scope: 'chat:write,channels:history',
          access_token: 'xoxp-user-token',
          token_type: 'user',
          refresh_token: 'xoxe-refresh',
          expires_in: 43200,
        },
      }),
    };
    const client = new ProviderClient(
      provider({
        token_response: { nested_token: 'authed_user', errors_with_200: true },
        identity: { account: ['team.name'] },
      }),
      { client_id: 'cid' },
    );
    const tokens = await exchange(client);
    assert.equal(tokens.access_token, 'xoxp-user-token');
    assert.equal(tokens.refresh_token, 'xoxe-refresh');
    assert.deepEqual(tokens.scopes, ['chat:write', 'channels:history']);
    assert.ok(tokens.expires_at && tokens.expires_at - Date.now() > 43_000_000);
    assert.equal(await client.identity(tokens), 'Acme Inc');
    assert.ok(!JSON.stringify(tokens.extra).includes('xoxp'), 'token members are not kept as identity data');
  });

  test('Slack: ok:false with HTTP 200 is an error carrying the provider code', async () => {
    answer = { status: 200, type: 'application/json', body: JSON.stringify({ ok: false, error: 'invalid_code' }) };
    const client = new ProviderClient(
      provider({ token_response: { nested_token: 'authed_user', errors_with_200: true } }),
      { client_id: 'cid' },
    );
    await assert.rejects(
      exchange(client),
      (error: LatchkeyError) =>
        error.code === 'token_request_failed' && error.details.provider_error === 'invalid_code',
    );
  });

  test('GitHub: a form-encoded error with HTTP 200', async () => {
    answer = {
      status: 200,
      type: 'application/x-www-form-urlencoded',
      body: 'error=bad_verification_code&error_description=The+code+passed+is+incorrect+or+expired.',
    };
    const client = new ProviderClient(provider({ token_response: { errors_with_200: true, form_encoded: true } }), {
      client_id: 'cid',
    });
    await assert.rejects(
      exchange(client),
      (error: LatchkeyError) =>
        error.details.provider_error === 'bad_verification_code' && /incorrect or expired/.test(error.message),
    );
  });

  test('GitHub: a form-encoded success without expiry', async () => {
    answer = {
      status: 200,
      type: 'application/x-www-form-urlencoded',
      body: 'access_token=gho_abc&scope=repo%2Cread%3Aorg&token_type=bearer',
    };
    const client = new ProviderClient(provider({ token_response: { errors_with_200: true, form_encoded: true } }), {
      client_id: 'cid',
    });
    const tokens = await exchange(client);
    assert.equal(tokens.access_token, 'gho_abc');
    assert.equal(tokens.expires_at, null);
    assert.deepEqual(tokens.scopes, ['repo', 'read:org']);
  });

  test('Notion: JSON body and HTTP Basic client authentication; PKCE verifier sent', async () => {
    seen.length = 0;
    answer = {
      status: 200,
      type: 'application/json',
      body: JSON.stringify({
        access_token: 'secret_notion',
        token_type: 'bearer',
        workspace_name: 'My Notes',
        owner: { user: { name: 'Ada' } },
      }),
    };
    const client = new ProviderClient(
      provider({
        client_auth: 'client_secret_basic',
        client_secret: 'required',
        token_request: { body: 'json' },
        identity: { account: ['workspace_name'] },
      }),
      { client_id: 'cid', client_secret: 'csecret' },
    );
    const tokens = await exchange(client);
    const request = seen.at(-1) as Seen;
    assert.match(String(request.headers['content-type']), /application\/json/);
    const body = JSON.parse(request.body) as Record<string, string>;
    assert.equal(body.grant_type, 'authorization_code');
    assert.equal(body.code, 'the-code');
    assert.equal(body.code_verifier, 'v'.repeat(43));
    assert.equal(request.headers.authorization, `Basic ${Buffer.from('cid:csecret').toString('base64')}`);
    assert.equal(await client.identity(tokens), 'My Notes');
  });

  test("the authorization URL carries the provider's scope parameter, separator and extra parameters", () => {
    const client = new ProviderClient(
      provider({ scope_param: 'user_scope', scope_separator: ',', authorization_params: { access_type: 'offline' } }),
      { client_id: 'cid' },
    );
    const url = new URL(
      client.authorizationUrl({
        redirectUri: 'http://localhost:7317/oauth/callback',
        state: 'st',
        codeChallenge: 'ch',
        scopes: ['a', 'b'],
      }),
    );
    assert.equal(url.searchParams.get('user_scope'), 'a,b');
    assert.equal(url.searchParams.get('scope'), null);
    assert.equal(url.searchParams.get('access_type'), 'offline');
    assert.equal(url.searchParams.get('code_challenge_method'), 'S256');
    assert.equal(url.searchParams.get('response_type'), 'code');
  });

  test('a provider that cannot be reached is provider_unreachable', async () => {
    const client = new ProviderClient(
      { ...provider({}), auth: { ...provider({}).auth, token_url: 'http://127.0.0.1:1/token' } } as OAuthProvider,
      { client_id: 'cid' },
    );
    await assert.rejects(exchange(client), (error: LatchkeyError) => error.code === 'provider_unreachable');
  });
});

describe('refresh margin', () => {
  test('scales with the token lifetime, capped at five minutes', () => {
    assert.equal(refreshMargin({ obtained_at: 0, expires_at: 5_000 }), 500);
    assert.equal(refreshMargin({ obtained_at: 0, expires_at: 3_600_000 }), 300_000);
    assert.equal(refreshMargin({ obtained_at: 0, expires_at: null }), 0);
  });
});

describe('connect flows', () => {
  const input = { provider: 'p', name: 'p', scopes: [], code_verifier: 'v', redirect_uri: 'http://127.0.0.1/cb' };

  test('a state is redeemed once; unknown states are refused', () => {
    const flows = new FlowRegistry();
    const flow = flows.createBrowser(input);
    assert.equal(flows.claimByState(flow.state).id, flow.id);
    assert.throws(() => flows.claimByState(flow.state), { code: 'flow_already_used' });
    assert.throws(() => flows.claimByState('nope'), { code: 'unknown_state' });
    assert.throws(() => flows.claimByState(null), { code: 'unknown_state' });
  });

  test('flows expire after their TTL and then report flow_expired; the verifier is dropped', () => {
    let now = 1_000;
    const flows = new FlowRegistry({ ttlMs: 600_000, now: () => now });
    const flow = flows.createBrowser(input);
    now += 600_000;
    assert.throws(() => flows.claimByState(flow.state), { code: 'flow_expired' });
    const view = flows.get(flow.id);
    assert.equal(view?.status, 'failed');
    assert.equal(view?.error, 'flow_expired');
    assert.equal(view?.kind === 'browser' ? view.code_verifier : 'x', undefined);
    now += 600_001;
    assert.equal(flows.get(flow.id), undefined, 'forgotten one TTL after it ended');
  });

  test('the number of pending flows is bounded', () => {
    const flows = new FlowRegistry({ maxPending: 3 });
    for (let i = 0; i < 3; i += 1) flows.createBrowser(input);
    assert.throws(() => flows.createBrowser(input), { code: 'too_many_flows' });
  });
});
