import http, { type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import type { Readable } from 'node:stream';
import { LatchkeyError } from '../errors.js';
import { clientClosed, upstreamTimeout, upstreamUnreachable } from './errors.js';

export interface UpstreamRequest {
  url: URL;
  /** Path and query exactly as they go on the request line. */
  requestPath: string;
  method: string;
  headers: OutgoingHttpHeaders;
  /** A buffered body can be sent again; a stream is sent once; null: no body. */
  body: Buffer | Readable | null;
  timeoutMs: number;
}

/**
 * Keep-alive connection pools to the providers, one per scheme. node:http rather than
 * fetch: it never follows redirects, streams both ways with backpressure, and leaves
 * status, headers and body bytes exactly as the provider sent them.
 */
export class UpstreamAgents {
  readonly http = new http.Agent({ keepAlive: true });
  readonly https = new https.Agent({ keepAlive: true });

  close(): void {
    this.http.destroy();
    this.https.destroy();
  }
}

/** `*.localhost` names are this machine (RFC 6761 §6.3), whatever the system resolver says. */
const localhostLookup: LookupFunction = (_hostname, options, callback) => {
  if (options.all)
    (callback as (error: null, addresses: LookupAddress[]) => void)(null, [{ address: '127.0.0.1', family: 4 }]);
  else callback(null, '127.0.0.1', 4);
};

/**
 * Sends one request and resolves with the response once its headers arrived. The timeout
 * is an idle timeout up to then (connecting, uploading, waiting): the provider or the
 * network being silent that long gives 504 `upstream_timeout`; any other failure before
 * the headers gives 502 `upstream_unreachable`. After the headers the agent's own
 * patience governs: closing its connection ends the upstream one.
 */
export function sendUpstream(
  request: UpstreamRequest,
  agents: UpstreamAgents,
  retried = false,
): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const secure = request.url.protocol === 'https:';
    const client = (secure ? https : http).request({
      protocol: request.url.protocol,
      hostname: request.url.hostname.replace(/^\[|\]$/g, ''),
      port: request.url.port || undefined,
      path: request.requestPath,
      method: request.method,
      headers: request.headers,
      agent: secure ? agents.https : agents.http,
      ...(request.url.hostname.endsWith('.localhost') ? { lookup: localhostLookup } : {}),
      timeout: request.timeoutMs,
    });
    client.once('timeout', () => client.destroy(upstreamTimeout(request.timeoutMs)));
    client.once('response', (response) => {
      answered = true;
      client.setTimeout(0);
      resolve(response);
    });
    client.on('error', (error: NodeJS.ErrnoException) => {
      if (answered) return; // the response stream reports it
      // A pooled connection the provider had just closed: a buffered request is safely sent again, once.
      if (error.code === 'ECONNRESET' && client.reusedSocket && !retried && !isStream(request.body)) {
        resolve(sendUpstream(request, agents, true));
        return;
      }
      reject(error instanceof LatchkeyError ? error : upstreamUnreachable(describe(error)));
    });

    const body = request.body;
    if (!isStream(body)) {
      client.end(body ?? undefined);
      return;
    }
    // Not pipeline(): it would destroy the agent's request, and with it the socket the
    // answer still has to go back on, whenever the provider fails first.
    body.on('error', () => {}); // an aborted upload: handled on 'close'
    body.pipe(client);
    body.once('close', () => {
      if (!body.readableEnded) client.destroy(clientClosed());
    });
  });
}

function isStream(body: UpstreamRequest['body']): body is Readable {
  return body !== null && !Buffer.isBuffer(body);
}

function describe(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
    case 'EPIPE':
      return 'connection reset';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'host name not found';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'network unreachable';
    default:
      return error.code ?? 'network error';
  }
}
