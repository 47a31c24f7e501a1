import type { AuthzContext } from './context.js';
import { effectiveStatus, requireApproval } from './approval-status.js';
import type { ConsentDetails } from './consent-page.js';
import { formatScope, grantsToScopeMap, parseScope } from './grants.js';
import { CODE_TTL_MS, withParams } from './protocol.js';
import { registrationOf } from './registration-kind.js';
import type { ApprovalStatus } from './store.js';

export interface ConsentStatus {
  status: ApprovalStatus;
  redirect_to?: string;
}

/** The consent page's side: what it shows, and the answer it polls for, which carries the authorization code. */
export class Consent {
  readonly #ctx: AuthzContext;
  /** Approval id → the redirect carrying its one code, while the code lives. */
  readonly #codeRedirects = new Map<string, { redirect_to: string; expires_at: number }>();

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  /** What the consent page shows. */
  details(id: string): ConsentDetails {
    const approval = requireApproval(this.#ctx, id);
    const agent = this.#ctx.agents.require(approval.agent_id);
    return {
      id,
      agent_name: agent.name,
      client_id: agent.client_id,
      registration: registrationOf(agent),
      redirect_host: new URL(approval.redirect_uri).host,
      scopes: formatScope(parseScope(approval.scope)).split(' ').filter(Boolean),
      status: effectiveStatus(this.#ctx, approval),
    };
  }

  /**
   * Polled by the consent page. An approval yields exactly one authorization code, made
   * when first asked for (so a tab the browser throttled still gets a fresh one); a
   * denial redirects with access_denied.
   */
  status(id: string, issuer = this.#ctx.deps.issuer()): ConsentStatus {
    const { store, codes, approvalResources } = this.#ctx;
    const approval = requireApproval(this.#ctx, id);
    const status = effectiveStatus(this.#ctx, approval);
    const answer = (params: Record<string, string>): string =>
      withParams(approval.redirect_uri, { ...params, state: approval.state, iss: issuer });
    if (status === 'denied')
      return {
        status,
        redirect_to: answer({ error: 'access_denied', error_description: 'The request was denied in Latchkey' }),
      };
    if (status !== 'approved') return { status };
    const now = this.#ctx.now();
    const issued = this.#codeRedirects.get(id);
    if (issued && issued.expires_at > now) return { status, redirect_to: issued.redirect_to };
    const agent = store.agentById(approval.agent_id);
    if (agent?.status !== 'active' || !store.claimApprovalCode(id, now)) return { status };
    const code = codes.issue({
      agent_id: agent.id,
      client_id: agent.client_id,
      redirect_uri: approval.redirect_uri,
      code_challenge: approval.code_challenge,
      scope: formatScope(grantsToScopeMap(approval.granted ?? [])),
      resource: approvalResources.get(id)?.resource,
    });
    approvalResources.delete(id);
    const redirectTo = answer({ code });
    for (const [key, entry] of this.#codeRedirects) if (entry.expires_at <= now) this.#codeRedirects.delete(key);
    this.#codeRedirects.set(id, { redirect_to: redirectTo, expires_at: now + CODE_TTL_MS });
    return { status, redirect_to: redirectTo };
  }
}
