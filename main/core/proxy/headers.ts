import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import type { ProviderDefinition } from '../catalog/types.js';
import type { ConnectionRecord } from '../store/connections.js';

/** RFC 9110 §7.6.1 hop-by-hop fields, plus the pre-standard ones still seen in the wild. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

/**
 * Request fields that are the local caller's and not the upstream's business: its Latchkey
 * token, its cookies, where it (or the page it runs in) came from, and `Expect`, which the
 * broker's own server has already answered.
 */
const LOCAL_ONLY = new Set(['authorization', 'cookie', 'host', 'origin', 'referer', 'forwarded', 'expect']);

/**
 * Fields that make a server treat a request as another method (a GET carrying
 * `X-HTTP-Method-Override: DELETE`): scopes are decided on the method, so the upstream
 * must see only the method that was decided.
 */
const METHOD_OVERRIDE = new Set(['x-http-method-override', 'x-http-method', 'x-method-override']);

/**
 * Proxied responses are served on the dashboard's origin: a provider's HTML or SVG must
 * neither run there nor be sniffed into something that runs. Ours replace the provider's.
 */
export const SANDBOX_HEADERS: Readonly<Record<string, string>> = {
  'content-security-policy': "sandbox; default-src 'none'",
  'x-content-type-options': 'nosniff',
};
const SANDBOX_NAMES = new Set(Object.keys(SANDBOX_HEADERS));
const SANDBOX_RAW: readonly string[] = Object.entries(SANDBOX_HEADERS).flat();

/** Our X-RateLimit-* describe the agent's Latchkey limit; the provider's own move aside under this prefix. */
const UPSTREAM_RATE_LIMIT = /^x-ratelimit-(limit|remaining|reset)$/i;

const NONE: ReadonlySet<string> = new Set();

/** Field names listed in Connection headers (hop-by-hop by declaration). */
function connectionTokens(values: Iterable<string>): Set<string> {
  const names = new Set<string>();
  for (const value of values) for (const token of value.split(',')) names.add(token.trim().toLowerCase());
  return names;
}

/** The header (name, value) that carries the connection's credential, as the provider definition says. */
export function credentialHeader(
  provider: ProviderDefinition,
  record: Pick<ConnectionRecord, 'auth_method'>,
  secret: string,
): [string, string] {
  const auth = provider.auth;
  const format =
    auth.type === 'api_key' ? auth : record.auth_method === 'personal_token' ? auth.personal_token : undefined;
  if (format) return [format.header, fillCredentialTemplate(format.format, secret)];
  return ['authorization', `Bearer ${secret}`];
}

/** `{key_base64}` → the secret in base64 (HTTP Basic "user:password" pasted as one key), `{key}` → the secret. */
function fillCredentialTemplate(template: string, secret: string): string {
  // split/join rather than replace(): a "$&" in a key must stay literal. The base64 form never contains "{key}".
  const encoded = template.includes('{key_base64}')
    ? template.split('{key_base64}').join(Buffer.from(secret, 'utf8').toString('base64'))
    : template;
  return encoded.split('{key}').join(secret);
}

/** Per definition (frozen, replaced whole when it changes): the lower-cased headers its SDKs put the key in. */
const agentAuthHeaders = new WeakMap<ProviderDefinition, ReadonlySet<string>>();

function agentAuthHeadersOf(provider: ProviderDefinition): ReadonlySet<string> {
  let names = agentAuthHeaders.get(provider);
  if (names === undefined) {
    names = new Set((provider.api.agent_auth ?? []).map((scheme) => scheme.header.toLowerCase()));
    agentAuthHeaders.set(provider, names);
  }
  return names;
}

/**
 * The headers of the upstream request: the agent's, minus hop-by-hop, local-only and
 * method-override fields (and any value of the credential header or of a declared
 * `api.agent_auth` header the agent sent), plus the provider's fixed
 * headers where the agent did not set them, plus the injected credential. `Host` is set by
 * the HTTP client from the upstream URL; a chunked upload is re-framed as chunked.
 */
export function upstreamRequestHeaders(
  incoming: IncomingHttpHeaders,
  provider: ProviderDefinition,
  credential: [string, string],
): OutgoingHttpHeaders {
  const named = typeof incoming.connection === 'string' ? connectionTokens([incoming.connection]) : NONE;
  const credentialName = credential[0].toLowerCase();
  // Where the provider's SDKs put the key, the agent put its Latchkey token.
  const agentAuth = agentAuthHeadersOf(provider);
  const headers: OutgoingHttpHeaders = {};
  for (const name of Object.keys(incoming)) {
    const value = incoming[name];
    if (
      value === undefined ||
      HOP_BY_HOP.has(name) ||
      LOCAL_ONLY.has(name) ||
      METHOD_OVERRIDE.has(name) ||
      named.has(name) ||
      name === credentialName ||
      agentAuth.has(name)
    )
      continue;
    if (name.startsWith('proxy-') || name.startsWith('x-forwarded-')) continue;
    headers[name] = value;
  }
  const fixed = provider.api.headers;
  if (fixed) {
    for (const name of Object.keys(fixed)) {
      const lower = name.toLowerCase();
      if (headers[lower] === undefined) headers[lower] = fixed[name];
    }
  }
  if (/\bchunked\b/i.test(incoming['transfer-encoding'] ?? '')) headers['transfer-encoding'] = 'chunked';
  headers[credentialName] = credential[1];
  return headers;
}

/**
 * The upstream response's headers for the agent, as a raw [name, value, …] list so repeated
 * fields (Link, WWW-Authenticate) survive: hop-by-hop fields and cookies dropped (the
 * session is the connection's, not the agent's), the provider's CSP and nosniff replaced
 * by SANDBOX_HEADERS, Location and everything else untouched.
 */
export function agentResponseHeaders(raw: readonly string[]): string[] {
  const lowered: string[] = new Array(raw.length / 2);
  let values: string[] | undefined;
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    lowered[i / 2] = lower;
    if (lower === 'connection') (values ??= []).push(raw[i + 1]!);
  }
  const named = values === undefined ? NONE : connectionTokens(values);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = lowered[i / 2]!;
    if (
      HOP_BY_HOP.has(lower) ||
      named.has(lower) ||
      lower.startsWith('proxy-') ||
      lower === 'set-cookie' ||
      lower === 'set-cookie2' ||
      SANDBOX_NAMES.has(lower)
    )
      continue;
    out.push(
      lower.startsWith('x-ratelimit-') && UPSTREAM_RATE_LIMIT.test(name) ? `x-upstream-${lower.slice(2)}` : name,
      raw[i + 1]!,
    );
  }
  for (const field of SANDBOX_RAW) out.push(field);
  return out;
}
