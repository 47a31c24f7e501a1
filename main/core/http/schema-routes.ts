import type { FastifyInstance } from 'fastify';
import { ProviderDefinitionSchemaDocument } from '../../common/api/providers.js';
import { providerDefinitionSchema } from '../catalog/definition-schema.js';

/** Where the running broker publishes the provider definition schema, for editors ("$schema") and tools. */
export const PROVIDER_SCHEMA_PATH = '/schemas/provider.json';

/**
 * Public, read-only JSON Schemas at stable URLs: no secret in them, so no authentication.
 * The body is the same object the validator compiles (schema.ts), so they cannot drift apart.
 */
export async function schemaRoutes(app: FastifyInstance): Promise<void> {
  app.get(
    PROVIDER_SCHEMA_PATH,
    {
      schema: {
        hide: true,
        response: { 200: ProviderDefinitionSchemaDocument },
      },
    },
    async (_request, reply) => reply.header('cache-control', 'no-cache').send(providerDefinitionSchema),
  );
}
