import { isLocalhostName } from '../net.js';

/** Plain http only for loopback hosts; no credentials in URLs; endpoints have no fragment. */
export function urlProblem(candidate: string, endpoint = true): string | undefined {
  // URL parsers take "{" in a host literally: a template written here would silently be a host name.
  if (/[{}]/.test(candidate))
    return `"${candidate}" contains "{" or "}": template variables go only in the host of /api/base_url, /api/bases or the /auth endpoint URLs`;
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    // Not parseable is the answer itself: the caller reports it as the problem.
    return `"${candidate}" is not an absolute URL`;
  }
  if (parsed.protocol === 'http:') {
    if (!isLocalhostName(parsed.hostname)) {
      return `"${candidate}" must use https: (plain http is allowed only for loopback hosts: 127.0.0.0/8, [::1], localhost, *.localhost)`;
    }
  } else if (parsed.protocol !== 'https:') {
    return `"${candidate}" must use https: (got ${parsed.protocol.replace(/:$/, '')})`;
  }
  if (parsed.username || parsed.password) return `"${candidate}" must not carry a user name or password`;
  if (endpoint && parsed.hash) return `"${candidate}" must not have a fragment`;
  return undefined;
}
