import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyBaseLogger } from 'fastify';
import type { ErrorDialect } from '../catalog/types.js';
import { LatchkeyError } from '../errors.js';
import { dialectAnswer } from './error-dialects.js';
import { bearerChallenge } from './errors.js';
import { SANDBOX_HEADERS } from './headers.js';
import type { AgentVerifier, AuditRecord, AuditSink } from './types.js';

/** One request's audit entry as it is being learned, and when the request arrived. */
export interface Exchange {
  entry: AuditRecord;
  started: number;
  /** Headers every answer to this agent carries (X-RateLimit-*), once it is known. */
  headers: Record<string, string>;
  /** The request's logger (its id bound): where a failure of Latchkey's own or the provider's is told. */
  log: Pick<FastifyBaseLogger, 'error' | 'warn'>;
  /** The called connection's error dialect, once the agent is known to hold a grant on it. */
  dialect?: ErrorDialect;
}

export function openExchange(entry: Omit<AuditRecord, 'decision'>, log: Exchange['log']): Exchange {
  return { entry: { ...entry, decision: 'deny' }, started: performance.now(), headers: {}, log };
}

/**
 * Tells the log that handling a request failed inside Latchkey: the request id (bound to
 * the logger), the connection and what failed. Never a header or a body: an error's own
 * name, code and message only.
 */
export function logInternalError(log: Exchange['log'], connection: string | null, error: unknown): void {
  const { name, code, message } = (error instanceof Error ? error : new Error(String(error))) as NodeJS.ErrnoException;
  log.error({ connection, error: { name, code, message } }, 'proxy: request failed inside Latchkey');
}

/** Upstream failures worth a line (the request id is bound to the logger): the provider is down, slow or broke off. */
const UPSTREAM_FAILURES = new Set(['upstream_unreachable', 'upstream_timeout', 'upstream_aborted']);

/**
 * Tells the log that the provider's side failed: the connection and the failure's code and
 * our own description of it (never the provider's answer, a header or a body).
 */
export function logUpstreamFailure(
  log: Exchange['log'],
  connection: string | null,
  code: string,
  description?: string,
): void {
  if (UPSTREAM_FAILURES.has(code))
    log.warn({ connection, failure: code, ...(description ? { description } : {}) }, 'proxy: upstream failed');
}

/**
 * Appends the exchange's audit entry; false when that failed. An answer is given only
 * after this resolved true: nothing the agent saw can be missing from the log.
 */
export async function commit(
  audit: AuditSink,
  exchange: Exchange,
  outcome: Pick<AuditRecord, 'status' | 'reason' | 'bytes_in' | 'bytes_out'>,
): Promise<boolean> {
  try {
    await audit.append({ ...exchange.entry, ...outcome, latency_ms: Math.round(performance.now() - exchange.started) });
    return true;
  } catch (error) {
    // the caller drops the connection instead of answering: the log is where this is told
    logInternalError(exchange.log, exchange.entry.connection ?? null, error);
    return false;
  }
}

/** Anything thrown while handling a request, as the error the agent gets (internals never leak). */
export function asLatchkeyError(error: unknown): LatchkeyError {
  if (error instanceof LatchkeyError) return error;
  return new LatchkeyError('internal_error', 'Latchkey failed to handle this request.', 500);
}

/**
 * Answers with a JSON error `{error, error_description, …}`, its RFC 6750 challenge where
 * one applies, and `token_endpoint` on every 401 (a 4xx shaped in the connection's error
 * dialect where its definition declares one) — after the audit entry committed; if it
 * cannot be, the connection is dropped instead of answered. A 500 (a failure of
 * Latchkey's own, not the provider's) is logged as well.
 */
export async function refuse(
  context: { audit: AuditSink; verifier: AgentVerifier; baseUrl: () => string },
  res: ServerResponse,
  exchange: Exchange,
  thrown: unknown,
  bytesIn = 0,
): Promise<void> {
  const error = asLatchkeyError(thrown);
  if (error.status === 500) logInternalError(exchange.log, exchange.entry.connection ?? null, thrown);
  else logUpstreamFailure(exchange.log, exchange.entry.connection ?? null, error.code, error.message);
  const json = error.toJSON();
  if (error.status === 401 && json.token_endpoint === undefined) json.token_endpoint = context.verifier.tokenEndpoint();
  const shaped = exchange.dialect
    ? dialectAnswer(exchange.dialect, { error, json, docsUrl: `${context.baseUrl()}/llms.txt` })
    : undefined;
  const status = shaped?.status ?? error.status;
  const body = JSON.stringify(shaped?.body ?? json);
  const gone = error.code === 'client_closed_request';
  const committed = await commit(context.audit, exchange, {
    status: gone ? null : status,
    reason: error.code,
    bytes_in: bytesIn,
    bytes_out: gone ? 0 : Buffer.byteLength(body),
  });
  if (!committed || gone) {
    res.destroy();
    return;
  }
  const connection = typeof json.connection === 'string' ? json.connection : '';
  const challenge = bearerChallenge(error, (scope) => `${connection}:${scope}`);
  res.writeHead(status, {
    ...SANDBOX_HEADERS,
    ...exchange.headers,
    ...shaped?.headers,
    ...(challenge ? { 'www-authenticate': challenge } : {}),
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
  });
  res.end(body);
}

export interface Relayed {
  /** Body bytes the agent has been sent, or will be with `last`. */
  bytes: number;
  /** The body's final byte(s) when it has a Content-Length, held back until the audit entry is committed. */
  last: Buffer | undefined;
  /** Why the relay broke off: the provider's connection failed or the agent went away. */
  failure?: 'upstream_aborted' | 'client_closed_request';
}

/** Bodies up to this size (with a Content-Length) are sent in one write after the audit commit. */
const WHOLE_BODY_BYTES = 16 * 1024;

/**
 * Streams the upstream body to the agent as it comes, with backpressure both ways, but
 * never its completion: a chunked body ends with res.end(), after the audit entry; a body
 * with a Content-Length is complete with its last byte, so that one byte waits too (a small
 * one waits whole: one write instead of three). Headers go out with the first write, so an
 * empty body waits with them.
 */
export function relay(source: IncomingMessage, target: ServerResponse): Promise<Relayed> {
  return new Promise((resolve) => {
    const length = Number(source.headers['content-length']);
    const known = source.headers['content-length'] !== undefined && Number.isSafeInteger(length);
    // A small body of known length waits whole and leaves with its headers in one write;
    // a larger one streams but for its last byte; one of unknown length streams (SSE).
    const holdFrom = !known ? Infinity : length <= WHOLE_BODY_BYTES ? 0 : length - 1;
    let bytes = 0;
    let last: Buffer | undefined;
    const onData = (chunk: Buffer): void => {
      const room = Math.max(0, holdFrom - bytes);
      bytes += chunk.length;
      const now = chunk.length <= room ? chunk : chunk.subarray(0, room);
      if (now !== chunk) last = last ? Buffer.concat([last, chunk.subarray(room)]) : chunk.subarray(room);
      if (now.length > 0 && !target.write(now)) source.pause();
    };
    const onDrain = (): void => void source.resume();
    const finish = (failure?: Relayed['failure']): void => {
      source.off('data', onData).off('end', onEnd).off('close', onSourceClose);
      target.off('drain', onDrain).off('close', onTargetClose);
      if (failure) {
        source.destroy();
        resolve({ bytes: bytes - (last?.length ?? 0), last: undefined, failure });
      } else resolve({ bytes, last });
    };
    const onEnd = (): void => finish();
    const onSourceClose = (): void => finish('upstream_aborted');
    const onTargetClose = (): void => finish('client_closed_request');
    source.on('error', () => {}); // reported through 'close' without 'end'
    source.on('data', onData).once('end', onEnd).once('close', onSourceClose);
    target.on('drain', onDrain).once('close', onTargetClose);
  });
}
