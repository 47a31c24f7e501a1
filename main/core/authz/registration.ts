import type { ClientRegistration, RegisteredClient } from '../../common/admin-api.js';
import { LatchkeyError } from '../errors.js';
import { checkAgentName } from './agent-name.js';
import { audit, type AuthzContext } from './context.js';
import { createPendingAgent } from './pending-agent.js';
import { AUTH_METHODS, oauthError, pausedError } from './protocol.js';
import { validateRedirectUri } from './redirect-uris.js';
import { hashSecret, randomId, randomToken } from './secrets.js';
import type { ClientAuthMethod } from './store.js';

/** What a self-registered (interactive) agent may use. */
const DCR_GRANT_TYPES = ['authorization_code', 'refresh_token'];

/** RFC 7591 dynamic registration: a pending agent without grants until the person approves one of its requests. */
export class Registration {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  /** RFC 7591 client metadata we understand; anything else is ignored, as the RFC asks. */
  async register(metadata: ClientRegistration): Promise<RegisteredClient> {
    try {
      if (this.#ctx.pause.paused) throw pausedError();
      const redirectUris = [...new Set((metadata.redirect_uris ?? []).map(validateRedirectUri))];
      if (redirectUris.length === 0)
        throw oauthError(
          'invalid_redirect_uri',
          'redirect_uris is required: interactive agents receive the authorization code there',
        );
      const method = (metadata.token_endpoint_auth_method ?? 'client_secret_basic') as ClientAuthMethod;
      if (!AUTH_METHODS.includes(method))
        throw oauthError(
          'invalid_client_metadata',
          `token_endpoint_auth_method must be one of ${AUTH_METHODS.join(', ')}`,
        );
      const grantTypes = metadata.grant_types ?? ['authorization_code'];
      if (!grantTypes.includes('authorization_code') || grantTypes.some((g) => !DCR_GRANT_TYPES.includes(g))) {
        throw oauthError(
          'invalid_client_metadata',
          'grant_types may only be authorization_code and refresh_token (client_credentials is for agents created in Latchkey)',
        );
      }
      if ((metadata.response_types ?? ['code']).some((r) => r !== 'code'))
        throw oauthError('invalid_client_metadata', 'response_types must be ["code"]');
      const clientId = randomId();
      // A nameless client gets a name of its own, so that it never looks like another.
      const name = checkAgentName(
        metadata.client_name ?? `Unnamed agent ${clientId.slice(0, 6)}`,
        'invalid_client_metadata',
      );
      const secret = method === 'none' ? undefined : randomToken();
      const agent = await createPendingAgent(this.#ctx, {
        name,
        client_id: clientId,
        client_secret_hash: secret === undefined ? null : hashSecret(secret),
        token_endpoint_auth_method: method,
        redirect_uris: redirectUris,
        how: 'RFC 7591',
        refusal: 'invalid_client_metadata',
      });
      return {
        client_id: agent.client_id,
        ...(secret === undefined ? {} : { client_secret: secret, client_secret_expires_at: 0 }),
        client_id_issued_at: Math.floor(agent.created_at / 1000),
        client_name: agent.name,
        redirect_uris: agent.redirect_uris,
        token_endpoint_auth_method: method,
        grant_types: DCR_GRANT_TYPES,
        response_types: ['code'],
      };
    } catch (error) {
      // Refusals are audited; the error goes on to the caller either way.
      if (error instanceof LatchkeyError && error.status < 500)
        await audit(
          this.#ctx,
          'agent',
          'deny',
          `registration refused: ${error.code}: ${error.message}`,
          undefined,
          error.status,
        );
      throw error;
    }
  }
}
