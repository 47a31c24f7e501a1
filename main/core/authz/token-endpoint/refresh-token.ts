import type { AuthzContext } from '../context.js';
import { parseScope } from '../grants.js';
import { checkResource, issueWithRefresh, refreshTokenReused, scopeWithin } from '../issuance.js';
import { oauthError, required, type TokenResponse } from '../protocol.js';
import { hashSecret } from '../secrets.js';
import type { AgentRecord } from '../store.js';

/** RFC 6749 §6 with rotation: each refresh token is spent once; a spent one presented again revokes its family. */
export async function refreshTokenGrant(
  ctx: AuthzContext,
  agent: AgentRecord,
  params: Readonly<Record<string, string>>,
): Promise<TokenResponse> {
  const tokenHash = hashSecret(required(params, 'refresh_token'));
  const record = ctx.store.refreshToken(tokenHash);
  if (!record || record.agent_id !== agent.id) throw oauthError('invalid_grant', 'The refresh token is unknown');
  if (record.revoked_at !== null) throw oauthError('invalid_grant', 'The refresh token was revoked');
  if (record.used_at !== null) throw refreshTokenReused(ctx, record.family_id);
  if (record.expires_at <= ctx.now()) throw oauthError('invalid_grant', 'The refresh token has expired');
  const original = parseScope(record.scope);
  const requested = params.scope === undefined ? original : scopeWithin(original, params.scope);
  // A new refresh token keeps the original scope (RFC 6749 §6).
  const { response } = await issueWithRefresh(
    ctx,
    agent,
    requested,
    record.scope,
    record.family_id,
    tokenHash,
    checkResource(ctx, params.resource),
  );
  return response;
}
