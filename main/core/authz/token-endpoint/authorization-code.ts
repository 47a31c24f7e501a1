import type { AuthzContext } from '../context.js';
import { parseScope } from '../grants.js';
import { checkResource, issueWithRefresh, revokeRedemption } from '../issuance.js';
import { oauthError, required, type TokenResponse } from '../protocol.js';
import { constantTimeEqual, randomId, s256 } from '../secrets.js';
import type { AgentRecord } from '../store.js';

/** RFC 7636 §4.1 code_verifier. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;

/** RFC 6749 §4.1.3 with PKCE: a code redeemed once, by its client, with its verifier; a replay revokes what the code gave. */
export async function authorizationCodeGrant(
  ctx: AuthzContext,
  agent: AgentRecord,
  params: Readonly<Record<string, string>>,
): Promise<TokenResponse> {
  const code = required(params, 'code');
  const redirectUri = required(params, 'redirect_uri');
  const verifier = required(params, 'code_verifier');
  const redeemed = ctx.codes.redeem(code);
  if (!redeemed) throw oauthError('invalid_grant', 'The authorization code is unknown or expired');
  if (redeemed.kind === 'replayed') {
    if (redeemed.redemption) revokeRedemption(ctx, redeemed.redemption);
    throw oauthError('invalid_grant', 'The authorization code was already used; the tokens issued for it are revoked');
  }
  const binding = redeemed.binding;
  if (binding.client_id !== agent.client_id)
    throw oauthError('invalid_grant', 'The authorization code was issued to another client');
  if (binding.redirect_uri !== redirectUri)
    throw oauthError('invalid_grant', 'redirect_uri differs from the authorization request');
  if (!CODE_VERIFIER.test(verifier) || !constantTimeEqual(s256(verifier), binding.code_challenge))
    throw oauthError('invalid_grant', 'PKCE verification failed: code_verifier does not match code_challenge');
  const resource = checkResource(ctx, params.resource);
  if (binding.resource !== undefined && resource !== undefined && resource !== binding.resource)
    throw oauthError('invalid_target', `resource differs from the authorization request (${binding.resource})`);
  ctx.store.pruneRefreshTokens(ctx.now());
  const { response, redemption } = await issueWithRefresh(
    ctx,
    agent,
    parseScope(binding.scope),
    binding.scope,
    randomId(),
    undefined,
    binding.resource ?? resource,
  );
  if (!ctx.codes.recordRedemption(code, redemption)) {
    revokeRedemption(ctx, redemption);
    throw oauthError(
      'invalid_grant',
      'The authorization code was used twice at once; the tokens issued for it are revoked',
    );
  }
  return response;
}
