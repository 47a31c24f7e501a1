import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';

/** The admin API's OpenAPI document, built from the route schemas, at /admin/openapi.json. */
export async function registerOpenApi(
  app: FastifyInstance,
  version: string,
  ownPagesOnly: (request: FastifyRequest) => Promise<void>,
): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Latchkey admin API',
        version,
        description: 'Connect accounts and manage the broker. Every route needs `Authorization: Bearer <admin token>`.',
      },
      components: { securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } } },
      security: [{ adminToken: [] }],
    },
  });
  app.get('/admin/openapi.json', { schema: { hide: true }, onRequest: ownPagesOnly }, async () => app.swagger());
}
