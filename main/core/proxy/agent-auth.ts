import type { IncomingHttpHeaders } from 'node:http';
import type { AgentAuthScheme, ProviderDefinition } from '../catalog/types.js';
import { missingToken } from './errors.js';
import type { AgentPrincipal, AgentVerifier, AttributedFailure } from './types.js';

/**
 * The agent token from the Authorization header, in the schemes official SDKs send once
 * pointed at Latchkey: `Bearer <t>` (RFC 6750), `token <t>` (Octokit) and `Basic` with
 * the token as user name and an empty password (Stripe's `-u sk_…:`). Never from a query
 * string or a cookie, which another origin can plant.
 */
export function agentToken(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^([A-Za-z]+) +(\S+) *$/.exec(header);
  if (!match) return undefined;
  const scheme = match[1]!.toLowerCase();
  const credentials = match[2]!;
  if (scheme === 'bearer' || scheme === 'token') return credentials;
  if (scheme !== 'basic') return undefined;
  const decoded = Buffer.from(credentials, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon !== decoded.length - 1) return undefined;
  return decoded.slice(0, colon);
}

/** A token and where it was found: `via` is the declared scheme it came in, absent for Bearer, token and Basic. */
export interface PresentedToken {
  token: string;
  via?: AgentAuthScheme;
}

/** Declared schemes that put a word before the token (the others send it bare or as Basic). */
const PREFIXED: Partial<Record<NonNullable<AgentAuthScheme['scheme']>, RegExp>> = {
  bearer: /^Bearer +(\S+) *$/i,
  bot: /^Bot +(\S+) *$/i,
};

/**
 * The agent token from the standard Authorization schemes, else from the first of
 * `declared` (schemes some provider's SDKs use, `api.agent_auth`) that the request carries.
 * Whether `via` is one the called connection's provider declares is checked once the
 * connection is known (`acceptsScheme`).
 */
export function presentedToken(
  headers: IncomingHttpHeaders,
  declared: readonly AgentAuthScheme[],
): PresentedToken | undefined {
  const standard = agentToken(headers.authorization);
  if (standard !== undefined) return { token: standard };
  for (const scheme of declared) {
    const value = headers[scheme.header.toLowerCase()];
    if (typeof value !== 'string') continue;
    const token =
      scheme.scheme === 'basic-password'
        ? basicPassword(value)
        : (PREFIXED[scheme.scheme ?? 'bare'] ?? /^(\S+)$/).exec(value)?.[1];
    if (token !== undefined) return { token, via: scheme };
  }
  return undefined;
}

/** The password of `Basic <base64 user:password>` when both are non-empty (the user name is the SDK's, e.g. an Account SID). */
function basicPassword(value: string): string | undefined {
  const match = /^Basic +(\S+) *$/i.exec(value);
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0 || colon === decoded.length - 1) return undefined;
  return decoded.slice(colon + 1);
}

/** Whether a token that came `via` a declared scheme may be used on the provider's connections: only if that provider declares it. */
export function acceptsScheme(provider: ProviderDefinition | undefined, via: AgentAuthScheme | undefined): boolean {
  if (via === undefined) return true;
  return (provider?.api.agent_auth ?? []).some(
    (scheme) =>
      scheme.header.toLowerCase() === via.header.toLowerCase() && (scheme.scheme ?? 'bare') === (via.scheme ?? 'bare'),
  );
}

/** The principal behind the request's token and where it came: 401 `missing_token`, or the verifier's own 401. */
export async function authenticateAgent(
  headers: IncomingHttpHeaders,
  verifier: AgentVerifier,
  declared: readonly AgentAuthScheme[] = [],
): Promise<{ agent: AgentPrincipal; via?: AgentAuthScheme }> {
  const presented = presentedToken(headers, declared);
  if (presented === undefined) throw missingToken();
  const agent = await verifier.verifyAccessToken(presented.token);
  return presented.via ? { agent, via: presented.via } : { agent };
}

/** The agent a verification error names (an expired or revoked token of a known agent), for the audit entry. */
export function failedAgent(error: unknown): { agent_id: string; agent_name: string } | undefined {
  const agent = (error as AttributedFailure | null)?.agent;
  if (typeof agent?.agent_id !== 'string' || typeof agent.agent_name !== 'string') return undefined;
  return { agent_id: agent.agent_id, agent_name: agent.agent_name };
}
