import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { createBrokerEvents } from '../../main/core/events.js';
import { EventStream } from '../../main/core/live/event-stream.js';

/** A client that reads everything written to it. */
function reader(): { sink: PassThrough; text: () => string } {
  const sink = new PassThrough();
  let received = '';
  sink.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  return { sink, text: () => received };
}

/** A client whose socket never drains: every write after the first reports a full buffer. */
function stalled(): Writable {
  return new Writable({ highWaterMark: 1, write: () => {} });
}

/** Parses the `event:`/`id:`/`data:` blocks out of an SSE text (comments dropped). */
function parse(text: string): { id?: string; event?: string; data?: unknown }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() && !block.startsWith(':') && !block.startsWith('retry'))
    .map((block) => {
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        const at = line.indexOf(': ');
        fields[line.slice(0, at)] = line.slice(at + 2);
      }
      return {
        id: fields.id,
        event: fields.event,
        data: fields.data === undefined ? undefined : JSON.parse(fields.data),
      };
    });
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('event stream', () => {
  test('delivers bus events to every client with increasing ids', async () => {
    const events = createBrokerEvents();
    const stream = new EventStream(events);
    const a = reader();
    const b = reader();
    stream.attach(a.sink);
    stream.attach(b.sink);
    events.emit('paused-changed', { paused: true });
    events.emit('agent-changed', { id: 'ag1', name: 'cursor', status: 'active' });
    await tick();
    const got = parse(a.text());
    assert.deepEqual(
      got.map((e) => e.event),
      ['paused-changed', 'agent-changed'],
    );
    assert.deepEqual(got[1]?.data, { id: 'ag1', name: 'cursor', status: 'active' });
    assert.deepEqual(
      got.map((e) => e.id),
      [`${stream.run}.1`, `${stream.run}.2`],
    );
    assert.equal(b.text(), a.text());
    stream.close();
  });

  test('Last-Event-ID replays exactly what followed it', async () => {
    const events = createBrokerEvents();
    const stream = new EventStream(events);
    for (const paused of [true, false, true]) events.emit('paused-changed', { paused });
    const late = reader();
    stream.attach(late.sink, `${stream.run}.1`);
    await tick();
    const got = parse(late.text());
    assert.deepEqual(
      got.map((e) => e.id),
      [`${stream.run}.2`, `${stream.run}.3`],
    );
    assert.deepEqual(
      got.map((e) => e.data),
      [{ paused: false }, { paused: true }],
    );
    stream.close();
  });

  test('an id from another run, or one already out of the ring buffer, gets a reset event', async () => {
    const events = createBrokerEvents();
    const stream = new EventStream(events, { bufferSize: 2 });
    for (const paused of [true, false, true, false]) events.emit('paused-changed', { paused });
    for (const lastId of [`${stream.run}.1`, 'otherrun.3', `${stream.run}.9`, 'garbage']) {
      const client = reader();
      stream.attach(client.sink, lastId);
      await tick();
      assert.deepEqual(
        parse(client.text()).map((e) => e.event),
        ['reset'],
        lastId,
      );
    }
    // The oldest id still resumable: everything after it is in the ring.
    const client = reader();
    stream.attach(client.sink, `${stream.run}.2`);
    await tick();
    assert.deepEqual(
      parse(client.text()).map((e) => e.id),
      [`${stream.run}.3`, `${stream.run}.4`],
    );
    stream.close();
  });

  test('a client that cannot keep up is dropped; the others keep receiving', async () => {
    const events = createBrokerEvents();
    const stream = new EventStream(events, { clientQueueLimit: 3 });
    const slow = stalled();
    const fast = reader();
    stream.attach(slow);
    stream.attach(fast.sink);
    assert.equal(stream.clientCount(), 2);
    for (let i = 0; i < 10; i++) events.emit('paused-changed', { paused: i % 2 === 0 });
    assert.equal(slow.destroyed, true);
    assert.equal(stream.clientCount(), 1);
    await tick();
    assert.equal(parse(fast.text()).length, 10);
    stream.close();
  });

  test('sends heartbeats and ends every stream on close', async () => {
    const events = createBrokerEvents();
    const stream = new EventStream(events, { heartbeatMs: 20 });
    const client = reader();
    let ended = false;
    client.sink.on('end', () => (ended = true));
    stream.attach(client.sink);
    for (let i = 0; i < 50 && !client.text().includes(': heartbeat'); i++)
      await new Promise((resolve) => setTimeout(resolve, 20));
    assert.match(client.text(), /^: heartbeat$/m);
    stream.close();
    await tick();
    assert.equal(ended, true);
    assert.equal(stream.clientCount(), 0);
    events.emit('paused-changed', { paused: true });
    assert.equal(events.listenerCount('paused-changed'), 0);
  });
});
