import type { ErrorCode } from '../error-codes.js';
import { randomUUID } from 'node:crypto';
import { lookAlikeOf } from './agent-name.js';
import { audit, emitAgent, type AuthzContext } from './context.js';
import { oauthError } from './protocol.js';
import type { AgentRecord, ClientAuthMethod } from './store.js';

/** Self-registered agents nobody approved are forgotten after a day, and at most this many wait. */
const PENDING_REGISTRATION_TTL_MS = 24 * 3600_000;
const MAX_PENDING_REGISTRATIONS = 100;

export interface PendingAgentInput {
  name: string;
  client_id: string;
  client_secret_hash: string | null;
  token_endpoint_auth_method: ClientAuthMethod;
  redirect_uris: string[];
  /** How the client registered, for the audit entry. */
  how: string;
  /** The OAuth error code a refusal carries (registration and authorization endpoints name them differently). */
  refusal: ErrorCode;
}

/**
 * A client that registered itself (RFC 7591, or by its metadata document) becomes an agent
 * without grants, pending until the person approves one of its requests. Stale ones are
 * forgotten first; a name like another agent's, or too many waiting, is refused.
 */
export async function createPendingAgent(ctx: AuthzContext, input: PendingAgentInput): Promise<AgentRecord> {
  const { store } = ctx;
  const now = ctx.now();
  for (const id of store.deleteStaleRegistrations(now - PENDING_REGISTRATION_TTL_MS)) ctx.agents.forget(id);
  // Refused without saying which agent it resembles: a registering client learns no more than that the name is taken.
  if (
    lookAlikeOf(
      input.name,
      store.listAgents().map((a) => a.name),
    ) !== undefined
  ) {
    throw oauthError(
      input.refusal,
      'client_name is, or looks like, the name of another agent (a revoked one keeps its name until the person deletes it in Latchkey); register under a name of your own',
    );
  }
  if (store.countPendingRegistrations() >= MAX_PENDING_REGISTRATIONS) {
    throw oauthError(
      'temporarily_unavailable',
      'Too many registered agents are waiting for approval; try again later',
      503,
    );
  }
  const record: AgentRecord = {
    id: randomUUID(),
    name: input.name,
    client_id: input.client_id,
    client_secret_hash: input.client_secret_hash,
    token_endpoint_auth_method: input.token_endpoint_auth_method,
    redirect_uris: input.redirect_uris,
    status: 'pending',
    grants: [],
    rate_limit_per_minute: null,
    tokens_valid_after: 0,
    registered_via: 'dcr',
    created_at: now,
    updated_at: now,
  };
  const agent = store.insertAgent(record);
  ctx.agents.remember(agent);
  await audit(ctx, 'agent', 'info', `registered itself (${input.how}); pending approval`, agent);
  emitAgent(ctx, agent);
  return agent;
}
