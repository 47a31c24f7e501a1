/**
 * GET /admin/api/events on a real broker: admin-only, what the bus says arrives as server-sent
 * events (audit entries as they commit included), Last-Event-ID resumes, and closing the broker
 * ends open streams instead of waiting for them.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startTestBroker, type TestBroker } from '../fixtures/broker.js';

let broker: TestBroker;
before(async () => {
  broker = await startTestBroker({ secretStore: 'file', passphrase: 'event stream test' });
});
after(async () => {
  await broker?.dispose();
});

interface Received {
  id: string | undefined;
  event: string | undefined;
  data: any;
}

/** Opens the stream and reads events until `count` arrived (5 s at most). */
async function follow(count: number, lastEventId?: string, during?: () => Promise<void>): Promise<Received[]> {
  const abort = new AbortController();
  const response = await fetch(`${broker.url}/admin/api/events`, {
    headers: { authorization: `Bearer ${broker.adminToken}`, ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    signal: abort.signal,
  });
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  const timer = setTimeout(() => abort.abort(), 5000);
  let text = '';
  const events: Received[] = [];
  try {
    await during?.();
    while (events.length < count) {
      const { value, done } = await reader.read();
      if (done) break;
      text += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = text.indexOf('\n\n')) !== -1) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const fields = Object.fromEntries(
          block
            .split('\n')
            .filter((l) => !l.startsWith(':'))
            .map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 2)]),
        );
        if (fields.data !== undefined)
          events.push({ id: fields.id, event: fields.event, data: JSON.parse(fields.data) });
      }
    }
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
  return events;
}

test('the event stream needs the admin token', async () => {
  const response = await fetch(`${broker.url}/admin/api/events`);
  assert.equal(response.status, 401);
  assert.equal(((await response.json()) as { error: string }).error, 'missing_token');
});

test('agent changes and their audit entries arrive live, and Last-Event-ID resumes after a drop', async () => {
  const live = await follow(2, undefined, async () => {
    const created = await broker.admin('/agents', { body: { name: 'live-bot', grants: [] } });
    assert.equal(created.status, 201, JSON.stringify(created.body));
  });
  const agent = live.find((e) => e.event === 'agent-changed');
  assert.equal(agent?.data.name, 'live-bot');
  const audited = live.find((e) => e.event === 'audit-appended');
  assert.equal(audited?.data.kind, 'agent');
  assert.equal(typeof audited?.data.hash, 'string');

  // Missed while disconnected: a pause and a resume.
  const lastSeen = live.at(-1)?.id;
  assert.ok(lastSeen);
  await broker.admin('/pause', { method: 'POST' });
  await broker.admin('/resume', { method: 'POST' });
  const resumed = await follow(2, lastSeen);
  assert.deepEqual(
    resumed.filter((e) => e.event === 'paused-changed').map((e) => e.data),
    [{ paused: true }, { paused: false }],
  );
  // Ids keep increasing from where the client left off.
  const seq = (id: string | undefined) => Number(id?.split('.')[1]);
  assert.ok(resumed.every((e) => seq(e.id) > seq(lastSeen)));

  // An id this broker never issued cannot be resumed: the client is told to reload.
  const reset = await follow(1, 'earlier-run.5');
  assert.equal(reset[0]?.event, 'reset');
});

test('closing the broker ends open streams', { timeout: 10_000 }, async () => {
  const response = await fetch(`${broker.url}/admin/api/events`, {
    headers: { authorization: `Bearer ${broker.adminToken}` },
  });
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  await reader.read(); // the retry line: the stream is open
  // The broker's own listeners (ask-first ends held calls on pause) stay; the stream's one goes.
  const following = broker.events.listenerCount('paused-changed');
  const closed = broker.close();
  for (let i = 0; i < 10; i++) {
    const { done } = await reader.read().catch(() => ({ done: true }));
    if (done) break;
  }
  await closed;
  assert.equal(broker.events.listenerCount('paused-changed'), following - 1, 'the stream stopped following the bus');
});
