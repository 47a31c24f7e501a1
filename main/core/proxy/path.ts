import { invalidPath } from './errors.js';

/** A request URL `/proxy/<connection>[:<base>]/<path>?<query>`, cut into its parts, all still raw. */
export interface ProxyTarget {
  /** The connection segment (without `:<base>`), percent-decoded when it decodes. */
  connection: string;
  /** The API base named after ":" (`/proxy/google:sheets/…`); undefined for the default base. */
  base: string | undefined;
  /** Everything after the connection segment, starting with "/"; undefined when there is nothing (`/proxy/name`). */
  path: string | undefined;
  /** The query without "?", as sent ("" when none). */
  query: string;
  /** Path and query as sent, for the audit (which redacts query values). */
  audited: string;
}

export function splitProxyUrl(url: string): ProxyTarget {
  const mark = url.indexOf('?');
  const pathname = mark === -1 ? url : url.slice(0, mark);
  const query = mark === -1 ? '' : url.slice(mark + 1);
  const rest = pathname.slice('/proxy/'.length);
  const slash = rest.indexOf('/');
  const segment = slash === -1 ? rest : rest.slice(0, slash);
  let connection = segment;
  try {
    connection = decodeURIComponent(segment);
  } catch {
    // not a connection name either way: looked up as sent, and found by no one
  }
  // Connection names never contain ":" (their pattern), so the first one starts the base name.
  const colon = connection.indexOf(':');
  const base = colon === -1 ? undefined : connection.slice(colon + 1);
  if (colon !== -1) connection = connection.slice(0, colon);
  const path = slash === -1 ? undefined : rest.slice(slash);
  // The audit keeps the base with the path (":sheets/v4/…"): it says which host was called.
  const rawColon = segment.indexOf(':');
  const audited = url.slice('/proxy/'.length + (colon !== -1 && rawColon !== -1 ? rawColon : segment.length));
  return { connection, base, path, query, audited };
}

const OUTSIDE_PRINTABLE_ASCII = /[^\x21-\x7e]/;
const FORBIDDEN_CHARACTER = /[\\@#]/;
const ENCODED_SEPARATOR = /%(2f|5c)/i;
const ENCODED_CONTROL = /%([01][0-9a-f]|7f)/i;
/** Left after one decoding: the path was encoded twice to smuggle one of these through. */
const DOUBLE_ENCODED = /%(2e|2f|5c|[01][0-9a-f]|7f)/i;
const SCHEME = /^[a-z][a-z0-9+.-]*:/i;

/**
 * Checks a proxy path (as sent, starting with "/") and returns it decoded once, for rule
 * matching. Refused, rather than normalised, because the upstream's idea of a path may
 * differ from ours (Tomcat's `..;`, IIS and backslashes, servers decoding twice): dot
 * segments in any spelling, encoded slashes and backslashes, backslashes, "@", control
 * characters raw or encoded, empty segments ("//"), an absolute-URL-looking first segment,
 * and invalid percent-encoding. A trailing "/" is kept: some APIs need it.
 */
export function checkProxyPath(path: string | undefined): string {
  if (path === undefined) throw invalidPath('a proxy URL is /proxy/<connection>/<path>');
  if (OUTSIDE_PRINTABLE_ASCII.test(path))
    throw invalidPath('it contains a space, a control character or a non-ASCII character (percent-encode them)');
  const forbidden = FORBIDDEN_CHARACTER.exec(path);
  if (forbidden) throw invalidPath(`it contains "${forbidden[0]}"`);
  if (ENCODED_SEPARATOR.test(path)) throw invalidPath('it contains an encoded slash or backslash');
  if (ENCODED_CONTROL.test(path)) throw invalidPath('it contains an encoded control character');

  // Without "%" a segment decodes to itself, printable ASCII is its own NFKC form and nothing
  // is left to be encoded twice: the common case skips those steps, never the checks.
  const encoded = path.includes('%');
  const segments = path.slice(1).split('/');
  const decoded = segments.map((segment, i) => {
    if (segment === '' && i !== segments.length - 1) throw invalidPath('it has an empty segment ("//")');
    let text = segment;
    if (encoded) {
      try {
        text = decodeURIComponent(segment);
      } catch {
        throw invalidPath('it has invalid percent-encoding');
      }
    }
    // `..;x` is `..` to Tomcat; fullwidth dots become dots under NFKC.
    const bare = encoded ? (text.split(';')[0] ?? '').normalize('NFKC') : text.split(';', 1)[0];
    if (bare === '.' || bare === '..') throw invalidPath('it has a "." or ".." segment');
    if (encoded && DOUBLE_ENCODED.test(text)) throw invalidPath('it is percent-encoded twice');
    return text;
  });
  if (SCHEME.test(segments[0] ?? '') || (encoded && SCHEME.test(decoded[0] ?? '')))
    throw invalidPath('it starts like an absolute URL');
  return `/${decoded.join('/')}`;
}

/**
 * The upstream request target: the base URL's origin, its path, then the checked path and
 * the query exactly as the agent sent them (string joining, never URL resolution). The
 * result is asserted to stay on the base URL's origin and under its path.
 */
export function upstreamTarget(baseUrl: string, path: string, query: string): { url: URL; requestPath: string } {
  const { origin, basePath } = parsedBase(baseUrl);
  const requestPath = `${basePath}${path}${query === '' ? '' : `?${query}`}`;
  const url = new URL(`${origin}${requestPath}`);
  if (url.origin !== origin || !(url.pathname === basePath || url.pathname.startsWith(`${basePath}/`))) {
    throw invalidPath('it leaves the API base URL');
  }
  return { url, requestPath };
}

/** Base URLs parsed once: a handful per connection, so the bound is only a guard. */
const parsedBases = new Map<string, { origin: string; basePath: string }>();
const MAX_PARSED_BASES = 1024;

function parsedBase(baseUrl: string): { origin: string; basePath: string } {
  let parsed = parsedBases.get(baseUrl);
  if (parsed === undefined) {
    const base = new URL(baseUrl);
    parsed = { origin: base.origin, basePath: base.pathname.replace(/\/+$/, '') };
    if (parsedBases.size >= MAX_PARSED_BASES) parsedBases.clear();
    parsedBases.set(baseUrl, parsed);
  }
  return parsed;
}
