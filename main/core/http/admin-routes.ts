import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../../common/api/errors.js';
import {
  ProviderClientInput,
  ProviderDefinitionInput,
  ProviderIdParams,
  ProviderList,
  ProviderSummary,
} from '../../common/api/providers.js';
import { BrokerStatus } from '../../common/api/status.js';
import type { Catalog } from '../catalog/catalog.js';
import { validateProviderDefinition } from '../catalog/validate-definition.js';
import type { ConnectionService } from '../connections/service.js';
import type { ProviderClientStore } from '../store/provider-clients.js';
import { providerView } from './views.js';

export interface AdminRoutesOptions {
  catalog: Catalog;
  service: ConnectionService;
  clients: ProviderClientStore;
  dataDir: string;
  status: () => BrokerStatus;
}

/** The broker's own admin routes (under /admin/api): status and providers; connections/routes.ts has the connections. */
export async function adminRoutes(app: FastifyInstance, options: AdminRoutesOptions): Promise<void> {
  const { catalog, service, clients } = options;
  const summary = (id: string) => providerView(catalog.require(id), catalog.isBuiltin(id), service, clients);
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/status',
    {
      schema: {
        tags: ['admin'],
        summary: 'Broker status',
        response: { 200: BrokerStatus, ...errorResponses },
      },
    },
    async () => options.status(),
  );

  api.get(
    '/providers',
    {
      schema: {
        tags: ['providers'],
        summary: "The provider catalog, with each provider's redirect URI and OAuth app state",
        response: { 200: ProviderList, ...errorResponses },
      },
    },
    async () => ({ providers: catalog.list().map((p) => summary(p.id)) }),
  );

  api.post(
    '/providers',
    {
      schema: {
        tags: ['providers'],
        summary: 'Add a custom provider definition (persisted in the data dir)',
        body: ProviderDefinitionInput,
        response: { 201: ProviderSummary, ...errorResponses },
      },
    },
    async (request, reply) => {
      const definition = validateProviderDefinition(request.body);
      await catalog.addCustom(definition, options.dataDir);
      return reply.code(201).send(summary(definition.id));
    },
  );

  api.put(
    '/providers/:id/client',
    {
      schema: {
        tags: ['providers'],
        summary: 'Set your own OAuth app for a provider (the secret goes to the vault)',
        params: ProviderIdParams,
        body: ProviderClientInput,
        response: { 200: ProviderSummary, ...errorResponses },
      },
    },
    async (request) => {
      await service.setClient(request.params.id, request.body.client_id, request.body.client_secret);
      return summary(request.params.id);
    },
  );
}
