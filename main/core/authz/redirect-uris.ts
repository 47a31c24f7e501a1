import { LatchkeyError } from '../errors.js';
import { isLoopbackHost } from '../net.js';

const MAX_LENGTH = 2048;

const invalid = (message: string): LatchkeyError => new LatchkeyError('invalid_redirect_uri', message, 400);

const isLoopbackHttp = (url: URL): boolean => url.protocol === 'http:' && isLoopbackHost(url.hostname);

/**
 * A redirect URI a client may register (RFC 7591 / RFC 8252 / OAuth 2.1): absolute,
 * https or http on a loopback host, no fragment, no user info. Returned unchanged: the
 * authorization request must later present exactly this string.
 */
export function validateRedirectUri(uri: string): string {
  if (uri.length > MAX_LENGTH) throw invalid(`A redirect URI is at most ${MAX_LENGTH} characters`);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw invalid(`"${uri.slice(0, 200)}" is not an absolute URL`);
  }
  if (url.protocol !== 'https:' && !isLoopbackHttp(url))
    throw invalid(`"${uri.slice(0, 200)}" must use https, or http on a loopback address (127.0.0.1, [::1], localhost)`);
  if (uri.includes('#')) throw invalid('A redirect URI must not contain a fragment');
  if (url.username || url.password) throw invalid('A redirect URI must not contain user information');
  return uri;
}

/**
 * Whether `requested` is one of `registered`: an exact string match, except that for
 * http loopback URIs the port may differ (RFC 8252 §7.3: native apps listen on an
 * ephemeral port). Scheme, host, path and query must still be identical.
 */
export function redirectUriMatches(registered: readonly string[], requested: string): boolean {
  if (registered.includes(requested)) return true;
  let wanted: URL;
  try {
    wanted = new URL(requested);
  } catch {
    return false; // not a URL, so not one of the registered ones: the caller refuses it
  }
  if (!isLoopbackHttp(wanted) || requested.includes('#') || wanted.username || wanted.password) return false;
  return registered.some((candidate) => {
    const known = new URL(candidate);
    return (
      isLoopbackHttp(known) &&
      known.hostname === wanted.hostname &&
      known.pathname === wanted.pathname &&
      known.search === wanted.search
    );
  });
}
