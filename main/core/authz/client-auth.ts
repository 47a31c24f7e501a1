import { LatchkeyError } from '../errors.js';
import { secretMatches } from './secrets.js';
import type { AgentRecord, ClientAuthMethod } from './store.js';

/** Client credentials as presented at the token or revocation endpoint (RFC 6749 §2.3). */
export interface PresentedClientCredentials {
  client_id: string;
  client_secret?: string;
  method: ClientAuthMethod;
}

export const invalidClient = (message: string): LatchkeyError => new LatchkeyError('invalid_client', message, 401);

const invalidRequest = (message: string): LatchkeyError => new LatchkeyError('invalid_request', message, 400);

/** application/x-www-form-urlencoded decoding, as RFC 6749 §2.3.1 requires for Basic credentials. */
function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    throw invalidClient('The Basic credentials are not form-encoded');
  }
}

/**
 * Which client is calling and how it authenticates: HTTP Basic (client_secret_basic),
 * client_id + client_secret in the body (client_secret_post), or client_id alone (a
 * public client, "none"). Using two methods at once is refused (RFC 6749 §2.3).
 */
export function readClientCredentials(
  authorization: string | undefined,
  params: Readonly<Record<string, string>>,
): PresentedClientCredentials {
  if (params.client_assertion !== undefined || params.client_assertion_type !== undefined) {
    throw invalidClient('Client assertions are not supported: use client_secret_basic, client_secret_post or none');
  }
  if (authorization !== undefined) {
    const match = /^Basic +([A-Za-z0-9+/]+={0,2})$/i.exec(authorization.trim());
    if (!match?.[1]) throw invalidClient('The Authorization header must carry HTTP Basic client credentials');
    if (params.client_secret !== undefined)
      throw invalidRequest(
        'Use one client authentication method: the Authorization header or client_secret in the body, not both',
      );
    const decoded = Buffer.from(match[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 1) throw invalidClient('The Basic credentials are not client_id:client_secret');
    const clientId = formDecode(decoded.slice(0, colon));
    if (params.client_id !== undefined && params.client_id !== clientId)
      throw invalidRequest('client_id does not match the Authorization header');
    return { client_id: clientId, client_secret: formDecode(decoded.slice(colon + 1)), method: 'client_secret_basic' };
  }
  if (params.client_id === undefined || params.client_id === '') {
    throw invalidClient(
      'Client authentication is required (HTTP Basic, client_secret_post, or client_id for a public client)',
    );
  }
  if (params.client_secret !== undefined)
    return { client_id: params.client_id, client_secret: params.client_secret, method: 'client_secret_post' };
  return { client_id: params.client_id, method: 'none' };
}

/** The agent a client_id names, if `credentials` authenticate it; 401 invalid_client otherwise. */
export function authenticateClient(
  agent: AgentRecord | undefined,
  credentials: PresentedClientCredentials,
): AgentRecord {
  if (!agent) throw invalidClient('Unknown client');
  if (agent.status === 'revoked') throw invalidClient('This agent was revoked in Latchkey');
  if (agent.client_secret_hash === null) {
    if (credentials.method !== 'none')
      throw invalidClient('This is a public client: send its client_id without a secret');
  } else if (
    credentials.client_secret === undefined ||
    !secretMatches(credentials.client_secret, agent.client_secret_hash)
  ) {
    throw invalidClient('Client authentication failed');
  }
  return agent;
}
