/**
 * Shapes of the admin API that both sides speak: the broker core (Node) sends them and
 * the dashboard (browser) reads them. Types only, no imports, so either side may use it.
 */

/** What an agent may use on one connection; `["*"]` is everything the connection holds. */
export interface Grant {
  connection: string;
  scopes: string[];
}

export type AgentStatus = 'pending' | 'active' | 'revoked';
export type RegisteredVia = 'admin' | 'dcr';
export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired';

/** An agent as the admin API shows it: never its secret or the secret's hash. */
export interface AgentView {
  id: string;
  name: string;
  client_id: string;
  status: AgentStatus;
  grants: Grant[];
  rate_limit_per_minute: number | null;
  created_at: string;
  updated_at: string;
  registered_via: RegisteredVia;
  redirect_uris: string[];
}

/** An authorization request of an interactive agent. */
export interface ApprovalView {
  id: string;
  agent_id: string;
  agent_name: string;
  client_id: string;
  /** How the agent came to be: 'dcr' is a self-registered client (RFC 7591) that anyone on this machine could have made. */
  registered_via: RegisteredVia;
  /** Where the agent's registered redirect URIs send answers (host and port), each once. */
  redirect_hosts: string[];
  status: ApprovalStatus;
  /** The scope the agent asked for, as it asked (`connection:scope` items). */
  requested_scope: string;
  /** The same as grants; empty when it named no scope (then the person must choose). */
  requested_grants: Grant[];
  redirect_uri: string;
  created_at: string;
  expires_at: string;
  decided_at: string | null;
  /** What was granted; null until approved. */
  granted: Grant[] | null;
}

export type AuditKind = 'proxy' | 'token' | 'approval' | 'revocation' | 'connection' | 'agent' | 'control';
export type AuditDecision = 'allow' | 'deny' | 'info';

/** A stored audit entry; `at` is ISO 8601, `hash` chains it to `prev_hash`. */
export interface AuditEntry {
  id: number;
  at: string;
  kind: AuditKind;
  decision: AuditDecision;
  reason: string | null;
  agent_id: string | null;
  agent_name: string | null;
  connection: string | null;
  method: string | null;
  path: string | null;
  status: number | null;
  latency_ms: number | null;
  bytes_in: number | null;
  bytes_out: number | null;
  prev_hash: string;
  hash: string;
}

export interface AuditVerification {
  ok: boolean;
  /** Entries whose hash and link to the previous entry are intact. */
  checked: number;
  /** The first entry (id) that is wrong, missing or unexpected. */
  first_bad?: number;
  /** When not ok: what is wrong, in a sentence. */
  reason?: string;
}
