/**
 * Shapes of the admin API that both sides speak: the broker core (Node) sends them and
 * the dashboard (browser) reads them. Types only, no imports, so either side may use it.
 */

/** What an agent may use on one connection; `["*"]` is everything the connection holds. */
export interface Grant {
  connection: string;
  scopes: string[];
  /**
   * Ask-first: scopes of `scopes` (any the connection holds, with `["*"]`) under which each
   * call waits for the person's say. Absent or empty: no call is held.
   */
  ask?: string[];
}

export type AgentStatus = 'pending' | 'active' | 'revoked';
export type RegisteredVia = 'admin' | 'dcr';
/** How an agent came to be: created by the person, RFC 7591 dynamic registration, or a Client ID Metadata Document. */
export type RegistrationKind = 'admin' | 'dynamic' | 'metadata_document';
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
  /** The finer kind: a self-registered agent ('dcr') registered either way. */
  registration: RegistrationKind;
  redirect_uris: string[];
}

/** An authorization request of an interactive agent. */
export interface ApprovalView {
  /** Beside held calls (`CallApprovalView`, kind "call") in GET /approvals. */
  kind: 'registration';
  id: string;
  agent_id: string;
  agent_name: string;
  client_id: string;
  /** How the agent came to be: 'dcr' is a self-registered client (RFC 7591) that anyone on this machine could have made. */
  registered_via: RegisteredVia;
  /** 'metadata_document': its client_id is the https URL of its metadata document, which Latchkey fetched; 'dynamic': RFC 7591. */
  registration: RegistrationKind;
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

/** How long an approved call approval lets such calls through: this one call, an hour, or for good (the scope leaves `ask`). */
export type CallApprovalWindow = 'once' | '1h' | 'always';

/** A proxied or MCP call held until the person decides (ask-first grants); listed while it waits, then gone. */
export interface CallApprovalView {
  kind: 'call';
  id: string;
  agent_id: string;
  agent_name: string;
  connection: string;
  method: string;
  /** The path under the connection's API base (query values redacted). */
  path: string;
  /** What the call does, in a line: "create issues in person/repo". */
  summary: string;
  /** The ask scopes that would let it through. */
  scopes: string[];
  /** The request body's declared size; null when not announced (chunked). */
  body_bytes: number | null;
  /** Listed while pending; the answer to a decision shows what was decided. */
  status: 'pending' | 'approved' | 'denied';
  created_at: string;
  /** When the call gives up waiting (403 approval_timeout). */
  expires_at: string;
}

/** The decision on a call approval: `for` defaults to `once`. */
export interface CallDecision {
  decision: 'approve' | 'deny';
  for?: CallApprovalWindow;
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
  /** The exec session whose token was used (`latchkey exec`), if any. */
  session_id: string | null;
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

export type AuthType = 'oauth2' | 'api_key';
export type ConnectMethod = 'browser' | 'device' | 'personal_token' | 'api_key';
export type ClientSecretPolicy = 'none' | 'optional' | 'required';
export type ConnectionStatus = 'connected' | 'expired' | 'needs_reauth';
export type AuthMethod = 'oauth' | 'device' | 'personal_token' | 'api_key';

/** Where the broker keeps secrets: the OS keychain, or its encrypted file. */
export type SecretStore = 'keychain' | 'file';

export interface BrokerStatus {
  version: string;
  data_dir: string;
  secret_store: SecretStore;
  /** This data dir's random id: it namespaces the broker's keychain entries. */
  install_id: string;
  started_at: string;
  url: string;
  /** The kill switch: true while every agent request is refused. */
  paused: boolean;
  counts: { connections: number; agents: number; pending_approvals: number };
}

export interface ScopeInfo {
  name: string;
  description: string;
}

export interface ProviderSummary {
  id: string;
  name: string;
  description?: string;
  docs_url?: string;
  auth_type: AuthType;
  builtin: boolean;
  scopes: ScopeInfo[];
  default_scopes: string[];
  connect_methods: ConnectMethod[];
  client_secret: ClientSecretPolicy;
  client: { client_id: string; has_secret: boolean } | null;
  redirect_uri: string | null;
  redirect_any_port: boolean;
  /** Narrow scope → broader scopes: on a connection holding the narrow one and a broader one, the narrow one is not offered as a grant. */
  unenforced_subsets?: Record<string, string[]>;
  /** Per-account host parts asked for at connect time (Zendesk subdomain, Shopify shop). */
  variables?: TemplateVariable[];
  /** API base name → base URL, `{variable}` still in it. */
  bases?: Record<string, string>;
}

export interface TemplateVariable {
  name: string;
  kind: 'label' | 'hostname';
  description: string;
  default?: string;
  /** What a value may be, in words. */
  allowed: string;
}

export interface Connection {
  name: string;
  provider: string;
  auth_method: AuthMethod;
  account: string | null;
  scopes: string[];
  status: ConnectionStatus;
  expires_at: string | null;
  last_used_at: string | null;
  created_at: string;
  last_error: string | null;
  variables?: Record<string, string>;
}

export interface ConnectRequest {
  provider: string;
  method?: ConnectMethod;
  scopes?: string[];
  name?: string;
  secret?: string;
  variables?: Record<string, string>;
}

export interface BrowserFlowStart {
  kind: 'browser';
  flow_id: string;
  authorize_url: string;
  redirect_uri: string;
  expires_at: string;
}

export interface DeviceFlowStart {
  kind: 'device';
  flow_id: string;
  user_code: string;
  verification_uri: string;
  verification_uri_complete?: string;
  expires_at: string;
}

export interface ConnectedNow {
  kind: 'connected';
  connection: Connection;
}

export type ConnectResult = BrowserFlowStart | DeviceFlowStart | ConnectedNow;

export type FlowStatus = 'pending' | 'connected' | 'failed';

export interface Flow {
  flow_id: string;
  status: FlowStatus;
  connection?: Connection;
  error?: string;
  error_description?: string;
}

export interface DeleteResult {
  deleted: true;
  revoked_at_provider: boolean;
}

/** The answer to creating an agent: the only time its client secret is ever sent. */
export interface CreatedAgent extends AgentView {
  client_secret: string;
}

/** The spans the Activity view offers. */
export type ActivityRange = 'hour' | 'day' | 'week';

export interface ActivityCounts {
  calls: number;
  denied: number;
  errors: number;
}

/** GET /admin/api/activity: proxied calls per agent and time bucket, the busiest connections and each agent's last call. */
export interface ActivityReport {
  range: ActivityRange;
  since: string;
  until: string;
  bucket_ms: number;
  /** One row per agent and bucket that had calls; `at` is the bucket's start. */
  buckets: (ActivityCounts & { at: string; agent_id: string; agent_name: string | null })[];
  /** Busiest first, at most 10. */
  connections: (ActivityCounts & { connection: string })[];
  /** Busiest first, with each agent's newest call in the range. */
  agents: (ActivityCounts & {
    agent_id: string;
    agent_name: string | null;
    last_at: string;
    last_connection: string | null;
    last_method: string | null;
    last_path: string | null;
    last_status: number | null;
    last_decision: string;
  })[];
}
