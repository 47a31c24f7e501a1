/**
 * The Node floor: the least a Node proxy does — fastify in front, an undici keep-alive pool
 * behind, bodies streamed both ways — with no authentication, no scope rule and no audit.
 * Latchkey can approach it, never beat it.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { Pool } from 'undici';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'upgrade',
  'proxy-connection',
  'te',
  'trailer',
  'host',
]);

export async function startNodeFloor(upstream: string): Promise<{ url: string; stop(): Promise<void> }> {
  const pool = new Pool(upstream, { connections: 64, pipelining: 1 });
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 64 * 1024 * 1024 });
  // Bodies pass through as streams, as a proxy's should.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.all('/*', async (request, reply) => {
    const headers: Record<string, string | string[]> = {};
    for (const [name, value] of Object.entries(request.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) headers[name] = value;
    const upstreamResponse = await pool.request({
      method: request.method as 'GET',
      path: request.url,
      headers,
      body: request.method === 'GET' || request.method === 'HEAD' ? null : request.raw,
    });
    reply.code(upstreamResponse.statusCode);
    for (const [name, value] of Object.entries(upstreamResponse.headers))
      if (value !== undefined && !HOP_BY_HOP.has(name)) reply.header(name, value);
    return reply.send(upstreamResponse.body);
  });
  const url = await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url,
    stop: async () => {
      await app.close();
      await pool.close();
    },
  };
}
