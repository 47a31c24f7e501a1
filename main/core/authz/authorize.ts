import type { ErrorCode } from '../error-codes.js';
import { LatchkeyError } from '../errors.js';
import { checkAgentName } from './agent-name.js';
import { isClientIdUrl, requireDocumentRedirectUri } from './client-metadata/document.js';
import { APPROVAL_TTL_MS } from './approval-status.js';
import { audit, type AuthzContext } from './context.js';
import { formatScope, parseScope, scopeMapToGrants, validateGrants, type ScopeMap } from './grants.js';
import { checkResource } from './issuance.js';
import { PAUSED, oauthError, pausedError, withParams } from './protocol.js';
import { redirectUriMatches } from './redirect-uris.js';
import { createPendingAgent } from './pending-agent.js';
import { randomId } from './secrets.js';
import type { AgentRecord, ApprovalRecord } from './store.js';

/** An S256 code_challenge is 43 base64url characters (RFC 7636 §4.2). */
const CODE_CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

/**
 * The authorization endpoint. The client and its redirect URI are checked first; errors
 * are thrown (the route shows an error page, never redirects) until then, and always for
 * a client the person has not approved. Otherwise the answer is a redirect: an error for
 * the client, or the consent page.
 */
export class Authorization {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  async authorize(
    params: Readonly<Record<string, string | undefined>>,
    issuer = this.#ctx.deps.issuer(),
  ): Promise<{ location: string }> {
    const { store, approvalResources } = this.#ctx;
    const clientId = params.client_id;
    if (!clientId) throw oauthError('invalid_request', 'client_id is required');
    const agent = isClientIdUrl(clientId)
      ? await this.#documentClient(clientId, params.redirect_uri)
      : store.agentByClientId(clientId);
    if (!agent) throw oauthError('invalid_client', 'Unknown client_id: register the client first');
    if (agent.status === 'revoked') throw oauthError('invalid_client', `Agent "${agent.name}" was revoked in Latchkey`);
    const redirectUri = params.redirect_uri;
    if (!redirectUri) throw oauthError('invalid_request', 'redirect_uri is required');
    if (!redirectUriMatches(agent.redirect_uris, redirectUri))
      throw oauthError('invalid_request', 'redirect_uri is not registered for this client');

    // The redirect URI is registered; it is trusted only once the person approved the client (RFC 9700 §4.11.2):
    // anyone on this machine can register a client, so until then errors are thrown (an error page), never redirected.
    const approved = agent.status === 'active';
    const fail = (error: ErrorCode, description: string): { location: string } => {
      if (!approved) throw oauthError(error, description);
      return {
        location: withParams(redirectUri, { error, error_description: description, state: params.state, iss: issuer }),
      };
    };
    if (params.response_type !== 'code') return fail('unsupported_response_type', 'response_type must be code');
    if (this.#ctx.pause.paused) return fail('temporarily_unavailable', PAUSED);
    if (params.code_challenge_method !== 'S256')
      return fail('invalid_request', 'PKCE is required: code_challenge_method must be S256');
    if (!params.code_challenge || !CODE_CHALLENGE.test(params.code_challenge))
      return fail(
        'invalid_request',
        'code_challenge must be the base64url SHA-256 of the code_verifier (43 characters)',
      );
    let resource: string | undefined;
    try {
      resource = checkResource(this.#ctx, params.resource);
    } catch (error) {
      // Handled: a bad resource is the client's error, answered at its redirect URI (or an error page).
      return fail('invalid_target', (error as LatchkeyError).message);
    }
    let requested: ScopeMap;
    try {
      requested = parseScope(params.scope ?? '');
    } catch (error) {
      // Handled: a malformed scope is the client's error, answered like the one above.
      return fail('invalid_scope', error instanceof LatchkeyError ? error.message : 'invalid scope');
    }
    try {
      validateGrants(scopeMapToGrants(requested), this.#ctx.deps.connections);
    } catch (error) {
      // Handled: which connections exist and which scopes they hold is for approved clients (and the person) to learn.
      return fail(
        'invalid_scope',
        approved && error instanceof LatchkeyError ? error.message : 'The requested scope cannot be granted',
      );
    }
    const scope = formatScope(requested);

    const approval: ApprovalRecord = {
      id: randomId(),
      agent_id: agent.id,
      scope,
      redirect_uri: redirectUri,
      state: params.state ?? null,
      code_challenge: params.code_challenge,
      status: 'pending',
      created_at: this.#ctx.now(),
      decided_at: null,
      granted: null,
      code_issued_at: null,
    };
    store.transaction(() => {
      store.deletePendingApprovals(agent.id);
      store.insertApproval(approval);
    });
    for (const [key, entry] of approvalResources)
      if (entry.expires_at <= approval.created_at) approvalResources.delete(key);
    // An approval lapses at the latest a TTL after its decision, itself within a TTL of the request.
    if (resource !== undefined)
      approvalResources.set(approval.id, { resource, expires_at: approval.created_at + 2 * APPROVAL_TTL_MS });
    await audit(
      this.#ctx,
      'approval',
      'info',
      `requested ${scope || 'no particular scope'}; waiting for the person`,
      agent,
    );
    this.#ctx.deps.events.emit('approval-requested', { id: approval.id, agent_id: agent.id, agent_name: agent.name });
    return { location: `/consent/${approval.id}` };
  }

  /**
   * A client whose client_id is the URL of its metadata document: the document is fetched
   * (or taken from the cache) and must list the request's redirect_uri; a client seen for
   * the first time becomes a pending agent, exactly like one registered by RFC 7591.
   */
  async #documentClient(clientId: string, redirectUri: string | undefined): Promise<AgentRecord> {
    const known = this.#ctx.store.agentByClientId(clientId);
    if (known?.status === 'revoked') return known; // refused by the caller, without fetching anything
    try {
      if (!redirectUri) throw oauthError('invalid_request', 'redirect_uri is required');
      const document = await this.#ctx.clientDocuments.resolve(clientId);
      requireDocumentRedirectUri(document, redirectUri);
      if (known) return known;
      if (this.#ctx.pause.paused) throw pausedError();
      return await createPendingAgent(this.#ctx, {
        name: checkAgentName(document.client_name ?? new URL(clientId).host, 'invalid_client'),
        client_id: clientId,
        client_secret_hash: null,
        token_endpoint_auth_method: 'none',
        redirect_uris: document.redirect_uris,
        how: 'client ID metadata document',
        refusal: 'invalid_client',
      });
    } catch (error) {
      // Refusals are audited, as for RFC 7591 registrations; the error goes on to the caller either way.
      if (error instanceof LatchkeyError && error.status < 500)
        await audit(
          this.#ctx,
          'agent',
          'deny',
          `metadata document client refused: ${error.code}: ${error.message}`,
          known,
          error.status,
        );
      throw error;
    }
  }
}
