import type { IncomingHttpHeaders } from 'node:http';
import { isIP } from 'node:net';

const bare = (hostname: string): string => hostname.replace(/^\[|\]$/g, '').toLowerCase();

/**
 * 127.0.0.1, ::1 and `localhost` (any case, IPv6 with or without brackets): the one loopback
 * check for what the broker itself trusts (its Host and Origin checks, agents' redirect URIs,
 * the desktop shell's links out). Exactly the names the broker listens under (see LOOPBACK_NAMES).
 */
export function isLoopbackHost(hostname: string): boolean {
  const host = bare(hostname);
  return host === '127.0.0.1' || host === '::1' || host === 'localhost';
}

/**
 * A loopback host, any 127.0.0.0/8 address, or a name under `localhost.` (RFC 6761 §6.3:
 * always this machine, never looked up in DNS; the proxy dials them on loopback itself).
 * Where plain http may go upstream (provider APIs and token endpoints), not what the broker trusts.
 */
export function isLocalhostName(hostname: string): boolean {
  const host = bare(hostname);
  return isLoopbackHost(host) || (isIP(host) === 4 && host.startsWith('127.')) || host.endsWith('.localhost');
}

/** A URL on this machine, where plain http is allowed upstream (see isLocalhostName). */
export function isLoopbackUrl(url: string): boolean {
  try {
    return isLocalhostName(new URL(url).hostname);
  } catch {
    return false; // not a URL: certainly not a loopback one
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
    return !(
      page.protocol === 'http:' &&
      isLoopbackHost(page.hostname) &&
      page.port === new URL(`http://${headers.host ?? ''}`).port
    );
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
