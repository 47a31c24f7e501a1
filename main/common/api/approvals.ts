import { Grant, Grants, REGISTERED_VIA } from './agents.js';
import { DateTime, Nullable, StringEnum, Type, type Static } from './schema.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** An authorization request of an interactive agent. */
export const ApprovalView = Type.Object({
  id: Type.String(),
  agent_id: Type.String(),
  agent_name: Type.String(),
  client_id: Type.String(),
  registered_via: StringEnum(REGISTERED_VIA, { description: "How the agent came to be: 'dcr' is a self-registered client (RFC 7591) that anyone on this machine could have made" }),
  redirect_hosts: Type.Array(Type.String(), { description: "Where the agent's registered redirect URIs send answers (host and port), each once" }),
  status: StringEnum(APPROVAL_STATUSES),
  requested_scope: Type.String({ description: 'The scope the agent asked for, as it asked (`connection:scope` items)' }),
  requested_grants: Type.Array(Grant, { description: 'The same as grants; empty when it named no scope (then the person must choose)' }),
  redirect_uri: Type.String(),
  created_at: DateTime(),
  expires_at: DateTime(),
  decided_at: Nullable(DateTime()),
  granted: Type.Union([Type.Null(), Type.Array(Grant)], { description: 'What was granted; null until approved' }),
});
export type ApprovalView = Static<typeof ApprovalView>;

export const ApprovalList = Type.Object({ approvals: Type.Array(ApprovalView) });
export type ApprovalList = Static<typeof ApprovalList>;

/** POST /approvals/:id: without `grants`, approving grants what was requested. */
export const ApprovalDecision = Type.Object(
  { decision: StringEnum(['approve', 'deny']), grants: Type.Optional(Grants) },
  { additionalProperties: false },
);
export type ApprovalDecision = Static<typeof ApprovalDecision>;
