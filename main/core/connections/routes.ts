import type { FastifyInstance } from 'fastify';
import { errorResponses } from '../http/schemas.js';
import { connectionView, flowView } from '../http/views.js';
import type { ConnectionService } from './service.js';

export interface ConnectionRoutesOptions {
  service: ConnectionService;
}

const nameParam = { type: 'object', required: ['name'], properties: { name: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const connectionRef = { $ref: 'Connection#' } as const;

/** The connection admin routes (under /admin/api): list, connect, follow a flow, refresh, disconnect. */
export async function connectionRoutes(app: FastifyInstance, options: ConnectionRoutesOptions): Promise<void> {
  const { service } = options;

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
