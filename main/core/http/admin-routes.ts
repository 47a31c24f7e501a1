import type { FastifyInstance } from 'fastify';
import type { BrokerStatus } from '../../common/admin-api.js';
import type { Catalog } from '../catalog/catalog.js';
import { validateProviderDefinition } from '../catalog/validate-definition.js';
import type { ConnectionService } from '../connections/service.js';
import type { ProviderClientStore } from '../store/provider-clients.js';
import { errorResponses } from './schemas.js';
import { providerView } from './views.js';

export interface AdminRoutesOptions {
  catalog: Catalog;
  service: ConnectionService;
  clients: ProviderClientStore;
  dataDir: string;
  status: () => BrokerStatus;
}

const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const providerRef = { $ref: 'ProviderSummary#' } as const;

/** The broker's own admin routes (under /admin/api): status and providers; connections/routes.ts has the connections. */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { catalog, service, clients } = options;
  const summary = (id: string) => providerView(catalog.require(id), catalog.isBuiltin(id), service, clients);

  app.get('/status', {
    schema: {
      tags: ['admin'],
      summary: 'Broker status',
      response: {
        200: {
          type: 'object',
          required: ['version', 'data_dir', 'secret_store', 'install_id', 'started_at', 'url', 'paused', 'counts'],
          properties: {
            version: { type: 'string' },
            data_dir: { type: 'string' },
            secret_store: { type: 'string', enum: ['keychain', 'file'] },
            install_id: { type: 'string', description: 'This data dir\'s random id: it namespaces the broker\'s keychain entries' },
            started_at: { type: 'string' },
            url: { type: 'string' },
            paused: { type: 'boolean', description: 'The kill switch: true while every agent request is refused' },
            counts: {
              type: 'object',
              required: ['connections', 'agents', 'pending_approvals'],
              properties: { connections: { type: 'integer' }, agents: { type: 'integer' }, pending_approvals: { type: 'integer' } },
            },
          },
        },
        ...errorResponses,
      },
    },
  }, async () => options.status());

  app.get('/providers', {
    schema: {
      tags: ['providers'],
      summary: 'The provider catalog, with each provider\'s redirect URI and OAuth app state',
      response: { 200: { type: 'object', required: ['providers'], properties: { providers: { type: 'array', items: providerRef } } }, ...errorResponses },
    },
  }, async () => ({ providers: catalog.list().map((p) => summary(p.id)) }));

  app.post('/providers', {
    schema: {
      tags: ['providers'],
      summary: 'Add a custom provider definition (persisted in the data dir)',
      body: { type: 'object' },
      response: { 201: providerRef, ...errorResponses },
    },
  }, async (request, reply) => {
    const definition = validateProviderDefinition(request.body);
    await catalog.addCustom(definition, options.dataDir);
    return reply.code(201).send(summary(definition.id));
  });

  app.put<{ Params: { id: string }; Body: { client_id: string; client_secret?: string } }>('/providers/:id/client', {
    schema: {
      tags: ['providers'],
      summary: 'Set your own OAuth app for a provider (the secret goes to the vault)',
      params: idParam,
      body: {
        type: 'object',
        required: ['client_id'],
        additionalProperties: false,
        properties: { client_id: { type: 'string', minLength: 1, maxLength: 512 }, client_secret: { type: 'string', maxLength: 4096 } },
      },
      response: { 200: providerRef, ...errorResponses },
    },
  }, async (request) => {
    await service.setClient(request.params.id, request.body.client_id, request.body.client_secret);
    return summary(request.params.id);
  });
}
