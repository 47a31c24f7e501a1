import type Database from 'better-sqlite3';
import type { AuditInput } from '../audit/audit-log.js';
import type { BrokerEvents } from '../events.js';
import type { Vault } from '../vault/vault.js';
import type { AccessTokens } from './access-tokens.js';
import type { AgentCache } from './agent-cache.js';
import type { ClientMetadataDocuments, ClientMetadataTestOptions } from './client-metadata/documents.js';
import type { AuthorizationCodes } from './codes.js';
import type { ConnectionLookup } from './grants.js';
import type { SigningKeys } from './keys.js';
import type { AgentRecord, AgentStore } from './store.js';

export interface AuthzDeps {
  db: Database.Database;
  vault: Vault;
  /** The broker's base URL, e.g. http://127.0.0.1:7317: only known once the server listens. */
  issuer: () => string;
  connections: ConnectionLookup;
  audit: { append(input: AuditInput): Promise<unknown> };
  /** Emits 'agent-changed' {id, name, status}, 'approval-requested' {id, agent_id, agent_name}, 'approval-decided' {id, agent_id, status}, 'paused-changed' {paused}. */
  events: BrokerEvents;
  now?: () => number;
  /** ≤ 900, default 900. */
  accessTokenTtlSeconds?: number;
  /** Tests only (in process, never from env, CLI or HTTP): exceptions to the metadata document fetch guard. */
  clientMetadata?: ClientMetadataTestOptions | undefined;
}

/** The state the authz parts share, built once by openAuthz. Internal to authz/. */
export interface AuthzContext {
  readonly deps: AuthzDeps;
  readonly now: () => number;
  readonly store: AgentStore;
  readonly keys: SigningKeys;
  readonly tokens: AccessTokens;
  readonly codes: AuthorizationCodes;
  readonly agents: AgentCache;
  /** Approval id → the RFC 8707 resource its request named, bound into its code (in memory, like codes). */
  readonly approvalResources: Map<string, { resource: string; expires_at: number }>;
  /** Client ID Metadata Documents, fetched through the SSRF guard and cached. */
  readonly clientDocuments: ClientMetadataDocuments;
  /** The kill switch's state, read by every endpoint that issues tokens. */
  readonly pause: { paused: boolean };
}

/** Every decision is audited, with the agent it concerns when there is one. */
export async function audit(
  ctx: AuthzContext,
  kind: AuditInput['kind'],
  decision: AuditInput['decision'],
  reason: string,
  agent?: { id: string; name: string },
  status?: number,
): Promise<void> {
  await ctx.deps.audit.append({
    kind,
    decision,
    reason,
    agent_id: agent?.id ?? null,
    agent_name: agent?.name ?? null,
    ...(status === undefined ? {} : { status }),
  });
}

export function emitAgent(ctx: AuthzContext, agent: AgentRecord): void {
  ctx.deps.events.emit('agent-changed', { id: agent.id, name: agent.name, status: agent.status });
}
