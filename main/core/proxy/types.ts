import type { Catalog } from '../catalog/catalog.js';
import type { ConnectionService } from '../connections/service.js';
import type { TokenManager } from '../connections/tokens.js';
import type { ConnectionStore } from '../store/connections.js';

/**
 * What the proxy needs of its neighbours, as structural types: the agent authority
 * (main/core/authz) and the audit log (main/core/audit) fit them without the proxy
 * importing either.
 */

/** The agent behind a verified access token, and what it may use right now. */
export interface AgentPrincipal {
  agent_id: string;
  agent_name: string;
  client_id: string;
  jti: string;
  /** Epoch ms. */
  expires_at: number;
  /** Connection name → granted scopes, or '*' for everything the connection holds. */
  grants: ReadonlyMap<string, ReadonlySet<string> | '*'>;
  /** null: no per-agent limit (the proxy's broker-wide default applies). */
  rate_limit_per_minute: number | null;
}

export interface AgentVerifier {
  /**
   * Throws LatchkeyError 401 `invalid_token` | `token_expired` | `token_revoked`. When the
   * token was genuinely issued to an agent (expired, revoked), the error may name it for the
   * audit with an `agent` property (see AttributedFailure); it is never sent to the caller.
   */
  verifyAccessToken(token: string): Promise<AgentPrincipal>;
  /** The kill switch: while true every agent request is refused with 403 `paused`. */
  readonly paused: boolean;
  tokenEndpoint(): string;
}

/** What a verification error may carry besides its code: whose token it was. */
export interface AttributedFailure {
  agent?: { agent_id: string; agent_name: string };
}

export interface AuditRecord {
  kind: 'proxy' | 'control';
  decision: 'allow' | 'deny' | 'info';
  reason?: string | null;
  agent_id?: string | null;
  agent_name?: string | null;
  connection?: string | null;
  method?: string | null;
  /** The raw path and query: the audit log redacts query values itself. */
  path?: string | null;
  status?: number | null;
  latency_ms?: number | null;
  bytes_in?: number | null;
  bytes_out?: number | null;
}

export interface AuditSink {
  /** Resolves once the entry is committed; the proxy answers only after that. */
  append(input: AuditRecord): Promise<unknown>;
}

export interface ProxyDeps {
  verifier: AgentVerifier;
  audit: AuditSink;
  catalog: Catalog;
  connections: Pick<ConnectionService, 'get' | 'list'>;
  tokens: Pick<TokenManager, 'current' | 'refresh'>;
  store: Pick<ConnectionStore, 'touch'>;
  /** The broker's own URL, e.g. http://127.0.0.1:7317 (known once it listens). */
  baseUrl: () => string;
  /** How long the upstream may stay silent before its response headers (default 30 s). */
  upstreamTimeoutMs?: number;
  /** Requests per minute for agents without their own limit (default 6000). */
  defaultRateLimitPerMinute?: number;
}
