import { randomUUID } from 'node:crypto';
import type { BrokerEvents } from '../events.js';
import type Database from 'better-sqlite3';
import type { AgentView, ApprovalView } from '../../common/admin-api.js';
import type { AuditInput } from '../audit/audit-log.js';
import { LatchkeyError } from '../errors.js';
import type { Vault } from '../vault/vault.js';
import { addressedOrigin, loopbackAliases } from '../net.js';
import { AccessTokens, type TokenResource } from './access-tokens.js';
import { agentNameProblem, lookAlikeOf } from './agent-name.js';
import { invalidClient, readClientCredentials, type ClientCredentials } from './client-auth.js';
import { AuthorizationCodes, type CodeRedemption } from './codes.js';
import type { ConsentDetails } from './consent-page.js';
import {
  bindGrants, formatScope, grantsToScopeMap, intersectScopes, nameGrants, parseScope, scopeMapToGrants, uncoveredScopes, validateGrants,
  type ConnectionLookup, type Grant, type ScopeMap, type StoredGrant,
} from './grants.js';
import { SigningKeys, type PublicJwk } from './keys.js';
import { redirectUriMatches, validateRedirectUri } from './redirect-uris.js';
import { constantTimeEqual, hashSecret, randomId, randomToken, s256, secretMatches } from './secrets.js';
import {
  AgentStore, type AgentRecord, type AgentStatus, type ApprovalRecord, type ApprovalStatus, type ClientAuthMethod, type RegisteredVia,
} from './store.js';


export type { AgentView, ApprovalView };
export type { Grant } from './grants.js';

/** RFC 9068 recommends short-lived access tokens; ours live at most 15 minutes. */
export const MAX_ACCESS_TOKEN_TTL_SECONDS = 900;
const REFRESH_TOKEN_TTL_MS = 30 * 24 * 3600_000;
const APPROVAL_TTL_MS = 10 * 60_000;
const CODE_TTL_MS = 60_000;
/** Self-registered agents nobody approved are forgotten after a day, and at most this many wait. */
const PENDING_REGISTRATION_TTL_MS = 24 * 3600_000;
const MAX_PENDING_REGISTRATIONS = 100;
const RATE_LIMIT_MAX = 1_000_000;
/** RFC 7636 §4.1 code_verifier; an S256 code_challenge is 43 base64url characters. */
const CODE_VERIFIER = /^[A-Za-z0-9\-._~]{43,128}$/;
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

const AUTH_METHODS: readonly ClientAuthMethod[] = ['client_secret_basic', 'client_secret_post', 'none'];
const GRANT_TYPES = ['authorization_code', 'client_credentials', 'refresh_token'] as const;
type GrantType = (typeof GRANT_TYPES)[number];
const isGrantType = (value: string | undefined): value is GrantType => (GRANT_TYPES as readonly (string | undefined)[]).includes(value);
/** What a self-registered (interactive) agent may use. */
const DCR_GRANT_TYPES = ['authorization_code', 'refresh_token'];

const PAUSED = 'Latchkey is paused: agents can do nothing until the person resumes it.';
const oauthError = (code: string, message: string, status = 400): LatchkeyError => new LatchkeyError(code, message, status);

export interface AgentAuthorityDeps {
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
}

/** Who is calling the proxy, and what it may use right now. */
export interface AgentPrincipal {
  agent_id: string;
  agent_name: string;
  client_id: string;
  jti: string;
  /** epoch ms */
  expires_at: number;
  /** The token's scopes intersected with the agent's current grants, by connection name. */
  grants: ReadonlyMap<string, ReadonlySet<string> | '*'>;
  /** The id of each granted connection: the proxy uses a grant only on the connection of that id. */
  connection_ids: ReadonlyMap<string, string>;
  rate_limit_per_minute: number | null;
}

export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  scope: string;
  refresh_token?: string;
}

/** A request at the token or revocation endpoint: the form parameters and the Authorization header. */
export interface ClientRequest {
  params: Readonly<Record<string, string>>;
  authorization: string | undefined;
}

/** RFC 7591 client metadata we understand; anything else is ignored, as the RFC asks. */
export interface ClientMetadata {
  /** RFC 7591 / OIDC: "native" for loopback redirects (sent by MCP clients); accepted and otherwise unused. */
  application_type?: string;
  redirect_uris?: string[];
  token_endpoint_auth_method?: string;
  grant_types?: string[];
  response_types?: string[];
  client_name?: string;
}

export interface RegisteredClient {
  client_id: string;
  client_secret?: string;
  client_secret_expires_at?: number;
  client_id_issued_at: number;
  client_name: string;
  redirect_uris: string[];
  token_endpoint_auth_method: ClientAuthMethod;
  grant_types: string[];
  response_types: string[];
}

export interface ConsentStatus {
  status: ApprovalStatus;
  redirect_to?: string;
}

interface CachedAgent {
  id: string;
  name: string;
  client_id: string;
  status: AgentStatus;
  /** By connection id. */
  grants: ScopeMap;
  tokens_valid_after: number;
  rate_limit_per_minute: number | null;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The hosts (with port) a client's answers go to, each once: what a person can judge a redirect URI by. */
const redirectHosts = (uris: readonly string[]): string[] => [...new Set(uris.map((uri) => new URL(uri).host))];

/** Stored grants keyed by connection id. */
const scopeMapById = (grants: readonly StoredGrant[]): ScopeMap => grantsToScopeMap(grants.map((g) => ({ connection: g.connection_id, scopes: g.scopes })));

function agentView(agent: AgentRecord, connections: ConnectionLookup): AgentView {
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
    redirect_uris: agent.redirect_uris,
  };
}

function checkName(name: string, code = 'invalid_name'): string {
  const problem = agentNameProblem(name);
  if (problem) throw new LatchkeyError(code, problem, 400);
  return name;
}

function checkRateLimit(limit: number | null): number | null {
  if (limit !== null && (!Number.isInteger(limit) || limit < 1 || limit > RATE_LIMIT_MAX)) {
    throw new LatchkeyError('invalid_request', `rate_limit_per_minute is null (no limit) or an integer from 1 to ${RATE_LIMIT_MAX}`, 400);
  }
  return limit;
}

function required(params: Readonly<Record<string, string>>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw oauthError('invalid_request', `${name} is required`);
  return value;
}

/** Appends parameters to a redirect URI, keeping its own query exactly as registered. */
function withParams(uri: string, params: Record<string, string | null | undefined>): string {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries(params)) if (value !== null && value !== undefined) query.set(key, value);
  return `${uri}${uri.includes('?') ? '&' : '?'}${query}`;
}

/**
 * Latchkey as the OAuth 2.1 authorization server of local agents: agents and their
 * grants (admin side), the token, revocation, registration and authorization endpoints
 * (protocol side), human approval of interactive agents, and access-token verification
 * for the proxy. Verification is served from memory; every decision is audited.
 */
export class AgentAuthority {
  readonly #deps: AgentAuthorityDeps;
  readonly #now: () => number;
  readonly #store: AgentStore;
  readonly #keys: SigningKeys;
  readonly #tokens: AccessTokens;
  readonly #codes: AuthorizationCodes;
  /** What verifyAccessToken needs of every agent, refreshed on every change. */
  readonly #agents = new Map<string, CachedAgent>();
  /** Approval id → the redirect carrying its one code, while the code lives. */
  readonly #codeRedirects = new Map<string, { redirect_to: string; expires_at: number }>();
  /** Approval id → the RFC 8707 resource its request named, bound into its code (in memory, like codes). */
  readonly #approvalResources = new Map<string, { resource: string; expires_at: number }>();
  #paused: boolean;

  private constructor(deps: AgentAuthorityDeps, keys: SigningKeys) {
    this.#deps = deps;
    this.#now = deps.now ?? Date.now;
    this.#store = new AgentStore(deps.db);
    this.#keys = keys;
    const ttlSeconds = deps.accessTokenTtlSeconds ?? MAX_ACCESS_TOKEN_TTL_SECONDS;
    if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_ACCESS_TOKEN_TTL_SECONDS) {
      throw new LatchkeyError('invalid_option', `accessTokenTtlSeconds is an integer from 1 to ${MAX_ACCESS_TOKEN_TTL_SECONDS}`, 500);
    }
    this.#tokens = new AccessTokens({ keys, store: this.#store, issuer: deps.issuer, now: this.#now, ttlSeconds });
    this.#codes = new AuthorizationCodes(this.#now, CODE_TTL_MS);
    this.#paused = this.#store.paused();
    for (const agent of this.#store.listAgents()) this.#remember(agent);
  }

  /** Loads the signing keys from the vault (creating the first one) and the agents into memory. */
  static async open(deps: AgentAuthorityDeps): Promise<AgentAuthority> {
    // Retired keys stay published for the longest possible token lifetime, whatever this run's TTL.
    const keys = await SigningKeys.open(deps.vault, MAX_ACCESS_TOKEN_TTL_SECONDS * 1000, deps.now ?? Date.now);
    return new AgentAuthority(deps, keys);
  }

  // ── Admin side ────────────────────────────────────────────────────────────

  async createAgent(input: { name: string; grants: Grant[]; rate_limit_per_minute?: number | null }): Promise<{ agent: AgentView; client_secret: string }> {
    const name = this.#checkNameFree(checkName(input.name));
    const named = validateGrants(input.grants, this.#deps.connections);
    const grants = bindGrants(named, this.#deps.connections);
    const rateLimit = checkRateLimit(input.rate_limit_per_minute ?? null);
    const secret = randomToken();
    const now = this.#now();
    const agent = this.#store.insertAgent({
      id: randomUUID(), name, client_id: randomId(), client_secret_hash: hashSecret(secret), token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: [], status: 'active', grants, rate_limit_per_minute: rateLimit, tokens_valid_after: 0, registered_via: 'admin', created_at: now, updated_at: now,
    });
    this.#remember(agent);
    await this.#audit('agent', 'info', `created with ${this.#describeGrants(named)}`, agent);
    this.#emitAgent(agent);
    return { agent: agentView(agent, this.#deps.connections), client_secret: secret };
  }

  listAgents(): AgentView[] {
    return this.#store.listAgents().map((agent) => agentView(agent, this.#deps.connections));
  }

  getAgent(id: string): AgentView {
    return agentView(this.#requireAgent(id), this.#deps.connections);
  }

  /** 404 unknown_agent names the agents there are, so a mistyped name is easy to fix. */
  agentNamed(name: string): AgentView {
    const agents = this.listAgents();
    const agent = agents.find((candidate) => candidate.name === name);
    if (!agent) throw new LatchkeyError('unknown_agent', `No agent named "${name}". Agents: ${agents.map((a) => a.name).join(', ') || 'none yet (create one in the dashboard)'}`, 404);
    return agent;
  }

  /** Narrowed grants apply at once: verifyAccessToken intersects every token with the current grants. */
  async updateAgent(id: string, patch: { name?: string; grants?: Grant[]; rate_limit_per_minute?: number | null }): Promise<AgentView> {
    const agent = this.#requireAgent(id);
    const next: AgentRecord = { ...agent, updated_at: this.#now() };
    const changes: string[] = [];
    if (patch.name !== undefined) {
      next.name = this.#checkNameFree(checkName(patch.name), agent.id);
      changes.push(`name "${next.name}"`);
    }
    if (patch.grants !== undefined) {
      const named = validateGrants(patch.grants, this.#deps.connections);
      next.grants = bindGrants(named, this.#deps.connections);
      changes.push(this.#describeGrants(named));
    }
    if (patch.rate_limit_per_minute !== undefined) {
      next.rate_limit_per_minute = checkRateLimit(patch.rate_limit_per_minute);
      changes.push(`rate limit ${next.rate_limit_per_minute ?? 'none'}`);
    }
    const saved = this.#save(next);
    await this.#audit('agent', 'info', `updated: ${changes.join(', ') || 'nothing'}`, saved);
    this.#emitAgent(saved);
    return agentView(saved, this.#deps.connections);
  }

  /** Immediate: every token of the agent fails verification from now on, refresh tokens included. */
  async revokeAgent(id: string): Promise<AgentView> {
    const agent = this.#requireAgent(id);
    if (agent.status === 'revoked') return agentView(agent, this.#deps.connections);
    const now = this.#now();
    const saved = this.#store.transaction(() => {
      this.#store.revokeAgentRefreshTokens(id, now);
      this.#store.deletePendingApprovals(id);
      return this.#save({ ...agent, status: 'revoked', tokens_valid_after: now, updated_at: now });
    });
    await this.#audit('revocation', 'info', 'agent revoked: every token it holds stops working', saved);
    this.#emitAgent(saved);
    return agentView(saved, this.#deps.connections);
  }

  async deleteAgent(id: string): Promise<void> {
    const agent = this.#requireAgent(id);
    this.#store.deleteAgent(id);
    this.#agents.delete(id);
    await this.#audit('agent', 'info', 'deleted', agent);
    this.#deps.events.emit('agent-changed', { id, name: agent.name, status: 'deleted' });
  }

  /** Pending requests first, then newest first. */
  listApprovals(): ApprovalView[] {
    const views = this.#store.listApprovals().map((approval) => this.#approvalView(approval));
    return [...views.filter((v) => v.status === 'pending'), ...views.filter((v) => v.status !== 'pending')];
  }

  /**
   * The person's decision on an authorization request: the only way one is approved.
   * Approving sets the agent's grants to `grants` (default: what it asked for) and
   * activates a self-registered agent.
   */
  async decide(id: string, decision: 'approve' | 'deny', grants?: Grant[]): Promise<ApprovalView> {
    const approval = this.#store.approval(id);
    if (!approval) throw new LatchkeyError('approval_not_found', `No approval request ${id}`, 404);
    const status = this.#effectiveStatus(approval);
    if (status === 'expired') throw new LatchkeyError('approval_expired', 'This request expired; the agent has to ask again', 409);
    if (status !== 'pending') throw new LatchkeyError('approval_decided', `This request was already ${status}`, 409, { status });
    const agent = this.#requireAgent(approval.agent_id);
    if (agent.status === 'revoked') throw new LatchkeyError('agent_revoked', `Agent "${agent.name}" is revoked`, 409);
    let granted: Grant[] | null = null;
    if (decision === 'approve') {
      granted = validateGrants(grants ?? scopeMapToGrants(parseScope(approval.scope)), this.#deps.connections);
      if (granted.length === 0) throw new LatchkeyError('grants_required', 'The agent asked for no particular scope: choose the grants to give it', 400);
    }
    const now = this.#now();
    const decided = this.#store.transaction(() => {
      const row = this.#store.decideApproval(id, decision === 'approve' ? 'approved' : 'denied', now, granted);
      if (!row) throw new LatchkeyError('approval_decided', 'This request was decided meanwhile', 409);
      if (granted) this.#save({ ...agent, grants: bindGrants(granted, this.#deps.connections), status: 'active', updated_at: now });
      return row;
    });
    await this.#audit('approval', decision === 'approve' ? 'allow' : 'deny', decision === 'approve' ? `approved: ${this.#describeGrants(granted ?? [])}` : 'denied by the person', agent);
    this.#deps.events.emit('approval-decided', { id, agent_id: agent.id, status: decided.status });
    if (granted) this.#emitAgent(this.#requireAgent(agent.id));
    return this.#approvalView(decided);
  }

  /** The kill switch: no token is issued and (see `paused`) the proxy refuses every agent request. Survives restarts. */
  async pause(): Promise<void> {
    await this.#setPaused(true);
  }

  async resume(): Promise<void> {
    await this.#setPaused(false);
  }

  get paused(): boolean {
    return this.#paused;
  }

  /** An access token for an agent, without client authentication: for `latchkey exec` through the admin API. */
  async mintAccessToken(agentId: string): Promise<TokenResponse> {
    const agent = this.#requireAgent(agentId);
    if (agent.status !== 'active') throw new LatchkeyError('agent_not_active', `Agent "${agent.name}" is ${agent.status}`, 409, { status: agent.status });
    if (this.#paused) throw new LatchkeyError('paused', PAUSED, 403);
    const issued = await this.#issueAccess(agent, this.#grantedScope(agent));
    await this.#audit('token', 'allow', `issued through the admin API (${issued.scope})`, agent);
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expires_in, scope: issued.scope };
  }

  /**
   * A connection was disconnected: every grant bound to it goes, the agents' other grants
   * stay. Its tokens stop reaching it at once (verifyAccessToken binds grants to ids).
   */
  async forgetConnection(connection: { id: string; name: string }): Promise<void> {
    const now = this.#now();
    const changed = this.#store.transaction(() => this.#store.listAgents()
      .filter((agent) => agent.grants.some((g) => g.connection_id === connection.id))
      .map((agent) => this.#save({ ...agent, grants: agent.grants.filter((g) => g.connection_id !== connection.id), updated_at: now })));
    for (const agent of changed) {
      await this.#audit('agent', 'info', `grant on "${connection.name}" dropped: the connection was disconnected`, agent);
      this.#emitAgent(agent);
    }
  }

  /** A new key signs from now on; the previous one verifies its tokens until they expire. */
  async rotateSigningKey(): Promise<{ kid: string }> {
    const kid = await this.#keys.rotate();
    await this.#audit('control', 'info', `signing key rotated, new kid ${kid}`);
    return { kid };
  }

  // ── Proxy side ────────────────────────────────────────────────────────────

  /** Throws 401 invalid_token | token_expired | token_revoked (with token_endpoint). No SQLite, no vault. */
  async verifyAccessToken(token: string, resource: TokenResource = '/proxy'): Promise<AgentPrincipal> {
    const claims = await this.#tokens.verify(token, resource);
    const agent = this.#agents.get(claims.sub);
    // The signature is ours, so the token's agent is known: the audit entry of the refusal names it (never sent to the caller).
    const revoked = (message: string) =>
      Object.assign(this.#tokens.error('token_revoked', message), { agent: { agent_id: claims.sub, agent_name: agent?.name ?? claims.sub } });
    if (!agent || agent.status !== 'active') throw revoked('The agent of this token was revoked or deleted.');
    if (agent.client_id !== claims.client_id) throw this.#tokens.error('invalid_token', 'The access token does not belong to its agent.');
    if (claims.iat * 1000 < agent.tokens_valid_after) throw revoked('This access token was issued before the agent\'s tokens were revoked.');
    // By connection id: what the token was issued for ∩ what the agent holds now; then under today's names.
    const tokenScope = new Map([...claims.scope].map(([name, scopes]) => [claims.connection_ids.get(name) as string, scopes]));
    const grants = new Map<string, ReadonlySet<string> | '*'>();
    const connectionIds = new Map<string, string>();
    for (const [id, scopes] of intersectScopes(tokenScope, agent.grants)) {
      const connection = this.#deps.connections.getById(id);
      if (!connection) continue;
      grants.set(connection.name, scopes);
      connectionIds.set(connection.name, id);
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
    };
  }

  tokenEndpoint(): string {
    return this.#tokens.tokenEndpoint();
  }

  // ── Protocol side (routes.ts) ─────────────────────────────────────────────

  /** The issuer as the client spells it: the loopback host it addressed (its Host header), else the canonical one. */
  addressedIssuer(host: string | undefined): string {
    return addressedOrigin(host, this.#deps.issuer());
  }

  /** RFC 8414 authorization server metadata, under the issuer spelling the client used. */
  metadata(issuer = this.#deps.issuer()) {
    return {
      issuer,
      authorization_endpoint: `${issuer}/oauth/authorize`,
      token_endpoint: `${issuer}/oauth/token`,
      revocation_endpoint: `${issuer}/oauth/revoke`,
      registration_endpoint: `${issuer}/oauth/register`,
      jwks_uri: `${issuer}/oauth/jwks.json`,
      response_types_supported: ['code'],
      response_modes_supported: ['query'],
      grant_types_supported: [...GRANT_TYPES],
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: [...AUTH_METHODS],
      revocation_endpoint_auth_methods_supported: [...AUTH_METHODS],
      authorization_response_iss_parameter_supported: true,
    };
  }

  jwks(): { keys: PublicJwk[] } {
    return this.#keys.jwks();
  }

  /** The token endpoint (RFC 6749 §3.2): client_credentials, authorization_code + PKCE, rotating refresh_token. */
  async token(request: ClientRequest): Promise<TokenResponse> {
    const grantType = request.params.grant_type;
    const label = isGrantType(grantType) ? grantType : 'token request';
    let claimed: AgentRecord | undefined;
    try {
      if (!isGrantType(grantType)) throw oauthError(grantType ? 'unsupported_grant_type' : 'invalid_request', grantType ? `grant_type must be one of ${GRANT_TYPES.join(', ')}` : 'grant_type is required');
      const credentials = readClientCredentials(request.authorization, request.params);
      claimed = this.#store.agentByClientId(credentials.client_id);
      const agent = this.#authenticate(claimed, credentials);
      if (this.#paused) throw new LatchkeyError('paused', PAUSED, 403);
      const response = grantType === 'client_credentials' ? await this.#clientCredentials(agent, request.params)
        : grantType === 'authorization_code' ? await this.#authorizationCode(agent, request.params)
          : await this.#refresh(agent, request.params);
      await this.#audit('token', 'allow', `${grantType} (${response.scope})`, agent);
      return response;
    } catch (error) {
      if (error instanceof LatchkeyError && error.status < 500) await this.#audit('token', 'deny', `${label}: ${error.code}: ${error.message}`, claimed, error.status);
      throw error;
    }
  }

  /**
   * RFC 7009. A token that is unknown, expired or another client's is answered like a
   * revoked one (the caller learns nothing); a refresh token takes its whole family, and
   * the access tokens issued with it, along.
   */
  async revoke(request: ClientRequest): Promise<void> {
    let claimed: AgentRecord | undefined;
    try {
      const credentials = readClientCredentials(request.authorization, request.params);
      claimed = this.#store.agentByClientId(credentials.client_id);
      const agent = this.#authenticate(claimed, credentials);
      const token = required(request.params, 'token');
      const revoked = token.includes('.') ? await this.#revokeAccessToken(agent, token) : this.#revokeRefreshToken(agent, token);
      if (revoked) await this.#audit('revocation', 'info', `${revoked} revoked by the agent (RFC 7009)`, agent);
    } catch (error) {
      if (error instanceof LatchkeyError && error.status < 500) await this.#audit('revocation', 'deny', `${error.code}: ${error.message}`, claimed, error.status);
      throw error;
    }
  }

  /** RFC 7591 dynamic registration: a pending agent without grants until the person approves one of its requests. */
  async register(metadata: ClientMetadata): Promise<RegisteredClient> {
    try {
      if (this.#paused) throw new LatchkeyError('paused', PAUSED, 403);
      const redirectUris = [...new Set((metadata.redirect_uris ?? []).map(validateRedirectUri))];
      if (redirectUris.length === 0) throw oauthError('invalid_redirect_uri', 'redirect_uris is required: interactive agents receive the authorization code there');
      const method = (metadata.token_endpoint_auth_method ?? 'client_secret_basic') as ClientAuthMethod;
      if (!AUTH_METHODS.includes(method)) throw oauthError('invalid_client_metadata', `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`);
      const grantTypes = metadata.grant_types ?? ['authorization_code'];
      if (!grantTypes.includes('authorization_code') || grantTypes.some((g) => !DCR_GRANT_TYPES.includes(g))) {
        throw oauthError('invalid_client_metadata', 'grant_types may only be authorization_code and refresh_token (client_credentials is for agents created in Latchkey)');
      }
      if ((metadata.response_types ?? ['code']).some((r) => r !== 'code')) throw oauthError('invalid_client_metadata', 'response_types must be ["code"]');
      const clientId = randomId();
      // A nameless client gets a name of its own, so that it never looks like another.
      const name = checkName(metadata.client_name ?? `Unnamed agent ${clientId.slice(0, 6)}`, 'invalid_client_metadata');

      const now = this.#now();
      for (const id of this.#store.deleteStaleRegistrations(now - PENDING_REGISTRATION_TTL_MS)) this.#agents.delete(id);
      // Refused without saying which agent it resembles: a registering client learns no more than that the name is taken.
      if (lookAlikeOf(name, this.#store.listAgents().map((a) => a.name)) !== undefined) {
        throw oauthError('invalid_client_metadata', 'client_name is, or looks like, the name of another agent (a revoked one keeps its name until the person deletes it in Latchkey); register under a name of your own');
      }
      if (this.#store.countPendingRegistrations() >= MAX_PENDING_REGISTRATIONS) {
        throw oauthError('temporarily_unavailable', 'Too many registered agents are waiting for approval; try again later', 503);
      }
      const secret = method === 'none' ? undefined : randomToken();
      const record: AgentRecord = {
        id: randomUUID(), name, client_id: clientId, client_secret_hash: secret === undefined ? null : hashSecret(secret), token_endpoint_auth_method: method,
        redirect_uris: redirectUris, status: 'pending', grants: [], rate_limit_per_minute: null, tokens_valid_after: 0, registered_via: 'dcr', created_at: now, updated_at: now,
      };
      const agent = this.#store.insertAgent(record);
      this.#remember(agent);
      await this.#audit('agent', 'info', 'registered itself (RFC 7591); pending approval', agent);
      this.#emitAgent(agent);
      return {
        client_id: agent.client_id,
        ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
        client_id_issued_at: Math.floor(now / 1000),
        client_name: agent.name,
        redirect_uris: agent.redirect_uris,
        token_endpoint_auth_method: method,
        grant_types: DCR_GRANT_TYPES,
        response_types: ['code'],
      };
    } catch (error) {
      if (error instanceof LatchkeyError && error.status < 500) await this.#audit('agent', 'deny', `registration refused: ${error.code}: ${error.message}`, undefined, error.status);
      throw error;
    }
  }

  /**
   * The authorization endpoint. The client and its redirect URI are checked first; errors
   * are thrown (the route shows an error page, never redirects) until then, and always for
   * a client the person has not approved. Otherwise the answer is a redirect: an error for
   * the client, or the consent page.
   */
  async authorize(params: Readonly<Record<string, string | undefined>>, issuer = this.#deps.issuer()): Promise<{ location: string }> {
    const clientId = params.client_id;
    if (!clientId) throw oauthError('invalid_request', 'client_id is required');
    const agent = this.#store.agentByClientId(clientId);
    if (!agent) throw oauthError('invalid_client', 'Unknown client_id: register the client first');
    if (agent.status === 'revoked') throw oauthError('invalid_client', `Agent "${agent.name}" was revoked in Latchkey`);
    const redirectUri = params.redirect_uri;
    if (!redirectUri) throw oauthError('invalid_request', 'redirect_uri is required');
    if (!redirectUriMatches(agent.redirect_uris, redirectUri)) throw oauthError('invalid_request', 'redirect_uri is not registered for this client');

    // The redirect URI is registered; it is trusted only once the person approved the client (RFC 9700 §4.11.2):
    // anyone on this machine can register a client, so until then errors are thrown (an error page), never redirected.
    const approved = agent.status === 'active';
    const fail = (error: string, description: string): { location: string } => {
      if (!approved) throw oauthError(error, description);
      return { location: withParams(redirectUri, { error, error_description: description, state: params.state, iss: issuer }) };
    };
    if (params.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (this.#paused) return fail('temporarily_unavailable', PAUSED);
    if (params.code_challenge_method !== 'S256') return fail('invalid_request', 'PKCE is required: code_challenge_method must be S256');
    if (!params.code_challenge || !CODE_CHALLENGE.test(params.code_challenge)) return fail('invalid_request', 'code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)');
    let resource: string | undefined;
    try {
      resource = this.#resource(params.resource);
    } catch (error) {
      return fail('invalid_target', (error as LatchkeyError).message);
    }
    let requested: ScopeMap;
    try {
      requested = parseScope(params.scope ?? '');
    } catch (error) {
      return fail('invalid_scope', error instanceof LatchkeyError ? error.message : 'invalid scope');
    }
    try {
      validateGrants(scopeMapToGrants(requested), this.#deps.connections);
    } catch (error) {
      // Which connections exist and which scopes they hold is for approved clients (and the person) to learn.
      return fail('invalid_scope', approved && error instanceof LatchkeyError ? error.message : 'The requested scope cannot be granted');
    }
    const scope = formatScope(requested);

    const approval: ApprovalRecord = {
      id: randomId(), agent_id: agent.id, scope, redirect_uri: redirectUri, state: params.state ?? null, code_challenge: params.code_challenge,
      status: 'pending', created_at: this.#now(), decided_at: null, granted: null, code_issued_at: null,
    };
    this.#store.transaction(() => {
      this.#store.deletePendingApprovals(agent.id);
      this.#store.insertApproval(approval);
    });
    for (const [key, entry] of this.#approvalResources) if (entry.expires_at <= approval.created_at) this.#approvalResources.delete(key);
    // An approval lapses at the latest a TTL after its decision, itself within a TTL of the request.
    if (resource !== undefined) this.#approvalResources.set(approval.id, { resource, expires_at: approval.created_at + 2 * APPROVAL_TTL_MS });
    await this.#audit('approval', 'info', `requested ${scope || 'no particular scope'}; waiting for the person`, agent);
    this.#deps.events.emit('approval-requested', { id: approval.id, agent_id: agent.id, agent_name: agent.name });
    return { location: `/consent/${approval.id}` };
  }

  /** What the consent page shows. */
  consent(id: string): ConsentDetails {
    const approval = this.#requireApproval(id);
    const agent = this.#requireAgent(approval.agent_id);
    return {
      id,
      agent_name: agent.name,
      client_id: agent.client_id,
      registered_via: agent.registered_via,
      redirect_host: new URL(approval.redirect_uri).host,
      scopes: formatScope(parseScope(approval.scope)).split(' ').filter(Boolean),
      status: this.#effectiveStatus(approval),
    };
  }

  /**
   * Polled by the consent page. An approval yields exactly one authorization code, made
   * when first asked for (so a tab the browser throttled still gets a fresh one); a
   * denial redirects with access_denied.
   */
  consentStatus(id: string, issuer = this.#deps.issuer()): ConsentStatus {
    const approval = this.#requireApproval(id);
    const status = this.#effectiveStatus(approval);
    const answer = (params: Record<string, string>): string => withParams(approval.redirect_uri, { ...params, state: approval.state, iss: issuer });
    if (status === 'denied') return { status, redirect_to: answer({ error: 'access_denied', error_description: 'The request was denied in Latchkey' }) };
    if (status !== 'approved') return { status };
    const now = this.#now();
    const issued = this.#codeRedirects.get(id);
    if (issued && issued.expires_at > now) return { status, redirect_to: issued.redirect_to };
    const agent = this.#store.agentById(approval.agent_id);
    if (!agent || agent.status !== 'active' || !this.#store.claimApprovalCode(id, now)) return { status };
    const code = this.#codes.issue({
      agent_id: agent.id, client_id: agent.client_id, redirect_uri: approval.redirect_uri, code_challenge: approval.code_challenge,
      scope: formatScope(grantsToScopeMap(approval.granted ?? [])),
      resource: this.#approvalResources.get(id)?.resource,
    });
    this.#approvalResources.delete(id);
    const redirectTo = answer({ code });
    for (const [key, entry] of this.#codeRedirects) if (entry.expires_at <= now) this.#codeRedirects.delete(key);
    this.#codeRedirects.set(id, { redirect_to: redirectTo, expires_at: now + CODE_TTL_MS });
    return { status, redirect_to: redirectTo };
  }

  // ── Internals ─────────────────────────────────────────────────────────────

  #authenticate(agent: AgentRecord | undefined, credentials: ClientCredentials): AgentRecord {
    if (!agent) throw invalidClient('Unknown client');
    if (agent.status === 'revoked') throw invalidClient('This agent was revoked in Latchkey');
    if (agent.client_secret_hash === null) {
      if (credentials.method !== 'none') throw invalidClient('This is a public client: send its client_id without a secret');
    } else if (credentials.client_secret === undefined || !secretMatches(credentials.client_secret, agent.client_secret_hash)) {
      throw invalidClient('Client authentication failed');
    }
    return agent;
  }

  async #clientCredentials(agent: AgentRecord, params: Readonly<Record<string, string>>): Promise<TokenResponse> {
    if (agent.registered_via !== 'admin') {
      throw oauthError('unauthorized_client', 'client_credentials is for agents created in Latchkey; this agent uses authorization_code');
    }
    const granted = this.#grantedScope(agent);
    const issued = await this.#issueAccess(agent, params.scope === undefined ? granted : this.#within(granted, params.scope), this.#resource(params.resource));
    return { access_token: issued.token, token_type: 'Bearer', expires_in: issued.expires_in, scope: issued.scope };
  }

  async #authorizationCode(agent: AgentRecord, params: Readonly<Record<string, string>>): Promise<TokenResponse> {
    const code = required(params, 'code');
    const redirectUri = required(params, 'redirect_uri');
    const verifier = required(params, 'code_verifier');
    const redeemed = this.#codes.redeem(code);
    if (!redeemed) throw oauthError('invalid_grant', 'The authorization code is unknown or expired');
    if (redeemed.kind === 'replayed') {
      if (redeemed.redemption) this.#revokeRedemption(redeemed.redemption);
      throw oauthError('invalid_grant', 'The authorization code was already used; the tokens issued for it are revoked');
    }
    const binding = redeemed.binding;
    if (binding.client_id !== agent.client_id) throw oauthError('invalid_grant', 'The authorization code was issued to another client');
    if (binding.redirect_uri !== redirectUri) throw oauthError('invalid_grant', 'redirect_uri differs from the authorization request');
    if (!CODE_VERIFIER.test(verifier) || !constantTimeEqual(s256(verifier), binding.code_challenge)) throw oauthError('invalid_grant', 'PKCE verification failed: code_verifier does not match code_challenge');
    const resource = this.#resource(params.resource);
    if (binding.resource !== undefined && resource !== undefined && resource !== binding.resource) throw oauthError('invalid_target', `resource differs from the authorization request (${binding.resource})`);
    this.#store.pruneRefreshTokens(this.#now());
    const { response, redemption } = await this.#issueWithRefresh(agent, parseScope(binding.scope), binding.scope, randomId(), undefined, binding.resource ?? resource);
    if (!this.#codes.recordRedemption(code, redemption)) {
      this.#revokeRedemption(redemption);
      throw oauthError('invalid_grant', 'The authorization code was used twice at once; the tokens issued for it are revoked');
    }
    return response;
  }

  async #refresh(agent: AgentRecord, params: Readonly<Record<string, string>>): Promise<TokenResponse> {
    const tokenHash = hashSecret(required(params, 'refresh_token'));
    const record = this.#store.refreshToken(tokenHash);
    if (!record || record.agent_id !== agent.id) throw oauthError('invalid_grant', 'The refresh token is unknown');
    if (record.revoked_at !== null) throw oauthError('invalid_grant', 'The refresh token was revoked');
    if (record.used_at !== null) throw this.#reused(record.family_id);
    if (record.expires_at <= this.#now()) throw oauthError('invalid_grant', 'The refresh token has expired');
    const original = parseScope(record.scope);
    const requested = params.scope === undefined ? original : this.#within(original, params.scope);
    // A new refresh token keeps the original scope (RFC 6749 §6).
    const { response } = await this.#issueWithRefresh(agent, requested, record.scope, record.family_id, tokenHash, this.#resource(params.resource));
    return response;
  }

  /** Reuse of a rotated refresh token means it leaked: the whole family goes (RFC 9700 §4.14.2). */
  #reused(familyId: string): LatchkeyError {
    this.#revokeFamily(familyId);
    return oauthError('invalid_grant', 'The refresh token was already used: this is treated as theft, and every token of its family is revoked');
  }

  /** An access token plus a refresh token of `familyId`, spending `spend` (a refresh token hash) atomically. */
  async #issueWithRefresh(agent: AgentRecord, scope: ScopeMap, refreshScope: string, familyId: string, spend: string | undefined, audience: string | undefined): Promise<{ response: TokenResponse; redemption: CodeRedemption }> {
    const access = await this.#issueAccess(agent, scope, audience);
    const refreshToken = randomToken();
    const now = this.#now();
    const spent = this.#store.transaction(() => {
      if (spend !== undefined && !this.#store.markRefreshTokenUsed(spend, now)) return false;
      this.#store.insertRefreshToken({
        token_hash: hashSecret(refreshToken), agent_id: agent.id, family_id: familyId, scope: refreshScope, access_jti: access.jti,
        access_expires_at: access.expires_at, created_at: now, expires_at: now + REFRESH_TOKEN_TTL_MS, used_at: null, revoked_at: null,
      });
      return true;
    });
    if (!spent) {
      // A concurrent request spent it first: the same token was presented twice.
      this.#tokens.revoke([{ jti: access.jti, expires_at: access.expires_at }]);
      throw this.#reused(familyId);
    }
    return {
      response: { access_token: access.token, token_type: 'Bearer', expires_in: access.expires_in, scope: access.scope, refresh_token: refreshToken },
      redemption: { family_id: familyId, jti: access.jti, access_expires_at: access.expires_at },
    };
  }

  /** Signs an access token for the current grants ∩ `scope`, for `audience` (the proxy when undefined); refuses an empty one. */
  async #issueAccess(agent: AgentRecord, scope: ScopeMap, audience?: string) {
    const effective = intersectScopes(scope, this.#grantedScope(agent));
    if (effective.size === 0) throw oauthError('invalid_scope', `Agent "${agent.name}" has no grants covering this request; grant it connections in Latchkey`);
    const ids = new Map([...effective.keys()].map((name) => [name, this.#deps.connections.getByName(name)?.id as string]));
    return this.#tokens.issue(agent, effective, ids, audience);
  }

  /** The agent's grants under the current names of their connections (scope strings speak names). */
  #grantedScope(agent: AgentRecord): ScopeMap {
    return grantsToScopeMap(nameGrants(agent.grants, this.#deps.connections));
  }

  /**
   * An RFC 8707 `resource` parameter checked: undefined when absent (tokens then serve the
   * proxy), else one of Latchkey's own resources, /mcp or /proxy, under a loopback spelling
   * of its origin (the spelling is kept: it becomes the token's audience). 400 invalid_target otherwise.
   */
  #resource(value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    const resources: TokenResource[] = ['/mcp', '/proxy'];
    const ours = loopbackAliases(this.#deps.issuer()).flatMap((origin) => resources.map((path) => `${origin}${path}`));
    if (!ours.includes(value)) throw oauthError('invalid_target', `resource must be one of Latchkey's own resources, e.g. ${this.#tokens.audience('/mcp')}`);
    return value;
  }

  /** `text` parsed, if `granted` covers all of it; 400 invalid_scope otherwise. */
  #within(granted: ScopeMap, text: string): ScopeMap {
    const requested = parseScope(text);
    const missing = uncoveredScopes(granted, requested);
    if (missing.length > 0) throw oauthError('invalid_scope', `Not granted: ${missing.join(' ')}`);
    return requested;
  }

  async #revokeAccessToken(agent: AgentRecord, token: string): Promise<'access token' | undefined> {
    let claims;
    try {
      claims = await this.#tokens.verify(token);
    } catch {
      return undefined; // invalid, expired or already revoked: nothing to do
    }
    if (claims.client_id !== agent.client_id) return undefined;
    this.#tokens.revoke([{ jti: claims.jti, expires_at: claims.exp * 1000 }]);
    return 'access token';
  }

  #revokeRefreshToken(agent: AgentRecord, token: string): 'refresh token family' | undefined {
    const record = this.#store.refreshToken(hashSecret(token));
    if (!record || record.agent_id !== agent.id) return undefined;
    this.#revokeFamily(record.family_id);
    return 'refresh token family';
  }

  #revokeFamily(familyId: string): void {
    this.#tokens.revoke(this.#store.revokeFamily(familyId, this.#now()));
  }

  #revokeRedemption(redemption: CodeRedemption): void {
    this.#revokeFamily(redemption.family_id);
    this.#tokens.revoke([{ jti: redemption.jti, expires_at: redemption.access_expires_at }]);
  }

  #effectiveStatus(approval: ApprovalRecord): ApprovalStatus {
    const now = this.#now();
    if (approval.status === 'pending' && now >= approval.created_at + APPROVAL_TTL_MS) return 'expired';
    // An approval nobody came back for within the same window lapses too.
    if (approval.status === 'approved' && approval.code_issued_at === null && now >= (approval.decided_at ?? 0) + APPROVAL_TTL_MS) return 'expired';
    return approval.status;
  }

  #approvalView(approval: ApprovalRecord): ApprovalView {
    const agent = this.#store.agentById(approval.agent_id);
    return {
      id: approval.id,
      agent_id: approval.agent_id,
      agent_name: agent?.name ?? '',
      client_id: agent?.client_id ?? '',
      registered_via: agent?.registered_via ?? 'dcr',
      redirect_hosts: redirectHosts(agent?.redirect_uris ?? []),
      status: this.#effectiveStatus(approval),
      requested_scope: approval.scope,
      requested_grants: scopeMapToGrants(parseScope(approval.scope)),
      redirect_uri: approval.redirect_uri,
      created_at: iso(approval.created_at),
      expires_at: iso(approval.created_at + APPROVAL_TTL_MS),
      decided_at: approval.decided_at === null ? null : iso(approval.decided_at),
      granted: approval.granted,
    };
  }

  /** `name`, unless another agent's name is it or looks like it (same NFKC + confusables skeleton): 409 agent_exists. */
  #checkNameFree(name: string, self?: string): string {
    const other = lookAlikeOf(name, this.#store.listAgents().filter((a) => a.id !== self).map((a) => a.name));
    if (other === name) throw new LatchkeyError('agent_exists', `An agent named "${name}" already exists`, 409, { name });
    if (other !== undefined) throw new LatchkeyError('agent_exists', `"${name}" looks like the name of the agent "${other}"; choose a name that reads differently`, 409, { name, looks_like: other });
    return name;
  }

  #requireAgent(id: string): AgentRecord {
    const agent = this.#store.agentById(id);
    if (!agent) throw new LatchkeyError('agent_not_found', `No agent ${id}`, 404);
    return agent;
  }

  #requireApproval(id: string): ApprovalRecord {
    const approval = this.#store.approval(id);
    if (!approval) throw new LatchkeyError('not_found', 'No such authorization request', 404);
    return approval;
  }

  #save(agent: AgentRecord): AgentRecord {
    const saved = this.#store.updateAgent(agent);
    if (!saved) throw new LatchkeyError('agent_not_found', `No agent ${agent.id}`, 404);
    this.#remember(saved);
    return saved;
  }

  #remember(agent: AgentRecord): void {
    this.#agents.set(agent.id, {
      id: agent.id,
      name: agent.name,
      client_id: agent.client_id,
      status: agent.status,
      grants: scopeMapById(agent.grants),
      tokens_valid_after: agent.tokens_valid_after,
      rate_limit_per_minute: agent.rate_limit_per_minute,
    });
  }

  async #setPaused(paused: boolean): Promise<void> {
    this.#store.setPaused(paused);
    this.#paused = paused;
    await this.#audit('control', 'info', paused ? 'paused: every agent request is refused' : 'resumed');
    this.#deps.events.emit('paused-changed', { paused });
  }

  #describeGrants(grants: readonly Grant[]): string {
    return grants.length === 0 ? 'no grants' : `grants ${formatScope(grantsToScopeMap(grants))}`;
  }

  #emitAgent(agent: AgentRecord): void {
    this.#deps.events.emit('agent-changed', { id: agent.id, name: agent.name, status: agent.status });
  }

  async #audit(kind: AuditInput['kind'], decision: AuditInput['decision'], reason: string, agent?: { id: string; name: string }, status?: number): Promise<void> {
    await this.#deps.audit.append({ kind, decision, reason, agent_id: agent?.id ?? null, agent_name: agent?.name ?? null, ...(status === undefined ? {} : { status }) });
  }
}
