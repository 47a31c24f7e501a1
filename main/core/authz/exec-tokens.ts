import { LatchkeyError } from '../errors.js';
import { audit, type AuthzContext } from './context.js';
import { grantedScope, issueAccess } from './issuance.js';
import { pausedError, type TokenResponse } from './protocol.js';

/** Access tokens minted for an agent without client authentication: for `latchkey exec` through the admin API. */
export class ExecTokens {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  async mint(agentId: string): Promise<TokenResponse> {
    const agent = this.#ctx.agents.require(agentId);
    if (agent.status !== 'active') throw new LatchkeyError('agent_not_active', `Agent "${agent.name}" is ${agent.status}`, 409, { status: agent.status });
    if (this.#ctx.pause.paused) throw pausedError();
    const issued = await issueAccess(this.#ctx, agent, grantedScope(this.#ctx, agent));
    await audit(this.#ctx, 'token', 'allow', `issued through the admin API (${issued.scope})`, agent);
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expires_in, scope: issued.scope };
  }
}
