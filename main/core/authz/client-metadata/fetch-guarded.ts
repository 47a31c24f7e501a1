import { lookup as dnsLookup } from 'node:dns/promises';
import { request, type RequestOptions } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import { refusedAddressReason } from './address-policy.js';

/** Why a guarded fetch failed, in words a client can act on; `reason` is stable. */
export class GuardedFetchError extends Error {
  constructor(
    readonly reason:
      | 'not_https'
      | 'private_address'
      | 'unresolvable'
      | 'unreachable'
      | 'redirect'
      | 'too_large'
      | 'timeout',
    message: string,
  ) {
    super(message);
  }
}

export interface GuardedFetchOptions {
  maxBytes: number;
  timeoutMs: number;
  /** PEM of the only CA trusted for this fetch (tests with a self-signed certificate); the system's CAs otherwise. */
  trustedCa?: string | undefined;
  /** Addresses the address policy would refuse but this fetch may use (tests serving from loopback). */
  allowAddresses?: readonly string[] | undefined;
  /** DNS resolution (tests); the system resolver otherwise. */
  resolve?: ((hostname: string) => Promise<{ address: string; family: number }[]>) | undefined;
}

export interface GuardedResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const systemResolve = (hostname: string) => dnsLookup(hostname, { all: true, verbatim: true });

/** Resolves `hostname` once and vets every address; the first one is the one to connect to. */
async function vettedAddress(
  hostname: string,
  options: GuardedFetchOptions,
): Promise<{ address: string; family: number }> {
  const literal = hostname.replace(/^\[|\]$/g, '');
  let addresses: { address: string; family: number }[];
  if (isIP(literal) !== 0) {
    addresses = [{ address: literal, family: isIP(literal) }];
  } else {
    try {
      addresses = await (options.resolve ?? systemResolve)(hostname);
    } catch (error) {
      throw new GuardedFetchError(
        'unresolvable',
        `${hostname} could not be resolved (${(error as NodeJS.ErrnoException).code ?? 'DNS error'})`,
      );
    }
  }
  if (addresses.length === 0) throw new GuardedFetchError('unresolvable', `${hostname} has no address`);
  // Every address is vetted, not only the first: a name that also points inside is refused as a whole.
  for (const { address } of addresses) {
    const refused = options.allowAddresses?.includes(address) ? undefined : refusedAddressReason(address);
    if (refused !== undefined)
      throw new GuardedFetchError(
        'private_address',
        `${hostname} resolves to ${address}, a ${refused} address, which Latchkey does not fetch from`,
      );
  }
  return addresses[0] as { address: string; family: number };
}

/**
 * GET an https URL chosen by someone else (an SSRF guard): https only; the host is
 * resolved once and every address vetted (address-policy.ts), then the connection goes to
 * that vetted address, never through a second lookup (DNS rebinding); no redirects
 * followed; the body bounded in size and the whole exchange in time. The TLS certificate
 * is checked against the URL's host name, as for any https request.
 */
export async function fetchGuarded(url: URL, options: GuardedFetchOptions): Promise<GuardedResponse> {
  if (url.protocol !== 'https:')
    throw new GuardedFetchError(
      'not_https',
      `${url.protocol.replace(':', '')} is not allowed: the document must be served over https`,
    );
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const timedOut = (): GuardedFetchError =>
    new GuardedFetchError('timeout', `no complete answer within ${options.timeoutMs / 1000} s`);
  const target = await Promise.race([
    vettedAddress(url.hostname, options),
    new Promise<never>((_resolve, reject) =>
      deadline.addEventListener('abort', () => reject(timedOut()), { once: true }),
    ),
  ]);
  // The connection's only lookup answers with the vetted address.
  const pinned: LookupFunction = (_hostname, lookupOptions, callback) => {
    if (lookupOptions.all)
      (callback as unknown as (error: null, addresses: { address: string; family: number }[]) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
  const requestOptions: RequestOptions = {
    method: 'GET',
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port === '' ? 443 : Number(url.port),
    path: `${url.pathname}${url.search}`,
    headers: { accept: 'application/json', 'user-agent': 'Latchkey' },
    lookup: pinned,
    agent: false,
    signal: deadline,
    ...(options.trustedCa === undefined ? {} : { ca: options.trustedCa }),
  };
  return new Promise<GuardedResponse>((resolve, reject) => {
    const fail = (error: unknown): void => {
      if (deadline.aborted) reject(timedOut());
      else
        reject(
          error instanceof GuardedFetchError
            ? error
            : new GuardedFetchError('unreachable', `${url.host} could not be fetched: ${(error as Error).message}`),
        );
    };
    const req = request(requestOptions, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400) {
        res.destroy();
        reject(
          new GuardedFetchError(
            'redirect',
            `it answered with a redirect (HTTP ${status}); redirects are not followed, so the client_id must be the document's own URL`,
          ),
        );
        return;
      }
      const declared = Number(res.headers['content-length']);
      const tooLarge = (): GuardedFetchError =>
        new GuardedFetchError('too_large', `the document is larger than ${options.maxBytes} bytes`);
      if (Number.isFinite(declared) && declared > options.maxBytes) {
        res.destroy();
        reject(tooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > options.maxBytes) {
          res.destroy();
          reject(tooLarge());
          return;
        }
        chunks.push(chunk);
      });
      res.on('end', () => resolve({ status, headers: res.headers, body: Buffer.concat(chunks) }));
      res.on('error', fail);
    });
    req.on('error', fail);
    req.end();
  });
}
