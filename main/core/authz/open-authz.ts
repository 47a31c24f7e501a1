import { LatchkeyError } from '../errors.js';
import { AccessTokens } from './access-tokens.js';
import { AgentCache } from './agent-cache.js';
import { Agents } from './agents.js';
import { Approvals } from './approvals.js';
import { ClientMetadataDocuments } from './client-metadata/documents.js';
import { Authorization } from './authorize.js';
import { AuthorizationCodes } from './codes.js';
import { Consent } from './consent.js';
import type { AuthzContext, AuthzDeps } from './context.js';
import { ExecTokens } from './exec-tokens.js';
import { SigningKeys } from './keys.js';
import { KillSwitch } from './kill-switch.js';
import { Metadata } from './metadata.js';
import { CODE_TTL_MS, MAX_ACCESS_TOKEN_TTL_SECONDS, MAX_SESSION_TOKEN_LIFETIME_MS } from './protocol.js';
import { Registration } from './registration.js';
import { Revocation } from './revocation.js';
import { SigningKeyRotation } from './signing-keys.js';
import { AgentStore } from './store.js';
import { TokenEndpoint } from './token-endpoint/token-endpoint.js';
import { Verification } from './verification.js';

export type { AuthzDeps };

/**
 * Latchkey as the OAuth 2.1 authorization server of local agents, in parts: agents and
 * their grants, approvals and the kill switch (admin side); the token, revocation,
 * registration and authorization endpoints, the consent page and metadata (protocol
 * side); and access-token verification for the proxy, served from memory. Every
 * decision is audited. Callers take the part they need.
 */
export interface Authz {
  agents: Agents;
  approvals: Approvals;
  killSwitch: KillSwitch;
  execTokens: ExecTokens;
  signingKeys: SigningKeyRotation;
  tokenEndpoint: TokenEndpoint;
  revocation: Revocation;
  registration: Registration;
  authorization: Authorization;
  consent: Consent;
  metadata: Metadata;
  verification: Verification;
}

/** Loads the signing keys from the vault (creating the first one) and the agents into memory, and builds the parts. */
export async function openAuthz(deps: AuthzDeps): Promise<Authz> {
  const now = deps.now ?? Date.now;
  const ttlSeconds = deps.accessTokenTtlSeconds ?? MAX_ACCESS_TOKEN_TTL_SECONDS;
  // Retired keys stay published for the longest possible token lifetime (an exec session's), whatever this run's TTL.
  const keys = await SigningKeys.open(deps.vault, MAX_SESSION_TOKEN_LIFETIME_MS, now);
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_ACCESS_TOKEN_TTL_SECONDS) {
    throw new LatchkeyError(
      'invalid_option',
      `accessTokenTtlSeconds is an integer from 1 to ${MAX_ACCESS_TOKEN_TTL_SECONDS}`,
      500,
    );
  }
  const store = new AgentStore(deps.db);
  const ctx: AuthzContext = {
    deps,
    now,
    store,
    keys,
    tokens: new AccessTokens({ keys, store, issuer: deps.issuer, now, ttlSeconds }),
    codes: new AuthorizationCodes(now, CODE_TTL_MS),
    agents: new AgentCache(store),
    approvalResources: new Map(),
    clientDocuments: new ClientMetadataDocuments(now, deps.clientMetadata),
    pause: { paused: store.paused() },
  };
  return {
    agents: new Agents(ctx),
    approvals: new Approvals(ctx),
    killSwitch: new KillSwitch(ctx),
    execTokens: new ExecTokens(ctx),
    signingKeys: new SigningKeyRotation(ctx),
    tokenEndpoint: new TokenEndpoint(ctx),
    revocation: new Revocation(ctx),
    registration: new Registration(ctx),
    authorization: new Authorization(ctx),
    consent: new Consent(ctx),
    metadata: new Metadata(ctx),
    verification: new Verification(ctx),
  };
}
