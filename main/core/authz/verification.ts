import type { AccessClaims, TokenResource } from './access-tokens.js';
import type { AuthzContext } from './context.js';
import { intersectScopes, type ScopeMap, type ScopeSet } from './grants.js';

/** Who is calling the proxy, and what it may use right now. */
export interface AgentPrincipal {
  agent_id: string;
  agent_name: string;
  client_id: string;
  jti: string;
  /** epoch ms */
  expires_at: number;
  /** The token's scopes intersected with the agent's current grants, by connection name. */
  grants: ScopeMap;
  /** The id of each granted connection: the proxy uses a grant only on the connection of that id. */
  connection_ids: ReadonlyMap<string, string>;
  rate_limit_per_minute: number | null;
  /**
   * Ask-first scopes by connection name, where the agent's grant names some: calls needing
   * them wait for the person (main/core/ask-first). Absent when no grant asks, so the proxy
   * spends nothing on agents that never ask.
   */
  ask?: ReadonlyMap<string, ReadonlySet<string>>;
  /** The exec session the token belongs to (its audit entries name it), if any. */
  session_id?: string | null;
}

/** Access-token verification for the proxy and MCP, served from memory: no SQLite, no vault. */
export class Verification {
  readonly #ctx: AuthzContext;
  readonly #heldByToken = new WeakMap<AccessClaims, { agentGrants: ScopeMap; held: ScopeMap }>();

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  /** The kill switch's state: the proxy refuses every agent request while paused. */
  get paused(): boolean {
    return this.#ctx.pause.paused;
  }

  tokenEndpoint(): string {
    return this.#ctx.tokens.tokenEndpoint();
  }

  /**
   * What a token's holder may use now, by connection id: the token's scopes ∩ the agent's
   * grants. Kept per token (its verified claims are cached and never change) for as long as
   * the agent's grants are the same map: any change to the agent replaces that map.
   */
  #held(claims: AccessClaims, agentGrants: ScopeMap): ScopeMap {
    const kept = this.#heldByToken.get(claims);
    if (kept?.agentGrants === agentGrants) return kept.held;
    const tokenScope = new Map(
      [...claims.scope].map(([name, scopes]) => [claims.connection_ids.get(name) as string, scopes]),
    );
    const held = intersectScopes(tokenScope, agentGrants);
    this.#heldByToken.set(claims, { agentGrants, held });
    return held;
  }

  /** Throws 401 invalid_token | token_expired | token_revoked (with token_endpoint). */
  async verifyAccessToken(token: string, resource: TokenResource = '/proxy'): Promise<AgentPrincipal> {
    const { tokens } = this.#ctx;
    const claims = await tokens.verify(token, resource);
    const agent = this.#ctx.agents.get(claims.sub);
    // The signature is ours, so the token's agent is known: the audit entry of the refusal names it (never sent to the caller).
    const revoked = (message: string) =>
      Object.assign(tokens.error('token_revoked', message), {
        agent: { agent_id: claims.sub, agent_name: agent?.name ?? claims.sub },
      });
    if (agent?.status !== 'active') throw revoked('The agent of this token was revoked or deleted.');
    if (agent.client_id !== claims.client_id)
      throw tokens.error('invalid_token', 'The access token does not belong to its agent.');
    if (claims.iat * 1000 < agent.tokens_valid_after)
      throw revoked("This access token was issued before the agent's tokens were revoked.");
    // By connection id: what the token was issued for ∩ what the agent holds now; then under today's names.
    const grants = new Map<string, ScopeSet>();
    const connectionIds = new Map<string, string>();
    let ask: Map<string, ReadonlySet<string>> | undefined;
    for (const [id, scopes] of this.#held(claims, agent.grants)) {
      const connection = this.#ctx.deps.connections.getById(id);
      if (!connection) continue;
      grants.set(connection.name, scopes);
      connectionIds.set(connection.name, id);
      const asked = agent.ask.get(id);
      if (asked) (ask ??= new Map()).set(connection.name, asked);
    }
    return {
      agent_id: agent.id,
      agent_name: agent.name,
      client_id: agent.client_id,
      jti: claims.jti,
      expires_at: claims.exp * 1000,
      grants,
      connection_ids: connectionIds,
      rate_limit_per_minute: agent.rate_limit_per_minute,
      ...(ask ? { ask } : {}),
      session_id: claims.sid ?? null,
    };
  }
}
