import type { Catalog } from '../catalog/catalog.js';
import type { ConnectionService } from '../connections/service.js';
import type { TokenManager } from '../connections/tokens.js';
import type { ConnectionStore } from '../store/connections.js';
import type { AuditInput } from '../audit/audit-log.js';
import type { AgentPrincipal, Verification } from '../authz/verification.js';

export type { AgentPrincipal };

/**
 * What the proxy needs of the agent authority: token verification (401 `invalid_token` |
 * `token_expired` | `token_revoked`), the kill switch and where tokens come from.
 */
export type AgentVerifier = Pick<Verification, 'verifyAccessToken' | 'paused' | 'tokenEndpoint'>;

/** What a verification error may carry besides its code: whose token it was (for the audit, never sent). */
export interface AttributedFailure {
  agent?: { agent_id: string; agent_name: string };
}

/** An audit entry as the proxy writes it (the log redacts query values itself). */
export type AuditRecord = AuditInput;

/** The audit log as the proxy uses it: `append` resolves once the entry is committed; the proxy answers only after that. */
export interface AuditSink {
  append(input: AuditInput): Promise<unknown>;
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
