import type { IncomingMessage } from 'node:http';
import { holdIfAsked } from '../ask-first/hook.js';
import { LatchkeyError } from '../errors.js';
import { admitCall, admitPrincipal, callUpstream, type ProxyRuntime } from '../proxy/handler.js';
import { agentResponseHeaders } from '../proxy/headers.js';
import type { ProxyTarget } from '../proxy/path.js';
import {
  asLatchkeyError,
  commit,
  logInternalError,
  logUpstreamFailure,
  openExchange,
  type Exchange,
} from '../proxy/respond.js';
import type { AgentPrincipal } from '../proxy/types.js';

/** A tool result goes into the model's context: bodies are cut here, with a note saying so. */
export const MAX_TOOL_BODY_BYTES = 64 * 1024;

/** The upstream response headers a model can act on (type, paging, rate limits); the rest stay out of its context. */
const SELECTED_HEADERS =
  /^(content-type|location|link|retry-after|etag|x-ratelimit-(limit|remaining|reset)|x-upstream-ratelimit-(limit|remaining|reset))$/i;
const TEXTUAL = /^(text\/|application\/([\w.+-]*\+)?(json|xml|x-www-form-urlencoded|javascript))/i;

export interface ConnectionRequest {
  method: string;
  /** Under the provider's API base URL, starting with "/"; checked like a proxy path. */
  path: string;
  query?: Record<string, string> | undefined;
  /** Sent as JSON. */
  body?: unknown;
  /** A named API base of a multi-host provider (`sheets` for Google); the default base when absent. */
  base?: string | undefined;
}

export interface ConnectionResponse {
  status: number;
  headers: Record<string, string>;
  /** Parsed JSON when the provider sent JSON, else text; base64 for binary content. */
  body: unknown;
  body_encoding?: 'base64';
  truncated?: string;
}

/**
 * A `<connection>_request` tool call, made through the proxy's own core: the same
 * admission (rate limit, kill switch, grant, endpoint rules), credential injection and
 * refresh-and-retry as `/proxy/<connection>/<path>`, and one audit entry naming the tool,
 * committed before the result is returned. Refusals are thrown as the proxy's errors.
 */
export async function requestThroughProxy(
  agent: AgentPrincipal,
  tool: string,
  connection: string,
  input: ConnectionRequest,
  runtime: ProxyRuntime,
  log: Exchange['log'],
  signal?: AbortSignal,
): Promise<ConnectionResponse> {
  const { target, method, exchange } = toolCall(agent, connection, input, log);
  const body = input.body === undefined ? null : Buffer.from(JSON.stringify(input.body));
  const meter = { bytesIn: 0 };
  let upstream: IncomingMessage;
  try {
    admitPrincipal(agent, exchange, runtime.deps, runtime);
    const call = admitCall(agent, target, method, runtime.deps);
    // Ask-first grants hold tool calls as they hold proxied ones (`signal`: the client cancelled).
    if (agent.ask)
      await holdIfAsked(runtime.deps.askFirst, {
        agent,
        call,
        target,
        method,
        bodyBytes: body?.length ?? 0,
        signal,
        exchange,
      });
    exchange.entry.decision = 'allow';
    const headers = body === null ? {} : { 'content-type': 'application/json', 'content-length': String(body.length) };
    upstream = await callUpstream(call, { method, headers, body }, exchange, runtime, meter);
  } catch (error) {
    const failure = asLatchkeyError(error);
    if (failure.status === 500) logInternalError(log, connection, error);
    else logUpstreamFailure(log, connection, failure.code, failure.message);
    await recordToolCall(runtime, exchange, tool, {
      status: failure.status,
      note: failure.code,
      bytesIn: meter.bytesIn,
      bytesOut: 0,
    });
    throw failure;
  }
  const read = await readBounded(upstream, MAX_TOOL_BODY_BYTES);
  const status = upstream.statusCode ?? 502;
  await recordToolCall(runtime, exchange, tool, {
    status,
    note: read.failure ?? exchange.entry.reason ?? undefined,
    bytesIn: meter.bytesIn,
    bytesOut: read.data.length,
  });
  if (read.failure) logUpstreamFailure(log, connection, read.failure);
  if (read.failure)
    throw new LatchkeyError('upstream_unreachable', "The provider's API broke off its response; try again.", 502);

  const headers: Record<string, string> = {};
  const raw = agentResponseHeaders(upstream.rawHeaders);
  for (let i = 0; i < raw.length; i += 2)
    if (SELECTED_HEADERS.test(raw[i]!)) headers[raw[i]!.toLowerCase()] = raw[i + 1]!;
  return {
    status,
    headers,
    ...decodeBody(read.data, headers['content-type'] ?? '', read.truncated),
    ...(read.truncated
      ? {
          truncated: `The response was cut after ${MAX_TOOL_BODY_BYTES} bytes. Ask for less: use the API's paging or filtering parameters (e.g. per_page/limit with page/cursor, or the "link" header's next URL).`,
        }
      : {}),
  };
}

/** A request tool call as the proxy sees it (connection, path, query, method), with its audit entry opened in the agent's name. */
export function toolCall(
  agent: AgentPrincipal,
  connection: string,
  input: ConnectionRequest,
  log: Exchange['log'],
): { target: ProxyTarget; method: string; exchange: Exchange } {
  const query = new URLSearchParams(input.query ?? {}).toString();
  // Audited as the proxy records `/proxy/<connection>:<base>/…`: the base before the path.
  const target: ProxyTarget = {
    connection,
    base: input.base,
    path: input.path,
    query,
    audited: `${input.base === undefined ? '' : `:${input.base}`}${input.path}${query === '' ? '' : `?${query}`}`,
  };
  const method = input.method.toUpperCase();
  const exchange = openExchange(
    { kind: 'proxy', connection, method, path: target.audited, agent_id: agent.agent_id, agent_name: agent.agent_name },
    log,
  );
  return { target, method, exchange };
}

/** The tool call's audit entry; if it cannot be written the result is withheld (nothing unaudited reaches an agent). */
export async function recordToolCall(
  runtime: ProxyRuntime,
  exchange: Exchange,
  tool: string,
  outcome: { status: number; note: string | undefined; bytesIn: number; bytesOut: number },
): Promise<void> {
  const committed = await commit(runtime.deps.audit, exchange, {
    status: outcome.status,
    reason: `mcp tool ${tool}${outcome.note ? `: ${outcome.note}` : ''}`,
    bytes_in: outcome.bytesIn,
    bytes_out: outcome.bytesOut,
  });
  if (!committed) throw auditUnavailable();
}

export const auditUnavailable = (): LatchkeyError =>
  new LatchkeyError(
    'internal_error',
    'Latchkey could not record this call in its audit log, so it withholds the result.',
    500,
  );

/** At most `limit` bytes of the body; the connection is dropped rather than drained when there is more. */
function readBounded(
  source: IncomingMessage,
  limit: number,
): Promise<{ data: Buffer; truncated: boolean; failure?: 'upstream_aborted' }> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) finish(true);
    };
    const finish = (truncated: boolean, failure?: 'upstream_aborted'): void => {
      source.off('data', onData).off('end', onEnd).off('close', onClose);
      if (truncated || failure) source.destroy();
      resolve({ data: Buffer.concat(chunks).subarray(0, limit), truncated, ...(failure ? { failure } : {}) });
    };
    const onEnd = (): void => finish(false);
    const onClose = (): void => finish(false, 'upstream_aborted');
    source.on('error', () => {}); // reported through 'close' without 'end'
    source.on('data', onData).once('end', onEnd).once('close', onClose);
  });
}

function decodeBody(
  data: Buffer,
  contentType: string,
  truncated: boolean,
): Pick<ConnectionResponse, 'body' | 'body_encoding'> {
  if (data.length === 0) return { body: null };
  if (!TEXTUAL.test(contentType)) return { body: data.toString('base64'), body_encoding: 'base64' };
  const text = data.toString('utf8');
  if (!truncated && /json/i.test(contentType)) {
    try {
      return { body: JSON.parse(text) as unknown };
    } catch {
      // a provider's malformed JSON is still worth showing as text
    }
  }
  return { body: text };
}
