import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  ConnectRequest,
  ConnectResult,
  Connection,
  ConnectionList,
  ConnectionNameParams,
  DeleteResult,
  Flow,
  FlowIdParams,
} from '../../common/api/connections.js';
import { errorResponses } from '../../common/api/errors.js';
import { connectionView, flowView } from '../http/views.js';
import type { ConnectionService } from './service.js';

export interface ConnectionRoutesOptions {
  service: ConnectionService;
}

/** The connection admin routes (under /admin/api): list, connect, follow a flow, refresh, disconnect. */
export async function connectionRoutes(app: FastifyInstance, options: ConnectionRoutesOptions): Promise<void> {
  const { service } = options;
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/connections',
    {
      schema: {
        tags: ['connections'],
        summary: 'Connected accounts (metadata only, never a secret)',
        response: { 200: ConnectionList, ...errorResponses },
      },
    },
    async () => ({ connections: service.list().map((record) => connectionView(record)) }),
  );

  api.post(
    '/connections',
    {
      schema: {
        tags: ['connections'],
        summary: 'Connect an account: starts a browser or device flow, or stores a pasted key',
        body: ConnectRequest,
        response: { 201: ConnectResult, ...errorResponses },
      },
    },
    async (request, reply) => {
      const started = await service.connect(request.body);
      const body =
        started.kind === 'connected'
          ? { kind: started.kind, connection: connectionView(started.connection) }
          : { ...started, expires_at: new Date(started.expires_at).toISOString() };
      return reply.code(201).send(body);
    },
  );

  api.get(
    '/connections/flows/:flow_id',
    {
      schema: {
        tags: ['connections'],
        summary: 'How a connect flow is going: pending, connected or failed',
        params: FlowIdParams,
        response: { 200: Flow, ...errorResponses },
      },
    },
    async (request) => flowView(service.flow(request.params.flow_id), service),
  );

  api.post(
    '/connections/:name/refresh',
    {
      schema: {
        tags: ['connections'],
        summary: "Refresh a connection's tokens now",
        params: ConnectionNameParams,
        response: { 200: Connection, ...errorResponses },
      },
    },
    async (request) => connectionView(await service.refresh(request.params.name)),
  );

  api.delete(
    '/connections/:name',
    {
      schema: {
        tags: ['connections'],
        summary: 'Disconnect: revoke at the provider (RFC 7009) where possible, then forget tokens and metadata',
        params: ConnectionNameParams,
        response: { 200: DeleteResult, ...errorResponses },
      },
    },
    async (request) => ({ deleted: true as const, ...(await service.disconnect(request.params.name)) }),
  );
}
