import { loopbackAliases } from '../net.js';
import type { SessionBinding, TokenResource } from './access-tokens.js';
import type { CodeRedemption } from './codes.js';
import type { AuthzContext } from './context.js';
import { grantsToScopeMap, intersectScopes, nameGrants, parseScope, uncoveredScopes, type ScopeMap } from './grants.js';
import { oauthError, type TokenResponse } from './protocol.js';
import { hashSecret, randomToken } from './secrets.js';
import type { AgentRecord } from './store.js';

const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600_000;

/** The agent's grants under the current names of their connections (scope strings speak names). */
export function grantedScope(ctx: AuthzContext, agent: AgentRecord): ScopeMap {
  return grantsToScopeMap(nameGrants(agent.grants, ctx.deps.connections));
}

/** Signs an access token for the current grants ∩ `scope`, for `audience` (the proxy when undefined), of `session` if given; refuses an empty one. */
export async function issueAccess(
  ctx: AuthzContext,
  agent: AgentRecord,
  scope: ScopeMap,
  audience?: string,
  session?: SessionBinding,
) {
  const effective = intersectScopes(scope, grantedScope(ctx, agent));
  if (effective.size === 0)
    throw oauthError(
      'invalid_scope',
      `Agent "${agent.name}" has no grants covering this request; grant it connections in Latchkey`,
    );
  const ids = new Map([...effective.keys()].map((name) => [name, ctx.deps.connections.getByName(name)?.id as string]));
  return ctx.tokens.issue(agent, effective, ids, audience, session);
}

/** An access token plus a refresh token of `familyId`, spending `spend` (a refresh token hash) atomically. */
export async function issueWithRefresh(
  ctx: AuthzContext,
  agent: AgentRecord,
  scope: ScopeMap,
  refreshScope: string,
  familyId: string,
  spend: string | undefined,
  audience: string | undefined,
): Promise<{ response: TokenResponse; redemption: CodeRedemption }> {
  const access = await issueAccess(ctx, agent, scope, audience);
  const refreshToken = randomToken();
  const now = ctx.now();
  const spent = ctx.store.transaction(() => {
    if (spend !== undefined && !ctx.store.markRefreshTokenUsed(spend, now)) return false;
    ctx.store.insertRefreshToken({
      token_hash: hashSecret(refreshToken),
      agent_id: agent.id,
      family_id: familyId,
      scope: refreshScope,
      access_jti: access.jti,
      access_expires_at: access.expires_at,
      created_at: now,
      expires_at: now + REFRESH_TOKEN_TTL_MS,
      used_at: null,
      revoked_at: null,
    });
    return true;
  });
  if (!spent) {
    // A concurrent request spent it first: the same token was presented twice.
    ctx.tokens.revoke([{ jti: access.jti, expires_at: access.expires_at }]);
    throw refreshTokenReused(ctx, familyId);
  }
  return {
    response: {
      access_token: access.token,
      token_type: 'Bearer',
      expires_in: access.expires_in,
      scope: access.scope,
      refresh_token: refreshToken,
    },
    redemption: { family_id: familyId, jti: access.jti, access_expires_at: access.expires_at },
  };
}

/** Reuse of a rotated refresh token means it leaked: the whole family goes (RFC 9700 §4.14.2). */
export function refreshTokenReused(ctx: AuthzContext, familyId: string) {
  revokeFamily(ctx, familyId);
  return oauthError(
    'invalid_grant',
    'The refresh token was already used: this is treated as theft, and every token of its family is revoked',
  );
}

export function revokeFamily(ctx: AuthzContext, familyId: string): void {
  ctx.tokens.revoke(ctx.store.revokeFamily(familyId, ctx.now()));
}

export function revokeRedemption(ctx: AuthzContext, redemption: CodeRedemption): void {
  revokeFamily(ctx, redemption.family_id);
  ctx.tokens.revoke([{ jti: redemption.jti, expires_at: redemption.access_expires_at }]);
}

/** `text` parsed, if `granted` covers all of it; 400 invalid_scope otherwise. */
export function scopeWithin(granted: ScopeMap, text: string): ScopeMap {
  const requested = parseScope(text);
  const missing = uncoveredScopes(granted, requested);
  if (missing.length > 0) throw oauthError('invalid_scope', `Not granted: ${missing.join(' ')}`);
  return requested;
}

/**
 * An RFC 8707 `resource` parameter checked: undefined when absent (tokens then serve the
 * proxy), else one of Latchkey's own resources, /mcp or /proxy, under a loopback spelling
 * of its origin (the spelling is kept: it becomes the token's audience). 400 invalid_target otherwise.
 */
export function checkResource(ctx: AuthzContext, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const resources: TokenResource[] = ['/mcp', '/proxy'];
  const ours = loopbackAliases(ctx.deps.issuer()).flatMap((origin) => resources.map((path) => `${origin}${path}`));
  if (!ours.includes(value))
    throw oauthError(
      'invalid_target',
      `resource must be one of Latchkey's own resources, e.g. ${ctx.tokens.audience('/mcp')}`,
    );
  return value;
}
