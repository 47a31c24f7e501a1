import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { DEFAULT_BASE, resolveBases } from '../catalog/bases.js';
import type { ProviderDefinition } from '../catalog/types.js';
import { isLatchkeyError } from '../errors.js';
import { isFromForeignPage } from '../net.js';
import type { ConnectionRecord } from '../store/connections.js';
import { authorizeCall, grantableConnectionScopes, grantedScopes } from './access.js';
import { acceptsScheme, authenticateAgent, failedAgent } from './agent-auth.js';
import { clientClosed, forbiddenOrigin, missingToken, paused, rateLimitExceeded, unknownBase } from './errors.js';
import { unknownConnection } from '../connections/unknown-connection.js';
import { agentResponseHeaders, credentialHeader, upstreamRequestHeaders } from './headers.js';
import { checkProxyPath, splitProxyUrl, upstreamTarget, type ProxyTarget } from './path.js';
import { rateLimitHeaders, type RateLimiter } from './rate-limit.js';
import { asLatchkeyError, commit, logUpstreamFailure, openExchange, refuse, relay, type Exchange } from './respond.js';
import type { AgentPrincipal, ProxyDeps } from './types.js';
import { agentGone, declaredBodyBytes, holdIfAsked } from '../ask-first/hook.js';
import { sendUpstream, type UpstreamAgents } from './upstream.js';

export interface ProxyRuntime {
  deps: ProxyDeps;
  limiter: RateLimiter;
  agents: UpstreamAgents;
  timeoutMs: number;
  defaultRateLimit: number;
}

/** Request bodies up to this size are kept so the call can be replayed after a token refresh. */
export const REPLAYABLE_BODY_BYTES = 64 * 1024;
const REFRESHABLE = new Set<ConnectionRecord['auth_method']>(['oauth', 'device']);

export interface AdmittedCall {
  record: ConnectionRecord;
  provider: ProviderDefinition;
  url: URL;
  requestPath: string;
}

/**
 * Origin, token, rate limit (where one is given) and kill switch: what every agent-facing
 * route checks first. Records who the agent is on the exchange as soon as that is known.
 */
export async function admitAgent(
  req: IncomingMessage,
  exchange: Exchange,
  deps: ProxyDeps,
  rateLimit?: Pick<ProxyRuntime, 'limiter' | 'defaultRateLimit'>,
): Promise<AgentPrincipal> {
  // Browsers attach Origin (and Sec-Fetch-Site) to what a web page sends; agents send neither.
  if (isFromForeignPage(req.headers)) throw forbiddenOrigin();
  let authenticated: Awaited<ReturnType<typeof authenticateAgent>>;
  try {
    authenticated = await authenticateAgent(req.headers, deps.verifier, deps.catalog.agentAuthSchemes());
  } catch (error) {
    Object.assign(exchange.entry, failedAgent(error));
    throw error;
  }
  const { agent, via } = authenticated;
  exchange.entry.agent_id = agent.agent_id;
  exchange.entry.agent_name = agent.agent_name;
  // Only a connection this agent holds a grant on lends its SDK conventions: nobody learns of another's provider.
  const provider = exchange.entry.connection ? grantedProvider(agent, exchange.entry.connection, deps) : undefined;
  if (provider?.api.error_dialect) exchange.dialect = provider.api.error_dialect;
  if (!acceptsScheme(provider, via)) throw missingToken();
  return admitPrincipal(agent, exchange, deps, rateLimit);
}

/** Rate limit (where one is given) and kill switch for an authenticated agent, recorded on the exchange. */
export function admitPrincipal(
  agent: AgentPrincipal,
  exchange: Exchange,
  deps: ProxyDeps,
  rateLimit?: Pick<ProxyRuntime, 'limiter' | 'defaultRateLimit'>,
): AgentPrincipal {
  exchange.entry.agent_id = agent.agent_id;
  exchange.entry.agent_name = agent.agent_name;
  if (agent.session_id) exchange.entry.session_id = agent.session_id; // a `latchkey exec` session's call
  if (rateLimit) {
    const state = rateLimit.limiter.take(agent.agent_id, agent.rate_limit_per_minute ?? rateLimit.defaultRateLimit);
    exchange.headers = rateLimitHeaders(state);
    if (!state.allowed) throw rateLimitExceeded(state.limit, state.retryAfter);
  }
  if (deps.verifier.paused) throw paused();
  return agent;
}

/**
 * `ANY /proxy/<connection>/<path>`: admission (origin, agent token, rate limit, kill
 * switch, path safety, grant, endpoint rule), then the upstream call with the connection's
 * credential, one refresh-and-retry on a 401, and the response streamed back. The audit
 * entry is committed before the agent sees the end of any answer.
 */
export async function handleProxyRequest(
  req: IncomingMessage,
  res: ServerResponse,
  runtime: ProxyRuntime,
  log: Exchange['log'],
): Promise<void> {
  const target = splitProxyUrl(req.url ?? '/proxy/');
  const exchange = openExchange(
    { kind: 'proxy', connection: target.connection, method: req.method ?? 'GET', path: target.audited },
    log,
  );
  let call: AdmittedCall;
  try {
    const agent = await admitAgent(req, exchange, runtime.deps, runtime);
    call = admitCall(agent, target, req.method ?? 'GET', runtime.deps);
    // Ask-first grants: only agents whose grants ask pay for it.
    if (agent.ask)
      await holdIfAsked(runtime.deps.askFirst, {
        agent,
        call,
        target,
        method: req.method ?? 'GET',
        bodyBytes: declaredBodyBytes(req.headers),
        signal: agentGone(res),
        exchange,
      });
  } catch (error) {
    return refuse(runtime.deps, res, exchange, error);
  }
  exchange.entry.decision = 'allow';
  await forward(req, res, call, exchange, runtime);
  // An upload answered before it was all read (the provider replied early or failed): drain
  // the rest, or the agent's connection would stall behind it.
  if (!req.readableEnded) req.resume();
}

export function admitCall(agent: AgentPrincipal, target: ProxyTarget, method: string, deps: ProxyDeps): AdmittedCall {
  const path = checkProxyPath(target.path);
  const grant = agent.grants.get(target.connection);
  const found = grant === undefined ? undefined : findConnection(deps, target.connection);
  // The grant is for the connection of that id: another one connected since under the same name is not it.
  const record = found?.id === agent.connection_ids.get(target.connection) ? found : undefined;
  if (grant === undefined || record === undefined) {
    const mine = new Set(agent.grants.keys());
    // Also for connections that exist but are not granted: an agent learns nothing about the person's other connections.
    throw unknownConnection(target.connection, {
      available: deps.connections
        .list()
        .filter((c) => mine.has(c.name))
        .map((c) => c.name),
      nextStep: 'GET /v1/connections lists the ones this agent may use.',
    });
  }
  const provider = deps.catalog.require(record.provider);
  const base = target.base ?? DEFAULT_BASE;
  // Only the definition's own bases, with this connection's checked variables, are ever dialled.
  const bases = connectionBases(provider, record.variables);
  const baseUrl = Object.hasOwn(bases, base) ? bases[base] : undefined;
  if (baseUrl === undefined) throw unknownBase(record.name, base, Object.keys(bases));
  authorizeCall({
    matcher: deps.catalog.matcher(provider.id, base),
    method,
    path,
    connection: record.name,
    connectionScopes: grantableConnectionScopes(record, provider),
    granted: grantedScopes(grant, record, provider),
  });
  return { record, provider, ...upstreamTarget(baseUrl, target.path as string, target.query) };
}

/**
 * resolveBases, once per definition and set of variables: both are replaced whole, never
 * edited, when the catalog or the connection changes, so their identity keys the result.
 * A resolution that throws is not kept: every call through it is refused anew.
 */
const resolvedBases = new WeakMap<
  ProviderDefinition,
  WeakMap<Readonly<Record<string, string>>, Readonly<Record<string, string>>>
>();

function connectionBases(
  provider: ProviderDefinition,
  variables: Readonly<Record<string, string>>,
): Readonly<Record<string, string>> {
  let byVariables = resolvedBases.get(provider);
  if (byVariables === undefined) {
    byVariables = new WeakMap();
    resolvedBases.set(provider, byVariables);
  }
  let bases = byVariables.get(variables);
  if (bases === undefined) {
    bases = Object.freeze(resolveBases(provider, variables));
    byVariables.set(variables, bases);
  }
  return bases;
}

function grantedProvider(agent: AgentPrincipal, name: string, deps: ProxyDeps): ProviderDefinition | undefined {
  if (!agent.grants.has(name)) return undefined;
  const record = findConnection(deps, name);
  return record !== undefined && record.id === agent.connection_ids.get(name)
    ? deps.catalog.get(record.provider)
    : undefined;
}

function findConnection(deps: ProxyDeps, name: string): ConnectionRecord | undefined {
  try {
    return deps.connections.get(name);
  } catch (error) {
    if (isLatchkeyError(error) && error.code === 'unknown_connection') return undefined;
    throw error;
  }
}

async function forward(
  req: IncomingMessage,
  res: ServerResponse,
  call: AdmittedCall,
  exchange: Exchange,
  runtime: ProxyRuntime,
): Promise<void> {
  const { deps } = runtime;
  const meter = { bytesIn: 0 };
  let upstream: IncomingMessage;
  try {
    upstream = await callUpstream(
      call,
      { method: req.method ?? 'GET', headers: req.headers, body: await requestBody(req) },
      exchange,
      runtime,
      meter,
    );
  } catch (error) {
    return refuse(deps, res, exchange, error, meter.bytesIn);
  }
  const headers = agentResponseHeaders(upstream.rawHeaders);
  for (const [name, value] of Object.entries(exchange.headers)) headers.push(name, value);
  const status = upstream.statusCode ?? 502;
  res.writeHead(status, upstream.statusMessage, headers);
  const relayed = await relay(upstream, res);
  if (relayed.failure) logUpstreamFailure(exchange.log, exchange.entry.connection ?? null, relayed.failure);
  const committed = await commit(deps.audit, exchange, {
    status,
    reason: relayed.failure ?? exchange.entry.reason ?? null,
    bytes_in: meter.bytesIn,
    bytes_out: relayed.bytes,
  });
  // The last bytes and the end tell the agent it has everything: only for a complete, recorded answer.
  if (committed && !relayed.failure) res.end(relayed.last);
  else res.destroy();
}

/**
 * An admitted call sent upstream with the connection's credential injected, and sent once
 * more after a refresh when the provider answers 401 and the body can be replayed. Counts
 * the body bytes sent into `meter` (also when it throws).
 */
export async function callUpstream(
  call: AdmittedCall,
  request: { method: string; headers: IncomingHttpHeaders; body: Buffer | Readable | null },
  exchange: Exchange,
  runtime: ProxyRuntime,
  meter: { bytesIn: number },
): Promise<IncomingMessage> {
  const { deps } = runtime;
  const { record, provider } = call;
  const { body } = request;
  const send = (secret: string) => {
    if (body === null || Buffer.isBuffer(body)) meter.bytesIn = body?.length ?? 0;
    else body.on('data', (chunk: Buffer) => void (meter.bytesIn += chunk.length)); // attached in the same tick as the pipe
    return sendUpstream(
      {
        url: call.url,
        requestPath: call.requestPath,
        method: request.method,
        headers: upstreamRequestHeaders(request.headers, provider, credentialHeader(provider, record, secret)),
        body,
        timeoutMs: runtime.timeoutMs,
      },
      runtime.agents,
    );
  };
  let credential = await deps.tokens.current(record);
  let upstream = await send(credential.access_token);
  if (upstream.statusCode === 401 && REFRESHABLE.has(record.auth_method)) {
    if (body === null || Buffer.isBuffer(body)) {
      upstream.resume();
      credential = await deps.tokens.refresh(record, credential.access_token);
      exchange.entry.reason = 'upstream_token_refreshed';
      upstream = await send(credential.access_token);
    } else {
      // The streamed body is spent, so the agent gets this 401; its retry finds a fresh token (or 412).
      // Nobody waits on this refresh: the log is where its failure is seen (its code, never a token); the agent's retry meets it again.
      deps.tokens.refresh(record, credential.access_token).catch((error: unknown) => {
        exchange.log.warn(
          { connection: record.name, failure: asLatchkeyError(error).code },
          'proxy: token refresh after an upstream 401 failed',
        );
      });
      exchange.entry.reason = 'upstream_401_not_replayable';
    }
  }
  try {
    deps.store.touch(record.id);
  } catch {
    // last_used_at is bookkeeping: failing to write it must not fail the call
  }
  return upstream;
}

/**
 * The request body to forward: none; small and of known length, read into memory so a
 * 401 can be retried; otherwise the request stream itself, sent once and never buffered.
 */
async function requestBody(req: IncomingMessage): Promise<Buffer | Readable | null> {
  const chunked = req.headers['transfer-encoding'] !== undefined;
  const length = Number(req.headers['content-length'] ?? 0);
  if (!chunked && !(length > 0)) return null;
  if (chunked || length > REPLAYABLE_BODY_BYTES) return req;
  const chunks: Buffer[] = [];
  try {
    for await (const chunk of req) chunks.push(chunk as Buffer);
  } catch {
    throw clientClosed();
  }
  return Buffer.concat(chunks);
}
