import type { FastifyInstance } from 'fastify';
import type { BrokerStatus } from '../../common/admin-api.js';
import type { Catalog } from '../catalog/catalog.js';
import { validateProviderDefinition } from '../catalog/validate-definition.js';
import type { ConnectionService } from '../connections/service.js';
import type { ProviderClientStore } from '../store/provider-clients.js';
import { errorResponses } from './schemas.js';
import { connectionView, flowView, providerView } from './views.js';

export interface AdminRoutesOptions {
  catalog: Catalog;
  service: ConnectionService;
  clients: ProviderClientStore;
  dataDir: string;
  status: () => BrokerStatus;
}

const nameParam = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const idParam = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const connectionRef = { $ref: 'Connection#' } as const;
const providerRef = { $ref: 'ProviderSummary#' } as const;

/** The broker's own admin routes (under /admin/api): the one API both the Electron window and the browser dashboard use. */
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

  app.get('/connections', {
    schema: {
      tags: ['connections'],
      summary: 'Connected accounts (metadata only, never a secret)',
      response: { 200: { type: 'object', required: ['connections'], properties: { connections: { type: 'array', items: connectionRef } } }, ...errorResponses },
    },
  }, async () => ({ connections: service.list().map((record) => connectionView(record)) }));

  app.post<{ Body: { provider: string; method?: 'browser' | 'device' | 'personal_token' | 'api_key'; scopes?: string[]; name?: string; secret?: string; variables?: Record<string, string> } }>('/connections', {
    schema: {
      tags: ['connections'],
      summary: 'Connect an account: starts a browser or device flow, or stores a pasted key',
      body: {
        type: 'object',
        required: ['provider'],
        additionalProperties: false,
        properties: {
          provider: { type: 'string', minLength: 1, maxLength: 64 },
          method: { type: 'string', enum: ['browser', 'device', 'personal_token', 'api_key'] },
          scopes: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 256 }, maxItems: 200 },
          name: { type: 'string', minLength: 1, maxLength: 64 },
          secret: { type: 'string', minLength: 1, maxLength: 16384 },
          variables: {
            type: 'object',
            description: 'The provider\'s template variables, e.g. {"subdomain": "acme"}; checked as DNS labels or host names (invalid_variable)',
            maxProperties: 5,
            additionalProperties: { type: 'string', maxLength: 253 },
          },
        },
      },
      response: {
        201: {
          type: 'object',
          required: ['kind'],
          properties: {
            kind: { type: 'string', enum: ['browser', 'device', 'connected'] },
            flow_id: { type: 'string' },
            authorize_url: { type: 'string' },
            redirect_uri: { type: 'string' },
            user_code: { type: 'string' },
            verification_uri: { type: 'string' },
            verification_uri_complete: { type: 'string' },
            expires_at: { type: 'string', format: 'date-time' },
            connection: connectionRef,
          },
        },
        ...errorResponses,
      },
    },
  }, async (request, reply) => {
    const started = await service.connect(request.body);
    const body = started.kind === 'connected'
      ? { kind: started.kind, connection: connectionView(started.connection) }
      : { ...started, expires_at: new Date(started.expires_at).toISOString() };
    return reply.code(201).send(body);
  });

  app.get<{ Params: { flow_id: string } }>('/connections/flows/:flow_id', {
    schema: {
      tags: ['connections'],
      summary: 'How a connect flow is going: pending, connected or failed',
      params: { type: 'object', required: ['flow_id'], properties: { flow_id: { type: 'string', minLength: 1, maxLength: 128 } } },
      response: { 200: { $ref: 'Flow#' }, ...errorResponses },
    },
  }, async (request) => flowView(service.flow(request.params.flow_id), service));

  app.post<{ Params: { name: string } }>('/connections/:name/refresh', {
    schema: { tags: ['connections'], summary: 'Refresh a connection\'s tokens now', params: nameParam, response: { 200: connectionRef, ...errorResponses } },
  }, async (request) => connectionView(await service.refresh(request.params.name)));

  app.delete<{ Params: { name: string } }>('/connections/:name', {
    schema: {
      tags: ['connections'],
      summary: 'Disconnect: revoke at the provider (RFC 7009) where possible, then forget tokens and metadata',
      params: nameParam,
      response: {
        200: {
          type: 'object',
          required: ['deleted', 'revoked_at_provider'],
          properties: { deleted: { type: 'boolean' }, revoked_at_provider: { type: 'boolean' }, revocation_error: { type: 'string' } },
        },
        ...errorResponses,
      },
    },
  }, async (request) => ({ deleted: true, ...(await service.disconnect(request.params.name)) }));
}
