import { addressedOrigin } from '../net.js';
import type { AuthzContext } from './context.js';
import { AUTH_METHODS, GRANT_TYPES } from './protocol.js';

/** RFC 8414 authorization server metadata, under the issuer spelling the client used. */
export class Metadata {
  readonly #ctx: AuthzContext;

  constructor(ctx: AuthzContext) {
    this.#ctx = ctx;
  }

  /** The issuer as the client spells it: the loopback host it addressed (its Host header), else the canonical one. */
  addressedIssuer(host: string | undefined): string {
    return addressedOrigin(host, this.#ctx.deps.issuer());
  }

  document(issuer = this.#ctx.deps.issuer()) {
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
}
