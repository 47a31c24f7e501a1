import type { ApprovalView } from '../../common/admin-api.js';
import { LatchkeyError } from '../errors.js';
import { approvalView, effectiveStatus } from './approval-status.js';
import { audit, emitAgent, type AuthzContext } from './context.js';
import { bindGrants, describeGrants, parseScope, scopeMapToGrants, validateGrants, type Grant } from './grants.js';

/** The person's decisions on the authorization requests of interactive agents. */
export class Approvals {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  /** Pending requests first, then newest first. */
  list(): ApprovalView[] {
    const views = this.#ctx.store.listApprovals().map((approval) => approvalView(this.#ctx, approval));
    return [...views.filter((v) => v.status === 'pending'), ...views.filter((v) => v.status !== 'pending')];
  }

  /**
   * The person's decision on an authorization request: the only way one is approved.
   * Approving sets the agent's grants to `grants` (default: what it asked for) and
   * activates a self-registered agent.
   */
  async decide(id: string, decision: 'approve' | 'deny', grants?: Grant[]): Promise<ApprovalView> {
    const { deps, store, agents } = this.#ctx;
    const approval = store.approval(id);
    if (!approval) throw new LatchkeyError('unknown_approval', `No approval request ${id}`, 404);
    const status = effectiveStatus(this.#ctx, approval);
    if (status === 'expired')
      throw new LatchkeyError('approval_expired', 'This request expired; the agent has to ask again', 409);
    if (status !== 'pending')
      throw new LatchkeyError('approval_decided', `This request was already ${status}`, 409, { status });
    const agent = agents.require(approval.agent_id);
    if (agent.status === 'revoked') throw new LatchkeyError('agent_revoked', `Agent "${agent.name}" is revoked`, 409);
    let granted: Grant[] | null = null;
    if (decision === 'approve') {
      granted = validateGrants(grants ?? scopeMapToGrants(parseScope(approval.scope)), deps.connections);
      if (granted.length === 0)
        throw new LatchkeyError(
          'grants_required',
          'The agent asked for no particular scope: choose the grants to give it',
          400,
        );
    }
    const now = this.#ctx.now();
    const decided = store.transaction(() => {
      const row = store.decideApproval(id, decision === 'approve' ? 'approved' : 'denied', now, granted);
      if (!row) throw new LatchkeyError('approval_decided', 'This request was decided meanwhile', 409);
      if (granted)
        agents.save({ ...agent, grants: bindGrants(granted, deps.connections), status: 'active', updated_at: now });
      return row;
    });
    await audit(
      this.#ctx,
      'approval',
      decision === 'approve' ? 'allow' : 'deny',
      decision === 'approve' ? `approved: ${describeGrants(granted ?? [])}` : 'denied by the person',
      agent,
    );
    deps.events.emit('approval-decided', { id, agent_id: agent.id, status: decided.status });
    if (granted) emitAgent(this.#ctx, agents.require(agent.id));
    return approvalView(this.#ctx, decided);
  }
}
