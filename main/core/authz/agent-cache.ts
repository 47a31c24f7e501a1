import { LatchkeyError } from '../errors.js';
import { grantsToScopeMap, type ScopeMap, type StoredGrant } from './grants.js';
import type { AgentRecord, AgentStatus, AgentStore } from './store.js';

/** What verification needs of an agent, kept in memory so that no token check touches SQLite. */
export interface CachedAgent {
  id: string;
  name: string;
  client_id: string;
  status: AgentStatus;
  /** By connection id. */
  grants: ScopeMap;
  /** Ask-first scopes by connection id, only where a grant names some. */
  ask: ReadonlyMap<string, ReadonlySet<string>>;
  tokens_valid_after: number;
  rate_limit_per_minute: number | null;
}

/** Stored grants keyed by connection id. */
const scopeMapById = (grants: readonly StoredGrant[]): ScopeMap =>
  grantsToScopeMap(grants.map((g) => ({ connection: g.connection_id, scopes: g.scopes })));

/** The agents in memory, refreshed on every change that goes through `save`. */
export class AgentCache {
  readonly #store: AgentStore;
  readonly #agents = new Map<string, CachedAgent>();

  constructor(store: AgentStore) {
    this.#store = store;
    for (const agent of store.listAgents()) this.remember(agent);
  }

  get(id: string): CachedAgent | undefined {
    return this.#agents.get(id);
  }

  forget(id: string): void {
    this.#agents.delete(id);
  }

  remember(agent: AgentRecord): void {
    this.#agents.set(agent.id, {
      id: agent.id,
      name: agent.name,
      client_id: agent.client_id,
      status: agent.status,
      grants: scopeMapById(agent.grants),
      ask: new Map(agent.grants.filter((g) => g.ask && g.ask.length > 0).map((g) => [g.connection_id, new Set(g.ask)])),
      tokens_valid_after: agent.tokens_valid_after,
      rate_limit_per_minute: agent.rate_limit_per_minute,
    });
  }

  /** Writes the agent and refreshes its cached copy; 404 unknown_agent when it is gone. */
  save(agent: AgentRecord): AgentRecord {
    const saved = this.#store.updateAgent(agent);
    if (!saved) throw new LatchkeyError('unknown_agent', `No agent ${agent.id}`, 404);
    this.remember(saved);
    return saved;
  }

  require(id: string): AgentRecord {
    const agent = this.#store.agentById(id);
    if (!agent) throw new LatchkeyError('unknown_agent', `No agent ${id}`, 404);
    return agent;
  }
}
