import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { enterUserCode, ScriptedBrowser } from '../fixtures/browser.js';
import { setUp } from '../fixtures/connect.js';
import {
  DEVICE_CODE_GRANT,
  PUBLIC_CLIENT_ID,
  startTestProvider,
  type TestProvider,
} from '../fixtures/oidc-provider.js';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';
import type { OAuth2Auth } from '../../main/core/catalog/types.js';

/** Seconds between polls the provider asks for: short, so the suite stays quick. */
const INTERVAL = 1;
const DEVICE_CODE_TTL = 120;

/** One device-code token request, as the provider answered it. */
interface Poll {
  device_code: string;
  at: number;
  outcome: string;
}

/** Polls `probe` every 100 ms until it returns a value, for at most `timeoutMs`. */
async function until<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined> | T | undefined,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${timeoutMs} ms`);
    await sleep(100);
  }
}

/** The flow once it is no longer pending. */
async function settled(broker: TestBroker, flowId: string) {
  return until('end of the device flow', 20_000, async () => {
    const flow = await broker.admin(`/connections/flows/${flowId}`);
    assert.equal(flow.status, 200, JSON.stringify(flow.body));
    return flow.body.status === 'pending' ? undefined : flow.body;
  });
}

describe('connect with a device code (RFC 8628) against a real oidc-provider', () => {
  let provider: TestProvider;
  let broker: TestBroker;
  let deviceAuth: OAuth2Auth;
  const polls: Poll[] = [];
  /** Answer the next pending poll with slow_down instead (a provider asking the client to back off). */
  let slowDownNext = false;
  /** While set, token requests wait at the provider until released (a poll in flight). */
  let holdPolls: { promise: Promise<void>; held: boolean } | undefined;

  /** The device-code polls since `from`, all for one device code. */
  const pollsSince = (from: number): Poll[] => {
    const mine = polls.slice(from);
    assert.equal(
      new Set(mine.map((p) => p.device_code)).size,
      mine.length > 0 ? 1 : 0,
      'polls of another flow interleaved',
    );
    return mine;
  };

  /** Starts a device flow and checks the answer; returns it with where its polls begin. */
  const start = async (target: TestBroker, body: Record<string, unknown> = { provider: 'acme', method: 'device' }) => {
    const from = polls.length;
    const tokenRequestsBefore = provider.tokenRequests[DEVICE_CODE_GRANT] ?? 0;
    const started = await target.admin('/connections', { body });
    assert.equal(started.status, 201, JSON.stringify(started.body));
    return { started: started.body, from, tokenRequestsBefore };
  };

  before(async () => {
    provider = await startTestProvider({
      deviceFlow: { interval: INTERVAL, ttl: DEVICE_CODE_TTL },
      middleware: async (ctx, next) => {
        if (holdPolls && ctx.method === 'POST' && ctx.path === '/token') {
          holdPolls.held = true;
          await holdPolls.promise;
        }
        const at = Date.now();
        await next();
        const params = ctx.oidc?.params as Record<string, unknown> | undefined;
        if (ctx.method !== 'POST' || ctx.path !== '/token' || params?.grant_type !== DEVICE_CODE_GRANT) return;
        let outcome = ctx.status === 200 ? 'granted' : String((ctx.body as { error?: unknown } | undefined)?.error);
        if (outcome === 'authorization_pending' && slowDownNext) {
          slowDownNext = false;
          ctx.body = {
            error: 'slow_down',
            error_description: 'you are polling too quickly and should back off at a reasonable rate',
          };
          outcome = 'slow_down';
        }
        polls.push({ device_code: String(params.device_code), at, outcome });
      },
    });
    broker = await startTestBroker({ secretStore: 'file', passphrase: 'device-flow-test-passphrase' });
    deviceAuth = {
      ...(provider.definition().auth as OAuth2Auth),
      device_authorization_url: `${provider.issuer}/device/auth`,
    };
    await setUp(provider, broker, { auth: deviceAuth });
  });
  after(async () => {
    await broker.dispose();
    await provider.close();
  });

  test('a provider with a device authorization endpoint offers the device method', async () => {
    const { body } = await broker.admin('/providers');
    const acme = body.providers.find((p: { id: string }) => p.id === 'acme');
    assert.deepEqual(acme.connect_methods, ['browser', 'device']);
  });

  test('user code, the person approves at the provider, the broker polls until the connection is made', async () => {
    const startedAt = Date.now();
    const { started, from, tokenRequestsBefore } = await start(broker);
    assert.equal(started.kind, 'device');
    assert.equal(typeof started.flow_id, 'string');
    assert.match(started.user_code, /^[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}$/);
    assert.equal(started.verification_uri, `${provider.issuer}/device`);
    assert.equal(started.verification_uri_complete, `${provider.issuer}/device?user_code=${started.user_code}`);
    assert.equal(started.authorize_url, undefined);
    // The flow lasts as long as the device code, not the broker's usual 10 minutes.
    const expiresAt = Date.parse(started.expires_at);
    assert.ok(expiresAt > startedAt && expiresAt <= Date.now() + DEVICE_CODE_TTL * 1000, started.expires_at);

    const pending = await broker.admin(`/connections/flows/${started.flow_id}`);
    assert.deepEqual(pending.body, { flow_id: started.flow_id, status: 'pending' });
    // The broker polls in the background before anyone has entered the code.
    await until('first poll', 5_000, () => (polls.length > from ? true : undefined));
    assert.equal(polls[from]?.outcome, 'authorization_pending');

    const page = await enterUserCode(new ScriptedBrowser(), started.verification_uri, started.user_code, 'approve');
    assert.equal(page.status, 200, page.body);
    assert.match(page.body, /Sign-in Success/);

    const flow = await settled(broker, started.flow_id);
    assert.equal(flow.status, 'connected', JSON.stringify(flow));
    assert.equal(flow.connection.name, 'acme');
    assert.equal(flow.connection.auth_method, 'device');
    assert.equal(flow.connection.account, 'alice@example.test');

    const { body } = await broker.admin('/connections');
    const acme = body.connections.find((c: { name: string }) => c.name === 'acme');
    assert.equal(acme.auth_method, 'device');
    assert.equal(acme.account, 'alice@example.test');
    assert.equal(acme.status, 'connected');
    assert.deepEqual([...acme.scopes].sort(), ['email', 'items:read', 'offline_access', 'openid']);

    // Pending until the person approved, then exactly one grant; no poll sooner than the interval.
    const mine = pollsSince(from);
    assert.deepEqual(
      mine.map((p) => p.outcome),
      [...mine.slice(0, -1).map(() => 'authorization_pending'), 'granted'],
    );
    assert.equal((provider.tokenRequests[DEVICE_CODE_GRANT] ?? 0) - tokenRequestsBefore, mine.length);
    assert.ok((mine[0]?.at ?? 0) - startedAt >= INTERVAL * 1000 - 50, 'first poll came before the interval');
    for (let i = 1; i < mine.length; i += 1) {
      assert.ok(
        (mine[i]?.at ?? 0) - (mine[i - 1]?.at ?? 0) >= INTERVAL * 1000 - 50,
        `poll ${i} came before the interval`,
      );
    }
    // Granted: the broker stops polling.
    await sleep(2.5 * INTERVAL * 1000);
    assert.equal(polls.length - from, mine.length);

    // The device grant's refresh token was kept and works like any other.
    const refreshesBefore = provider.tokenRequests.refresh_token ?? 0;
    const refreshed = await broker.admin('/connections/acme/refresh', { method: 'POST' });
    assert.equal(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert.equal(refreshed.body.auth_method, 'device');
    assert.equal(provider.tokenRequests.refresh_token, refreshesBefore + 1);
  });

  test("the person aborts at the provider: the flow fails with the provider's access_denied, nothing is connected", async () => {
    const connectionsBefore = (await broker.admin('/connections')).body.connections.length;
    const { started, from } = await start(broker, { provider: 'acme', method: 'device', name: 'denied' });
    const page = await enterUserCode(new ScriptedBrowser(), started.verification_uri, started.user_code, 'abort');
    assert.match(page.body, /The Sign-in request was interrupted/);

    const flow = await settled(broker, started.flow_id);
    assert.equal(flow.status, 'failed', JSON.stringify(flow));
    assert.equal(flow.error, 'token_request_failed');
    assert.equal(flow.provider_error, 'access_denied');
    // oidc-provider's description of access_denied for an aborted interaction.
    assert.match(flow.error_description, /End-User aborted interaction/);
    assert.equal(pollsSince(from).at(-1)?.outcome, 'access_denied');
    assert.equal((await broker.admin('/connections')).body.connections.length, connectionsBefore);

    const polled = polls.length;
    await sleep(2.5 * INTERVAL * 1000);
    assert.equal(polls.length, polled, 'the broker kept polling after the provider denied');
  });

  test('slow_down: every later poll waits 5 seconds more (RFC 8628 §3.5)', async () => {
    slowDownNext = true;
    const { started, from } = await start(broker, { provider: 'acme', method: 'device', name: 'slow' });
    await until('first poll', 5_000, () => (polls.length > from ? true : undefined));
    await enterUserCode(new ScriptedBrowser(), started.verification_uri, started.user_code, 'abort');
    assert.equal((await settled(broker, started.flow_id)).status, 'failed');

    const [slowDown, next, ...rest] = pollsSince(from);
    assert.equal(slowDown?.outcome, 'slow_down');
    assert.equal(next?.outcome, 'access_denied');
    assert.equal(rest.length, 0);
    const gap = (next?.at ?? 0) - (slowDown?.at ?? 0);
    assert.ok(gap >= (INTERVAL + 5) * 1000 - 50, `polled again after ${gap} ms`);
  });

  test('a provider that requires a client secret for the browser still connects by device code without one', async () => {
    const added = await broker.admin('/providers', {
      body: provider.definition({
        id: 'acme-secret',
        auth: { ...deviceAuth, client_auth: 'client_secret_post', client_secret: 'required' },
      }),
    });
    assert.equal(added.status, 201, JSON.stringify(added.body));
    const client = await broker.admin('/providers/acme-secret/client', {
      method: 'PUT',
      body: { client_id: PUBLIC_CLIENT_ID },
    });
    assert.equal(client.status, 200, JSON.stringify(client.body));

    const browser = await broker.admin('/connections', { body: { provider: 'acme-secret' } });
    assert.equal(browser.status, 400);
    assert.equal(browser.body.error, 'client_secret_required');

    const { started } = await start(broker, { provider: 'acme-secret', method: 'device' });
    await enterUserCode(new ScriptedBrowser(), started.verification_uri, started.user_code, 'approve', 'bob');
    const flow = await settled(broker, started.flow_id);
    assert.equal(flow.status, 'connected', JSON.stringify(flow));
    assert.equal(flow.connection.provider, 'acme-secret');
    assert.equal(flow.connection.account, 'bob@example.test');
    assert.equal(flow.connection.auth_method, 'device');
  });

  test('a broker closed while a poll is out does not poll again', async () => {
    const closing = await startTestBroker({ secretStore: 'file', passphrase: 'device-flow-test-passphrase' });
    await setUp(provider, closing, { auth: deviceAuth });
    let release = (): void => {};
    holdPolls = { promise: new Promise<void>((resolve) => (release = resolve)), held: false };
    try {
      const { from } = await start(closing);
      await until('a poll held at the provider', 5_000, () => (holdPolls?.held ? true : undefined));
      await closing.dispose();
      holdPolls = undefined;
      release();
      await sleep(3.5 * INTERVAL * 1000);
      assert.equal(pollsSince(from).length, 1, 'only the poll that was already out');
    } finally {
      holdPolls = undefined;
      release();
    }
  });

  test("nobody enters the code: the flow expires with the broker's flow TTL and polling stops", async () => {
    const short = await startTestBroker({
      secretStore: 'file',
      passphrase: 'device-flow-test-passphrase',
      flowTtlMs: 1500,
    });
    try {
      await setUp(provider, short, { auth: deviceAuth });
      const { started, from } = await start(short);
      assert.ok(Date.parse(started.expires_at) <= Date.now() + 1500);
      const flow = await settled(short, started.flow_id);
      assert.equal(flow.status, 'failed');
      assert.equal(flow.error, 'flow_expired');
      const polled = polls.length;
      await sleep(2.5 * INTERVAL * 1000);
      assert.equal(polls.length, polled, 'the broker kept polling an expired flow');
      assert.ok(pollsSince(from).every((p) => p.outcome === 'authorization_pending'));
    } finally {
      await short.dispose();
    }
  });
});
