import type { FastifyInstance } from 'fastify';
import type { HoldMessage } from '../../common/exec-session.js';
import { errorResponses } from '../../common/api/errors.js';
import type { Logger } from '../log.js';
import { MAX_SESSION_TTL_MS, type ExecSessions, type SessionHolder } from './exec-sessions.js';

const idParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 64 } },
} as const;
const tokenProof = {
  type: 'string',
  minLength: 1,
  maxLength: 8192,
  description: "The session's access token: only its exec holds it",
} as const;

export const sessionSchema = {
  type: 'object',
  required: ['id', 'agent_id', 'agent_name', 'command', 'pid', 'started_at', 'expires_at', 'calls', 'held'],
  properties: {
    id: { type: 'string' },
    agent_id: { type: 'string' },
    agent_name: { type: 'string' },
    command: { type: 'string', description: "The program's name (never its arguments)" },
    pid: { type: ['integer', 'null'], description: "The program's process id" },
    started_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
    calls: { type: 'integer', description: "Proxied calls made with the session's token" },
    held: { type: 'boolean', description: 'Whether its latchkey exec is connected' },
  },
} as const;
const sessionList = {
  type: 'object',
  required: ['sessions'],
  properties: { sessions: { type: 'array', items: sessionSchema } },
} as const;

/**
 * Exec sessions in the admin API. Starting, holding and finishing a session are what
 * `latchkey exec` does over the control socket without the admin token (see admin-auth.ts);
 * holding and finishing need the session's token as proof. Listing and ending need the
 * admin token everywhere.
 */
export async function sessionRoutes(
  app: FastifyInstance,
  options: { sessions: ExecSessions; logger: Logger },
): Promise<void> {
  const { sessions } = options;

  app.post<{ Body: { agent: string; command: string; ttl_seconds?: number } }>(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary:
          'Start an exec session of an active agent: a token valid while the session lives (what `latchkey exec` asks over the control socket)',
        body: {
          type: 'object',
          required: ['agent', 'command'],
          additionalProperties: false,
          properties: {
            agent: { type: 'string', minLength: 1, maxLength: 64, description: "The agent's name" },
            command: {
              type: 'string',
              minLength: 1,
              maxLength: 4096,
              description: 'The program run; only its name is kept',
            },
            ttl_seconds: {
              type: 'integer',
              minimum: 60,
              maximum: MAX_SESSION_TTL_MS / 1000,
              description: 'Default 12 hours',
            },
          },
        },
        response: {
          200: {
            type: 'object',
            required: ['session', 'access_token'],
            properties: { session: sessionSchema, access_token: { type: 'string' } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { agent, command, ttl_seconds } = request.body;
      const started = await sessions.start({
        agent,
        command,
        ...(ttl_seconds === undefined ? {} : { ttl_ms: ttl_seconds * 1000 }),
      });
      return reply.header('cache-control', 'no-store').send(started);
    },
  );

  app.post<{ Params: { id: string }; Body: { token: string; pid?: number } }>(
    '/sessions/:id/hold',
    {
      schema: {
        tags: ['sessions'],
        summary:
          'Hold a session: the response stays open while the session lives (one JSON object a line); the session ends when this connection closes',
        description:
          'First line `{"type":"held","session":…}`; when the session ends, `{"type":"ended","reason":…,"description":…}` and the end of the stream. A stream that ends without it means the broker stopped: hold again once it is back.',
        params: idParams,
        body: {
          type: 'object',
          required: ['token'],
          additionalProperties: false,
          properties: { token: tokenProof, pid: { type: 'integer', minimum: 1, maximum: 2 ** 31 - 1 } },
        },
        response: {
          200: {
            description: 'An application/x-ndjson stream',
            content: { 'application/x-ndjson': { schema: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      let open = true;
      const holder: SessionHolder = {
        send: (message: HoldMessage) => {
          if (open) reply.raw.write(`${JSON.stringify(message)}\n`);
        },
        close: () => {
          if (!open) return;
          open = false;
          reply.raw.end();
        },
      };
      const session = await sessions.hold(id, request.body.token, request.body.pid, holder);
      reply.hijack();
      reply.raw.writeHead(200, {
        'content-type': 'application/x-ndjson',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      });
      holder.send({ type: 'held', session });
      const released = (): void => {
        open = false;
        sessions
          .released(id, holder)
          .catch((error: unknown) =>
            options.logger.error({ err: error, session: id }, 'exec session not ended after its exec left'),
          );
      };
      // The socket may have closed while the session was being taken.
      if (request.raw.socket.destroyed) released();
      else reply.raw.once('close', released);
    },
  );

  app.post<{ Params: { id: string }; Body: { token: string } }>(
    '/sessions/:id/finish',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End a session because its command exited (what `latchkey exec` says before it exits)',
        params: idParams,
        body: { type: 'object', required: ['token'], additionalProperties: false, properties: { token: tokenProof } },
        response: {
          200: { type: 'object', required: ['ended'], properties: { ended: { type: 'boolean' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await sessions.finish(request.params.id, request.body.token);
      return { ended: true };
    },
  );

  app.get(
    '/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'Live exec sessions, oldest first',
        response: { 200: sessionList, ...errorResponses },
      },
    },
    async () => ({ sessions: sessions.list() }),
  );

  app.get<{ Params: { id: string } }>(
    '/agents/:id/sessions',
    {
      schema: {
        tags: ['sessions'],
        summary: 'The live exec sessions of one agent',
        params: idParams,
        response: { 200: sessionList, ...errorResponses },
      },
    },
    async (request) => ({ sessions: sessions.listForAgent(request.params.id) }),
  );

  app.delete<{ Params: { id: string } }>(
    '/sessions/:id',
    {
      schema: {
        tags: ['sessions'],
        summary: 'End a session: its token is refused from now on (its command keeps running, without access)',
        params: idParams,
        response: {
          200: { type: 'object', required: ['ended'], properties: { ended: { type: 'boolean' } } },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await sessions.end(request.params.id, 'ended_by_person');
      return { ended: true };
    },
  );
}
