import { LatchkeyError } from '../errors.js';
import { authenticateClient, readClientCredentials } from './client-auth.js';
import { audit, type AuthzContext } from './context.js';
import { revokeFamily } from './issuance.js';
import { required, type ClientRequest } from './protocol.js';
import { hashSecret } from './secrets.js';
import type { AgentRecord } from './store.js';

/**
 * The revocation endpoint (RFC 7009). A token that is unknown, expired or another client's
 * is answered like a revoked one (the caller learns nothing); a refresh token takes its
 * whole family, and the access tokens issued with it, along.
 */
export class Revocation {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  async revoke(request: ClientRequest): Promise<void> {
    let claimed: AgentRecord | undefined;
    try {
      const credentials = readClientCredentials(request.authorization, request.params);
      claimed = this.#ctx.store.agentByClientId(credentials.client_id);
      const agent = authenticateClient(claimed, credentials);
      const token = required(request.params, 'token');
      const revoked = token.includes('.')
        ? await this.#revokeAccessToken(agent, token)
        : this.#revokeRefreshToken(agent, token);
      if (revoked) await audit(this.#ctx, 'revocation', 'info', `${revoked} revoked by the agent (RFC 7009)`, agent);
    } catch (error) {
      // Refusals are audited; the error goes on to the caller either way.
      if (error instanceof LatchkeyError && error.status < 500)
        await audit(this.#ctx, 'revocation', 'deny', `${error.code}: ${error.message}`, claimed, error.status);
      throw error;
    }
  }

  async #revokeAccessToken(agent: AgentRecord, token: string): Promise<'access token' | undefined> {
    let claims;
    try {
      claims = await this.#ctx.tokens.verify(token);
    } catch {
      return undefined; // invalid, expired or already revoked: nothing to revoke, and RFC 7009 §2.2 answers it like a success
    }
    if (claims.client_id !== agent.client_id) return undefined;
    this.#ctx.tokens.revoke([{ jti: claims.jti, expires_at: claims.exp * 1000 }]);
    return 'access token';
  }

  #revokeRefreshToken(agent: AgentRecord, token: string): 'refresh token family' | undefined {
    const record = this.#ctx.store.refreshToken(hashSecret(token));
    if (!record || record.agent_id !== agent.id) return undefined;
    revokeFamily(this.#ctx, record.family_id);
    return 'refresh token family';
  }
}
