import type { IncomingHttpHeaders } from 'node:http';
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

/** The principal behind the request's token: 401 `missing_token`, or the verifier's own 401. */
export async function authenticateAgent(headers: IncomingHttpHeaders, verifier: AgentVerifier): Promise<AgentPrincipal> {
  const token = agentToken(headers.authorization);
  if (token === undefined) throw missingToken();
  return verifier.verifyAccessToken(token);
}

/** The agent a verification error names (an expired or revoked token of a known agent), for the audit entry. */
export function failedAgent(error: unknown): { agent_id: string; agent_name: string } | undefined {
  const agent = (error as AttributedFailure | null)?.agent;
  if (typeof agent?.agent_id !== 'string' || typeof agent.agent_name !== 'string') return undefined;
  return { agent_id: agent.agent_id, agent_name: agent.agent_name };
}
