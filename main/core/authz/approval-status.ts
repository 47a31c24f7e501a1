import type { ApprovalView } from '../../common/admin-api.js';
import { LatchkeyError } from '../errors.js';
import type { AuthzContext } from './context.js';
import { parseScope, scopeMapToGrants } from './grants.js';
import { registrationOf } from './registration-kind.js';
import type { ApprovalRecord, ApprovalStatus } from './store.js';

export const APPROVAL_TTL_MS = 10 * 60_000;

export const iso = (ms: number): string => new Date(ms).toISOString();

/** The hosts (with port) a client's answers go to, each once: what a person can judge a redirect URI by. */
const redirectHosts = (uris: readonly string[]): string[] => [...new Set(uris.map((uri) => new URL(uri).host))];

/** A pending request, or an approval nobody came back for, lapses after APPROVAL_TTL_MS. */
export function effectiveStatus(ctx: AuthzContext, approval: ApprovalRecord): ApprovalStatus {
  const now = ctx.now();
  if (approval.status === 'pending' && now >= approval.created_at + APPROVAL_TTL_MS) return 'expired';
  // An approval nobody came back for within the same window lapses too.
  if (
    approval.status === 'approved' &&
    approval.code_issued_at === null &&
    now >= (approval.decided_at ?? 0) + APPROVAL_TTL_MS
  )
    return 'expired';
  return approval.status;
}

export function requireApproval(ctx: AuthzContext, id: string): ApprovalRecord {
  const approval = ctx.store.approval(id);
  if (!approval) throw new LatchkeyError('unknown_approval', 'No such authorization request', 404);
  return approval;
}

export function approvalView(ctx: AuthzContext, approval: ApprovalRecord): ApprovalView {
  const agent = ctx.store.agentById(approval.agent_id);
  return {
    kind: 'registration',
    id: approval.id,
    agent_id: approval.agent_id,
    agent_name: agent?.name ?? '',
    client_id: agent?.client_id ?? '',
    registered_via: agent?.registered_via ?? 'dcr',
    registration: agent === undefined ? 'dynamic' : registrationOf(agent),
    redirect_hosts: redirectHosts(agent?.redirect_uris ?? []),
    status: effectiveStatus(ctx, approval),
    requested_scope: approval.scope,
    requested_grants: scopeMapToGrants(parseScope(approval.scope)),
    redirect_uri: approval.redirect_uri,
    created_at: iso(approval.created_at),
    expires_at: iso(approval.created_at + APPROVAL_TTL_MS),
    decided_at: approval.decided_at === null ? null : iso(approval.decided_at),
    granted: approval.granted,
  };
}
