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
