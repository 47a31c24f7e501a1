import { Grant, Grants, REGISTERED_VIA, REGISTRATION_KINDS } from './agents.js';
import { DateTime, Nullable, StringEnum, Type, type Static } from './schema.js';

export const APPROVAL_STATUSES = ['pending', 'approved', 'denied', 'expired'] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/** An authorization request of an interactive agent. */
export const ApprovalView = Type.Object({
  kind: Type.Literal('registration', { description: 'Beside held calls (kind "call") in GET /approvals' }),
  id: Type.String(),
  agent_id: Type.String(),
  agent_name: Type.String(),
  client_id: Type.String(),
  registered_via: StringEnum(REGISTERED_VIA, {
    description:
      "How the agent came to be: 'dcr' is a self-registered client (RFC 7591) that anyone on this machine could have made",
  }),
  registration: StringEnum(REGISTRATION_KINDS, {
    description:
      "'metadata_document': its client_id is the https URL of its metadata document, which Latchkey fetched; 'dynamic': RFC 7591",
  }),
  redirect_hosts: Type.Array(Type.String(), {
    description: "Where the agent's registered redirect URIs send answers (host and port), each once",
  }),
  status: StringEnum(APPROVAL_STATUSES),
  requested_scope: Type.String({
    description: 'The scope the agent asked for, as it asked (`connection:scope` items)',
  }),
  requested_grants: Type.Array(Grant, {
    description: 'The same as grants; empty when it named no scope (then the person must choose)',
  }),
  redirect_uri: Type.String(),
  created_at: DateTime(),
  expires_at: DateTime(),
  decided_at: Nullable(DateTime()),
  granted: Type.Union([Type.Null(), Type.Array(Grant)], { description: 'What was granted; null until approved' }),
});
export type ApprovalView = Static<typeof ApprovalView>;

/** How long an approved call approval lets such calls through: this one call, an hour, or for good (the scope leaves `ask`). */
export const CALL_APPROVAL_WINDOWS = ['once', '1h', 'always'] as const;
export type CallApprovalWindow = (typeof CALL_APPROVAL_WINDOWS)[number];

/** A proxied or MCP call held until the person decides (ask-first grants); listed while it waits, then gone. */
export const CallApprovalView = Type.Object({
  kind: Type.Literal('call'),
  id: Type.String(),
  agent_id: Type.String(),
  agent_name: Type.String(),
  connection: Type.String(),
  method: Type.String(),
  path: Type.String({ description: "The path under the connection's API base (query values redacted)" }),
  summary: Type.String({ description: 'What the call does, in a line: "create issues in person/repo"' }),
  scopes: Type.Array(Type.String(), { description: 'The ask scopes that would let it through' }),
  body_bytes: Nullable(
    Type.Integer({ description: "The request body's declared size; null when not announced (chunked)" }),
  ),
  status: StringEnum(['pending', 'approved', 'denied'], {
    description: 'Listed while pending; the answer to a decision shows what was decided',
  }),
  created_at: DateTime(),
  expires_at: DateTime({ description: 'When the call gives up waiting (403 approval_timeout)' }),
});
export type CallApprovalView = Static<typeof CallApprovalView>;

/** One item of GET /approvals: a held call or an agent's authorization request, told apart by `kind`. */
export const AnyApproval = Type.Union([CallApprovalView, ApprovalView]);
export type AnyApproval = Static<typeof AnyApproval>;

export const ApprovalList = Type.Object({ approvals: Type.Array(AnyApproval) });
export type ApprovalList = Static<typeof ApprovalList>;

/**
 * POST /approvals/:id: without `grants`, approving a registration grants what was requested;
 * `for` (default `once`) applies to held calls only.
 */
export const ApprovalDecision = Type.Object(
  {
    decision: StringEnum(['approve', 'deny']),
    grants: Type.Optional(Grants),
    for: Type.Optional(StringEnum(CALL_APPROVAL_WINDOWS)),
  },
  { additionalProperties: false },
);
export type ApprovalDecision = Static<typeof ApprovalDecision>;
