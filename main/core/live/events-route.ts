import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../common/api/errors.js';
import { EventStreamBody, EventStreamHeaders } from '../../common/api/events.js';
import { STREAMED_EVENTS, type EventStream } from './event-stream.js';

/** GET /admin/api/events: the broker's live events as server-sent events (registered inside the authenticated admin scope). */
export async function eventsRoute(app: FastifyInstance, options: { stream: EventStream }): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/events',
    {
      schema: {
        tags: ['admin'],
        summary:
          'Live events (server-sent events): audit entries as they commit, connection, flow, agent, approval and pause changes',
        description: [
          `Event types: ${STREAMED_EVENTS.join(', ')}; each \`data\` line is the event's JSON payload.`,
          'Send `Last-Event-ID` on reconnect to receive what was missed; when that is no longer possible a `reset` event says to reload.',
          'A `: heartbeat` comment arrives every 15 s. A client that cannot keep up is disconnected (it may reconnect with Last-Event-ID).',
          'Browsers: EventSource cannot send the Authorization header, so read it with fetch() streaming.',
        ].join(' '),
        headers: EventStreamHeaders,
        response: {
          200: EventStreamBody,
          ...errorResponses,
        },
      },
    },
    (request, reply) => {
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        connection: 'keep-alive',
      });
      const detach = options.stream.attach(reply.raw, request.headers['last-event-id']);
      request.raw.once('close', detach);
    },
  );
}
