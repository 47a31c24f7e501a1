import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { AuthInfo, createMcpHandler } from '@modelcontextprotocol/server';
import { ProtectedResourceMetadata } from '../../common/api/oauth.js';
import type { Authz } from '../authz/open-authz.js';
import { formatScope } from '../authz/grants.js';
import { LatchkeyError } from '../errors.js';
import { bearerChallenge } from '../proxy/errors.js';
import { admitAgent, type ProxyRuntime } from '../proxy/handler.js';
import { asLatchkeyError, commit, openExchange, type Exchange } from '../proxy/respond.js';
import type { AgentPrincipal, AgentVerifier, ProxyDeps } from '../proxy/types.js';

export interface McpRoutesOptions {
  authz: Pick<Authz, 'verification' | 'metadata'>;
  /** The proxy's runtime: tool calls go through the proxy's core, rate limits included. */
  runtime: ProxyRuntime;
  version: string;
}

const MCP_PATH = '/mcp';
const METADATA_PATH = '/.well-known/oauth-protected-resource';

/** Request headers that describe the hop to Latchkey, not the MCP message. */
const HOP_HEADERS = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade']);

/**
 * Latchkey as an MCP server (Streamable HTTP, both protocol eras through the SDK's
 * `createMcpHandler`) at `/mcp`, a protected resource of Latchkey's own authorization
 * server: RFC 9728 metadata, a Bearer challenge naming it on every 401, and only tokens
 * minted for `/mcp` accepted (RFC 8707 audience). Host and Origin are checked by the
 * server's guard before anything here runs.
 */
export async function mcpRoutes(
  app: FastifyInstance,
  { authz: { verification, metadata }, runtime, version }: McpRoutesOptions,
): Promise<void> {
  const verifier: AgentVerifier = {
    verifyAccessToken: (token) => verification.verifyAccessToken(token, MCP_PATH),
    get paused() {
      return verification.paused;
    },
    tokenEndpoint: () => verification.tokenEndpoint(),
  };
  const deps: ProxyDeps = { ...runtime.deps, verifier };
  // The MCP SDK and the tools (zod) load with the first /mcp request: a broker nobody calls
  // over MCP starts sooner and stays smaller without them.
  let loading: Promise<ReturnType<typeof createMcpHandler>> | undefined;
  const mcpHandler = (): Promise<ReturnType<typeof createMcpHandler>> =>
    (loading ??= Promise.all([import('@modelcontextprotocol/server'), import('./tools.js')]).then(
      ([{ createMcpHandler }, { toolServer }]) =>
        createMcpHandler(({ authInfo }) => toolServer(principalOf(authInfo), runtime, version, app.log)),
    ));
  app.addHook('onClose', async () => {
    // A handler that failed to load has nothing to close (its requests were answered 500).
    await loading?.then(
      (handler) => handler.close(),
      () => undefined,
    );
  });

  // RFC 9728, path form for /mcp and the root form clients fall back to; both describe /mcp.
  for (const path of [`${METADATA_PATH}${MCP_PATH}`, METADATA_PATH]) {
    app
      .withTypeProvider<TypeBoxTypeProvider>()
      .get(path, { schema: { hide: true, response: { 200: ProtectedResourceMetadata } } }, async (request) => {
        const origin = metadata.addressedIssuer(request.headers.host);
        return {
          resource: `${origin}${MCP_PATH}`,
          authorization_servers: [origin],
          bearer_methods_supported: ['header'],
          resource_name: 'Latchkey',
          resource_documentation: `${origin}/llms.txt`,
        };
      });
  }

  app.route({
    method: ['GET', 'POST', 'DELETE'],
    url: MCP_PATH,
    schema: { hide: true },
    handler: async (request, reply) => {
      const origin = metadata.addressedIssuer(request.headers.host);
      const exchange = openExchange(
        { kind: 'proxy', connection: null, method: request.method, path: MCP_PATH },
        request.log,
      );
      let agent: AgentPrincipal;
      try {
        agent = await admitAgent(request.raw, exchange, deps);
      } catch (error) {
        return refuse(reply, deps, exchange, asLatchkeyError(error), `${origin}${METADATA_PATH}${MCP_PATH}`);
      }
      const authInfo: AuthInfo = {
        token: '', // the tools never need it: Latchkey never passes an MCP client's token on
        clientId: agent.client_id,
        scopes: formatScope(agent.grants).split(' ').filter(Boolean),
        expiresAt: Math.floor(agent.expires_at / 1000),
        resource: new URL(`${origin}${MCP_PATH}`),
        resourceMetadataUrl: `${origin}${METADATA_PATH}${MCP_PATH}`,
        extra: { principal: agent },
      };
      const abort = new AbortController();
      reply.raw.once('close', () => abort.abort());
      const handler = await mcpHandler();
      return reply.send(
        await handler.fetch(webRequest(request, origin, abort.signal), {
          authInfo,
          ...(request.body === undefined ? {} : { parsedBody: request.body }),
        }),
      );
    },
  });
}

function principalOf(authInfo: AuthInfo | undefined): AgentPrincipal {
  const principal = authInfo?.extra?.principal;
  if (principal === undefined)
    throw new LatchkeyError('internal_error', 'An MCP request reached its tools without an authenticated agent.', 500);
  return principal as AgentPrincipal;
}

function webRequest(request: FastifyRequest, origin: string, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(request.headers)) {
    if (value === undefined || HOP_HEADERS.has(name)) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return new Request(`${origin}${request.url}`, { method: request.method, headers, signal });
}

/**
 * A refused /mcp request: audited like the proxy's refusals, then answered with the
 * proxy's error body and RFC 6750 challenge plus `resource_metadata`, which tells an MCP
 * client where to (re-)authorize.
 */
async function refuse(
  reply: FastifyReply,
  deps: ProxyDeps,
  exchange: Exchange,
  error: LatchkeyError,
  metadataUrl: string,
): Promise<FastifyReply> {
  const body = error.toJSON();
  if (error.status === 401) body.token_endpoint = deps.verifier.tokenEndpoint();
  const committed = await commit(deps.audit, exchange, {
    status: error.status,
    reason: error.code,
    bytes_in: 0,
    bytes_out: 0,
  });
  if (!committed)
    return reply
      .code(500)
      .send(
        new LatchkeyError('internal_error', 'Latchkey could not record this request in its audit log.', 500).toJSON(),
      );
  const challenge = bearerChallenge(error, (scope) => scope);
  if (challenge) reply.header('www-authenticate', `${challenge}, resource_metadata="${metadataUrl}"`);
  return reply.code(error.status).header('cache-control', 'no-store').send(body);
}
