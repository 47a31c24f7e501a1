import { LatchkeyError } from '../errors.js';
import type { SessionBinding } from './access-tokens.js';
import { audit, type AuthzContext } from './context.js';
import { grantedScope, issueAccess } from './issuance.js';
import { MAX_SESSION_TOKEN_LIFETIME_MS, pausedError, type TokenResponse } from './protocol.js';
import type { AgentRecord } from './store.js';

/** Access tokens minted for an agent without client authentication: for `latchkey exec` through the admin API. */
export class ExecTokens {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  async mint(agentId: string): Promise<TokenResponse> {
    const agent = this.#activeAgent(agentId);
    const issued = await issueAccess(this.#ctx, agent, grantedScope(this.#ctx, agent));
    await audit(this.#ctx, 'token', 'allow', `issued through the admin API (${issued.scope})`, agent);
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expires_in, scope: issued.scope };
  }

  /**
   * A token of an exec session (main/core/sessions): it lives until the session's end, at
   * most MAX_SESSION_TOKEN_LIFETIME_MS, and names the session (`sid`), so the proxy's audit
   * entries do. The session revokes it when it ends; the session's own audit entry records it.
   */
  async mintForSession(
    agentId: string,
    session: SessionBinding,
  ): Promise<{ access_token: string; jti: string; expires_at: number }> {
    if (session.expiresAt > this.#ctx.now() + MAX_SESSION_TOKEN_LIFETIME_MS) {
      throw new LatchkeyError(
        'invalid_ttl',
        `A session token lives at most ${MAX_SESSION_TOKEN_LIFETIME_MS / 3_600_000} hours.`,
        400,
      );
    }
    const agent = this.#activeAgent(agentId);
    const issued = await issueAccess(this.#ctx, agent, grantedScope(this.#ctx, agent), undefined, session);
    return { access_token: issued.token, jti: issued.jti, expires_at: issued.expires_at };
  }

  /** Access tokens refused from now on (an exec session ended). */
  revoke(tokens: readonly { jti: string; expires_at: number }[]): void {
    this.#ctx.tokens.revoke(tokens);
  }

  #activeAgent(agentId: string): AgentRecord {
    const agent = this.#ctx.agents.require(agentId);
    if (agent.status !== 'active')
      throw new LatchkeyError('agent_not_active', `Agent "${agent.name}" is ${agent.status}`, 409, {
        status: agent.status,
      });
    if (this.#ctx.pause.paused) throw pausedError();
    return agent;
  }
}
