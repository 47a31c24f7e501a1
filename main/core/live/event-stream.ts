import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import type { BrokerEventMap, BrokerEvents } from '../events.js';

/** The bus events the dashboard and other admin clients follow, in the order they happened. */
export const STREAMED_EVENTS = [
  'audit-appended',
  'connection-changed',
  'flow-finished',
  'agent-changed',
  'approval-requested',
  'approval-decided',
  'paused-changed',
] as const satisfies readonly (keyof BrokerEventMap)[];

export type StreamedEventType = (typeof STREAMED_EVENTS)[number];

export interface EventStreamOptions {
  /** Recent events kept for `Last-Event-ID` resume. */
  bufferSize?: number;
  /** Chunks one client may have waiting while its socket is full; past this it is dropped. */
  clientQueueLimit?: number;
  /** A comment line this often keeps proxies and the client's idle timers from closing the stream. */
  heartbeatMs?: number;
}

interface Recorded {
  seq: number;
  chunk: string;
}

interface Client {
  sink: Writable;
  /** Chunks written while the socket was full, sent on its next 'drain'. */
  queue: string[];
  waiting: boolean;
}

/**
 * Server-sent events from the broker's event bus to any number of admin clients.
 *
 * Ids are `<run>.<seq>`: seq grows by one per event; run changes at every start, so an id
 * from an earlier run (or one older than the ring buffer) is answered with a `reset` event
 * (the client reloads what it shows) instead of silently missing events.
 *
 * Backpressure: the broker never waits for a client. A client whose socket is full gets
 * its chunks queued; when that queue exceeds `clientQueueLimit` the client is dropped (its
 * stream ends and it reconnects with Last-Event-ID, catching up from the ring buffer).
 */
export class EventStream {
  readonly run = randomBytes(6).toString('base64url');
  private seq = 0;
  private readonly ring: Recorded[] = [];
  private readonly clients = new Set<Client>();
  private readonly bufferSize: number;
  private readonly clientQueueLimit: number;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(events: BrokerEvents, options: EventStreamOptions = {}) {
    this.bufferSize = options.bufferSize ?? 1000;
    this.clientQueueLimit = options.clientQueueLimit ?? 256;
    const listeners = STREAMED_EVENTS.map((type) => {
      const listener = (payload: unknown) => this.publish(type, payload);
      events.on(type, listener);
      return () => events.off(type, listener);
    });
    this.unsubscribe = () => listeners.forEach((off) => off());
    this.heartbeat = setInterval(() => this.broadcast(': heartbeat\n\n'), options.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  /** The id of the newest event, or null before the first. */
  lastId(): string | null {
    return this.seq === 0 ? null : `${this.run}.${this.seq}`;
  }

  clientCount(): number {
    return this.clients.size;
  }

  /**
   * Streams to `sink` from now on, first replaying what followed `lastEventId` (if it can:
   * else a `reset` event). Returns a function that detaches the client.
   */
  attach(sink: Writable, lastEventId?: string): () => void {
    if (this.closed) {
      sink.end();
      return () => {};
    }
    const client: Client = { sink, queue: [], waiting: false };
    this.clients.add(client);
    this.send(client, 'retry: 1000\n\n');
    if (lastEventId !== undefined) {
      const replay = this.since(lastEventId);
      if (replay === null) this.send(client, this.format(this.lastId(), 'reset', {}));
      else for (const recorded of replay) this.send(client, recorded.chunk);
    }
    return () => this.detach(client);
  }

  /** Ends every client's stream and stops following the bus (broker shutdown). */
  close(): void {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.unsubscribe();
    for (const client of [...this.clients]) this.detach(client);
  }

  /** Events after `lastEventId`, or null when it cannot be resumed (other run, unknown id, already left the ring). */
  private since(lastEventId: string): Recorded[] | null {
    const match = /^([A-Za-z0-9_-]+)\.(\d{1,15})$/.exec(lastEventId);
    if (!match || match[1] !== this.run) return null;
    const after = Number(match[2]);
    if (after > this.seq) return null;
    const oldest = this.ring[0]?.seq ?? this.seq + 1;
    // Everything from after+1 on must still be in the ring.
    if (after + 1 < oldest) return null;
    return this.ring.filter((recorded) => recorded.seq > after);
  }

  private publish(type: StreamedEventType, payload: unknown): void {
    if (this.closed) return;
    this.seq += 1;
    const recorded = { seq: this.seq, chunk: this.format(`${this.run}.${this.seq}`, type, payload) };
    this.ring.push(recorded);
    if (this.ring.length > this.bufferSize) this.ring.shift();
    this.broadcast(recorded.chunk);
  }

  private format(id: string | null, type: string, payload: unknown): string {
    // JSON.stringify never yields a raw newline, so the payload is exactly one data line.
    return `${id === null ? '' : `id: ${id}\n`}event: ${type}\ndata: ${JSON.stringify(payload)}\n\n`;
  }

  private broadcast(chunk: string): void {
    for (const client of this.clients) this.send(client, chunk);
  }

  private send(client: Client, chunk: string): void {
    if (client.sink.destroyed || client.sink.writableEnded) {
      this.detach(client); // gone without its close being heard yet
      return;
    }
    if (client.waiting) {
      client.queue.push(chunk);
      // A stalled client: destroyed, not ended (ending would wait for its full socket to flush).
      if (client.queue.length > this.clientQueueLimit) this.detach(client, true);
      return;
    }
    if (!client.sink.write(chunk)) {
      client.waiting = true;
      client.sink.once('drain', () => this.drain(client));
    }
  }

  private drain(client: Client): void {
    client.waiting = false;
    const queued = client.queue.splice(0);
    for (const chunk of queued) {
      if (!this.clients.has(client)) return;
      this.send(client, chunk);
    }
  }

  private detach(client: Client, stalled = false): void {
    if (!this.clients.delete(client)) return;
    client.queue.length = 0;
    if (stalled) client.sink.destroy();
    else client.sink.end();
  }
}
