import { randomUUID } from 'node:crypto';
import type { AgentView } from '../../common/admin-api.js';
import { LatchkeyError } from '../errors.js';
import { checkAgentName, lookAlikeOf } from './agent-name.js';
import { iso } from './approval-status.js';
import { audit, emitAgent, type AuthzContext } from './context.js';
import { bindGrants, describeGrants, nameGrants, validateGrants, type ConnectionLookup, type Grant } from './grants.js';
import { registrationOf } from './registration-kind.js';
import { hashSecret, randomId, randomToken } from './secrets.js';
import type { AgentRecord } from './store.js';

const RATE_LIMIT_MAX = 1_000_000;

export function agentView(agent: AgentRecord, connections: ConnectionLookup): AgentView {
  return {
    id: agent.id,
    name: agent.name,
    client_id: agent.client_id,
    status: agent.status,
    grants: nameGrants(agent.grants, connections),
    rate_limit_per_minute: agent.rate_limit_per_minute,
    created_at: iso(agent.created_at),
    updated_at: iso(agent.updated_at),
    registered_via: agent.registered_via,
    registration: registrationOf(agent),
    redirect_uris: agent.redirect_uris,
  };
}

function checkRateLimit(limit: number | null): number | null {
  if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > RATE_LIMIT_MAX)) {
    throw new LatchkeyError(
      'invalid_request',
      `rate_limit_per_minute is null (no limit) or an integer from 1 to ${RATE_LIMIT_MAX}`,
      400,
    );
  }
  return limit;
}

/** The person's agents and their grants (the admin side). */
export class Agents {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  async create(input: {
    name: string;
    grants: Grant[];
    rate_limit_per_minute?: number | null;
  }): Promise<{ agent: AgentView; client_secret: string }> {
    const { deps, store } = this.#ctx;
    const name = this.#checkNameFree(checkAgentName(input.name));
    const named = validateGrants(input.grants, deps.connections);
    const grants = bindGrants(named, deps.connections);
    const rateLimit = checkRateLimit(input.rate_limit_per_minute ?? null);
    const secret = randomToken();
    const now = this.#ctx.now();
    const agent = store.insertAgent({
      id: randomUUID(),
      name,
      client_id: randomId(),
      client_secret_hash: hashSecret(secret),
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [],
      status: 'active',
      grants,
      rate_limit_per_minute: rateLimit,
      tokens_valid_after: 0,
      registered_via: 'admin',
      created_at: now,
      updated_at: now,
    });
    this.#ctx.agents.remember(agent);
    await audit(this.#ctx, 'agent', 'info', `created with ${describeGrants(named)}`, agent);
    emitAgent(this.#ctx, agent);
    return { agent: agentView(agent, deps.connections), client_secret: secret };
  }

  list(): AgentView[] {
    return this.#ctx.store.listAgents().map((agent) => agentView(agent, this.#ctx.deps.connections));
  }

  get(id: string): AgentView {
    return agentView(this.#ctx.agents.require(id), this.#ctx.deps.connections);
  }

  /** 404 unknown_agent names the agents there are, so a mistyped name is easy to fix. */
  named(name: string): AgentView {
    const agents = this.list();
    const agent = agents.find((candidate) => candidate.name === name);
    if (!agent)
      throw new LatchkeyError(
        'unknown_agent',
        `No agent named "${name}". Agents: ${agents.map((a) => a.name).join(', ') || 'none yet (create one in the dashboard)'}`,
        404,
      );
    return agent;
  }

  /** Narrowed grants apply at once: verification intersects every token with the current grants. */
  async update(
    id: string,
    patch: { name?: string; grants?: Grant[]; rate_limit_per_minute?: number | null },
  ): Promise<AgentView> {
    const { deps, agents } = this.#ctx;
    const agent = agents.require(id);
    const next: AgentRecord = { ...agent, updated_at: this.#ctx.now() };
    const changes: string[] = [];
    if (patch.name !== undefined) {
      next.name = this.#checkNameFree(checkAgentName(patch.name), agent.id);
      changes.push(`name "${next.name}"`);
    }
    if (patch.grants !== undefined) {
      const named = validateGrants(patch.grants, deps.connections);
      next.grants = bindGrants(named, deps.connections);
      changes.push(describeGrants(named));
    }
    if (patch.rate_limit_per_minute !== undefined) {
      next.rate_limit_per_minute = checkRateLimit(patch.rate_limit_per_minute);
      changes.push(`rate limit ${next.rate_limit_per_minute ?? 'none'}`);
    }
    const saved = agents.save(next);
    await audit(this.#ctx, 'agent', 'info', `updated: ${changes.join(', ') || 'nothing'}`, saved);
    emitAgent(this.#ctx, saved);
    return agentView(saved, deps.connections);
  }

  /**
   * The person answered a held call "always": these scopes stop asking on the agent's grant
   * on that connection (by id), from its very next call.
   */
  async stopAsking(id: string, connectionId: string, scopes: readonly string[]): Promise<AgentView> {
    const { deps, agents } = this.#ctx;
    const agent = agents.require(id);
    const drop = new Set(scopes);
    const grants = agent.grants.map((grant) => {
      if (grant.connection_id !== connectionId || !grant.ask) return grant;
      const { ask, ...rest } = grant;
      const kept = ask.filter((scope) => !drop.has(scope));
      return kept.length > 0 ? { ...rest, ask: kept } : rest;
    });
    const saved = agents.save({ ...agent, grants, updated_at: this.#ctx.now() });
    const connection = deps.connections.getById(connectionId)?.name ?? connectionId;
    await audit(
      this.#ctx,
      'agent',
      'info',
      `updated: calls under ${scopes.map((scope) => `${connection}:${scope}`).join(' ')} no longer ask first (answered "always")`,
      saved,
    );
    emitAgent(this.#ctx, saved);
    return agentView(saved, deps.connections);
  }

  /** Immediate: every token of the agent fails verification from now on, refresh tokens included. */
  async revoke(id: string): Promise<AgentView> {
    const { deps, store, agents } = this.#ctx;
    const agent = agents.require(id);
    if (agent.status === 'revoked') return agentView(agent, deps.connections);
    const now = this.#ctx.now();
    const saved = store.transaction(() => {
      store.revokeAgentRefreshTokens(id, now);
      store.deletePendingApprovals(id);
      return agents.save({ ...agent, status: 'revoked', tokens_valid_after: now, updated_at: now });
    });
    await audit(this.#ctx, 'revocation', 'info', 'agent revoked: every token it holds stops working', saved);
    emitAgent(this.#ctx, saved);
    return agentView(saved, deps.connections);
  }

  async delete(id: string): Promise<void> {
    const agent = this.#ctx.agents.require(id);
    this.#ctx.store.deleteAgent(id);
    this.#ctx.agents.forget(id);
    await audit(this.#ctx, 'agent', 'info', 'deleted', agent);
    this.#ctx.deps.events.emit('agent-changed', { id, name: agent.name, status: 'deleted' });
  }

  /**
   * A connection was disconnected: every grant bound to it goes, the agents' other grants
   * stay. Its tokens stop reaching it at once (verification binds grants to ids).
   */
  async forgetConnection(connection: { id: string; name: string }): Promise<void> {
    const { store, agents } = this.#ctx;
    const now = this.#ctx.now();
    const changed = store.transaction(() =>
      store
        .listAgents()
        .filter((agent) => agent.grants.some((g) => g.connection_id === connection.id))
        .map((agent) =>
          agents.save({
            ...agent,
            grants: agent.grants.filter((g) => g.connection_id !== connection.id),
            updated_at: now,
          }),
        ),
    );
    for (const agent of changed) {
      await audit(
        this.#ctx,
        'agent',
        'info',
        `grant on "${connection.name}" dropped: the connection was disconnected`,
        agent,
      );
      emitAgent(this.#ctx, agent);
    }
  }

  /** `name`, unless another agent's name is it or looks like it (same NFKC + confusables skeleton): 409 agent_exists. */
  #checkNameFree(name: string, self?: string): string {
    const other = lookAlikeOf(
      name,
      this.#ctx.store
        .listAgents()
        .filter((a) => a.id !== self)
        .map((a) => a.name),
    );
    if (other === name)
      throw new LatchkeyError('agent_exists', `An agent named "${name}" already exists`, 409, { name });
    if (other !== undefined)
      throw new LatchkeyError(
        'agent_exists',
        `"${name}" looks like the name of the agent "${other}"; choose a name that reads differently`,
        409,
        { name, looks_like: other },
      );
    return name;
  }
}
