import { LatchkeyError } from '../../errors.js';
import { authenticateClient, readClientCredentials } from '../client-auth.js';
import { audit, type AuthzContext } from '../context.js';
import {
  GRANT_TYPES,
  isGrantType,
  oauthError,
  pausedError,
  type ClientRequest,
  type TokenResponse,
} from '../protocol.js';
import type { AgentRecord } from '../store.js';
import { authorizationCodeGrant } from './authorization-code.js';
import { clientCredentialsGrant } from './client-credentials.js';
import { refreshTokenGrant } from './refresh-token.js';

const GRANTS = {
  client_credentials: clientCredentialsGrant,
  authorization_code: authorizationCodeGrant,
  refresh_token: refreshTokenGrant,
} as const;

/** The token endpoint (RFC 6749 §3.2): client_credentials, authorization_code + PKCE, rotating refresh_token. */
export class TokenEndpoint {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  async token(request: ClientRequest): Promise<TokenResponse> {
    const grantType = request.params.grant_type;
    const label = isGrantType(grantType) ? grantType : 'token request';
    let claimed: AgentRecord | undefined;
    try {
      if (!isGrantType(grantType))
        throw oauthError(
          grantType ? 'unsupported_grant_type' : 'invalid_request',
          grantType ? `grant_type must be one of ${GRANT_TYPES.join(', ')}` : 'grant_type is required',
        );
      const credentials = readClientCredentials(request.authorization, request.params);
      claimed = this.#ctx.store.agentByClientId(credentials.client_id);
      const agent = authenticateClient(claimed, credentials);
      if (this.#ctx.pause.paused) throw pausedError();
      const response = await GRANTS[grantType](this.#ctx, agent, request.params);
      await audit(this.#ctx, 'token', 'allow', `${grantType} (${response.scope})`, agent);
      return response;
    } catch (error) {
      // Refusals are audited; the error goes on to the caller either way.
      if (error instanceof LatchkeyError && error.status < 500)
        await audit(this.#ctx, 'token', 'deny', `${label}: ${error.code}: ${error.message}`, claimed, error.status);
      throw error;
    }
  }
}
