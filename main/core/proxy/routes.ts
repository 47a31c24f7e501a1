import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AgentConnectionList } from '../../common/api/connections.js';
import { ErrorBody } from '../../common/api/errors.js';
import { AgentAuthHeaders, PlainText } from '../../common/api/oauth.js';
import { agentConnections, llmsText } from './discovery.js';
import { admitAgent, handleProxyRequest, type ProxyRuntime } from './handler.js';
import { logInternalError, openExchange, refuse } from './respond.js';
import { createProxyRuntime } from './runtime.js';
import type { ProxyDeps } from './types.js';

export type { AgentPrincipal, AgentVerifier, AuditRecord, AuditSink, ProxyDeps } from './types.js';

/**
 * The agent-facing surface: the authenticated proxy `/proxy/<connection>/<path>`, the
 * discovery route `GET /v1/connections` and the public `/llms.txt`. Registered at the
 * root; encapsulated, so its body handling applies to these routes only.
 */
export async function proxyRoutes(
  app: FastifyInstance,
  options: ProxyDeps & { runtime?: ProxyRuntime },
): Promise<void> {
  const { runtime: shared, ...deps } = options;
  // A runtime given by the broker is shared (and closed) there; one of our own closes with this plugin.
  const runtime = shared ?? createProxyRuntime(deps);
  if (!shared) app.addHook('onClose', async () => runtime.agents.close());

  // Bodies stay unread in request.raw, whatever their type or size: the proxy streams them.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null));

  const proxy = { schema: { hide: true } };
  const handle = async (request: FastifyRequest, reply: FastifyReply): Promise<void> => {
    reply.hijack();
    // handleProxyRequest answers every failure it knows; anything else must not leave the agent waiting.
    await handleProxyRequest(request.raw, reply.raw, runtime, request.log).catch((error: unknown) => {
      logInternalError(request.log, (request.params as { connection?: string }).connection ?? null, error);
      reply.raw.destroy();
    });
  };
  app.all('/proxy/:connection/*', proxy, handle);
  // `/proxy/name` alone is not a proxy URL (and what clients make of `/proxy/name/../x`): refused as such.
  app.all('/proxy/:connection', proxy, handle);

  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/v1/connections',
    {
      schema: {
        tags: ['agents'],
        summary: 'The connections this agent may use, with the scopes it holds and the base URL to call them at',
        description: "Authenticated with the agent's access token: `Authorization: Bearer <token>`.",
        headers: AgentAuthHeaders,
        response: { 200: AgentConnectionList, 401: ErrorBody, 403: ErrorBody },
      },
    },
    async (request, reply) => {
      const exchange = openExchange(
        { kind: 'proxy', connection: null, method: request.method, path: request.url },
        request.log,
      );
      try {
        const agent = await admitAgent(request.raw, exchange, deps);
        return { connections: agentConnections(agent, deps.connections.list(), deps.catalog, deps.baseUrl()) };
      } catch (error) {
        reply.hijack();
        return refuse(deps, reply.raw, exchange, error);
      }
    },
  );

  api.get(
    '/llms.txt',
    {
      schema: { summary: 'How an agent gets a token and calls the proxy (plain text)', response: { 200: PlainText } },
    },
    async (_request, reply) =>
      reply
        .type('text/plain; charset=utf-8')
        .header('cache-control', 'no-cache')
        .send(llmsText(deps.baseUrl(), deps.verifier.tokenEndpoint())),
  );
}
