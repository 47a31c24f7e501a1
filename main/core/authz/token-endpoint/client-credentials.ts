import type { AuthzContext } from '../context.js';
import { checkResource, grantedScope, issueAccess, scopeWithin } from '../issuance.js';
import { oauthError, type TokenResponse } from '../protocol.js';
import type { AgentRecord } from '../store.js';

/** RFC 6749 §4.4, for agents created in Latchkey: an access token for their grants (or the part `scope` names). */
export async function clientCredentialsGrant(
  ctx: AuthzContext,
  agent: AgentRecord,
  params: Readonly<Record<string, string>>,
): Promise<TokenResponse> {
  if (agent.registered_via !== 'admin') {
    throw oauthError(
      'unauthorized_client',
      'client_credentials is for agents created in Latchkey; this agent uses authorization_code',
    );
  }
  const granted = grantedScope(ctx, agent);
  const issued = await issueAccess(
    ctx,
    agent,
    params.scope === undefined ? granted : scopeWithin(granted, params.scope),
    checkResource(ctx, params.resource),
  );
  return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expires_in, scope: issued.scope };
}
