import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

/** 127.0.0.0/8, ::1 and `localhost`: the only hosts that may be reached over plain http. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host === '::1') return true;
  return isIP(host) === 4 && host.startsWith('127.');
}

/**
 * A loopback host, or a name under `localhost.` (RFC 6761 §6.3: always this machine, never
 * looked up in DNS; the proxy dials them on loopback itself). Where plain http may go
 * upstream; the broker's own Host and Origin checks keep to `isLoopbackHost`.
 */
export function isLocalhostName(hostname: string): boolean {
  return isLoopbackHost(hostname) || hostname.toLowerCase().endsWith('.localhost');
}

export function isLoopbackUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * Whether a browser sent this request from a page that is not the broker's own: an Origin
 * other than plain http on a loopback host at the port the request was addressed to, or a
 * Sec-Fetch-Site naming another site. Agents and command-line clients send neither header.
 * The Host header is the broker's own by the time this runs (checked first, on every request).
 */
export function isFromForeignPage(headers: IncomingHttpHeaders): boolean {
  const site = headers['sec-fetch-site'];
  if (site === 'cross-site' || site === 'same-site') return true;
  const origin = headers.origin;
  if (origin === undefined) return false;
  try {
    const page = new URL(origin);
    return !(page.protocol === 'http:' && isLoopbackHost(page.hostname) && page.port === new URL(`http://${headers.host ?? ''}`).port);
  } catch {
    return true; // "null" (sandboxed frames, file: pages) and anything unparsable
  }
}

/** The names one loopback server answers to; clients compare URLs exactly, so each is its own spelling. */
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]'] as const;

/** `origin` (an http loopback origin) under each loopback name: the same server, as clients may spell it. */
export function loopbackAliases(origin: string): string[] {
  const url = new URL(origin);
  return LOOPBACK_NAMES.map((name) => `${url.protocol}//${name}${url.port === '' ? '' : `:${url.port}`}`);
}

/**
 * The origin a client addressed (its Host header), when that is one of `canonical`'s
 * loopback spellings; `canonical` otherwise. Metadata built from it keeps the client's
 * spelling, which it compares exactly.
 */
export function addressedOrigin(host: string | undefined, canonical: string): string {
  const origin = `http://${(host ?? '').toLowerCase()}`;
  return loopbackAliases(canonical).includes(origin) ? origin : canonical;
}
