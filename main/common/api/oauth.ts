import { APPROVAL_STATUSES } from './approvals.js';
import { ErrorBody } from './errors.js';
import { StringEnum, Type, type Static } from './schema.js';

/** The agent-facing routes' one header: the agent's access token. */
export const AgentAuthHeaders = Type.Object({
  authorization: Type.Optional(Type.String({ description: 'Bearer <agent access token>' })),
});
export type AgentAuthHeaders = Static<typeof AgentAuthHeaders>;

/** RFC 9728 protected resource metadata, as /mcp describes itself. */
export const ProtectedResourceMetadata = Type.Object({
  resource: Type.String(),
  authorization_servers: Type.Array(Type.String()),
  bearer_methods_supported: Type.Optional(Type.Array(Type.String())),
  resource_name: Type.Optional(Type.String()),
  resource_documentation: Type.Optional(Type.String()),
});
export type ProtectedResourceMetadata = Static<typeof ProtectedResourceMetadata>;

/** An OAuth token response (RFC 6749 §5.1), as the token endpoint and the admin API mint it. */
export const TokenResponse = Type.Object({
  access_token: Type.String(),
  token_type: Type.Literal('Bearer'),
  expires_in: Type.Integer(),
  scope: Type.String(),
  refresh_token: Type.Optional(Type.String()),
});
export type TokenResponse = Static<typeof TokenResponse>;

/** A plain-text document (/llms.txt). */
export const PlainText = Type.String();

/** RFC 8414 authorization server metadata (also served as OpenID Connect discovery). */
export const AuthorizationServerMetadata = Type.Object({
  issuer: Type.Optional(Type.String()),
  authorization_endpoint: Type.Optional(Type.String()),
  token_endpoint: Type.Optional(Type.String()),
  revocation_endpoint: Type.Optional(Type.String()),
  registration_endpoint: Type.Optional(Type.String()),
  jwks_uri: Type.Optional(Type.String()),
  response_types_supported: Type.Optional(Type.Array(Type.String())),
  response_modes_supported: Type.Optional(Type.Array(Type.String())),
  grant_types_supported: Type.Optional(Type.Array(Type.String())),
  code_challenge_methods_supported: Type.Optional(Type.Array(Type.String())),
  token_endpoint_auth_methods_supported: Type.Optional(Type.Array(Type.String())),
  revocation_endpoint_auth_methods_supported: Type.Optional(Type.Array(Type.String())),
  authorization_response_iss_parameter_supported: Type.Optional(Type.Boolean()),
  client_id_metadata_document_supported: Type.Optional(Type.Boolean()),
});
export type AuthorizationServerMetadata = Static<typeof AuthorizationServerMetadata>;

/** The public keys access tokens are signed with (ES256). */
export const Jwks = Type.Object({
  keys: Type.Array(
    Type.Object({
      kty: Type.String(),
      crv: Type.String(),
      x: Type.String(),
      y: Type.String(),
      kid: Type.String(),
      alg: Type.String(),
      use: Type.String(),
    }),
  ),
});
export type Jwks = Static<typeof Jwks>;

const bounded = (maxLength: number) => Type.String({ maxLength });
const boundedList = (maxItems: number, maxLength: number) => Type.Array(bounded(maxLength), { maxItems });

/** RFC 7591 client metadata a client registers with; the registration checks each field's meaning. */
export const ClientRegistration = Type.Object({
  redirect_uris: Type.Optional(boundedList(10, 2048)),
  token_endpoint_auth_method: Type.Optional(bounded(64)),
  grant_types: Type.Optional(boundedList(10, 128)),
  response_types: Type.Optional(boundedList(10, 128)),
  client_name: Type.Optional(bounded(256)),
  application_type: Type.Optional(StringEnum(['native', 'web'])),
});
export type ClientRegistration = Static<typeof ClientRegistration>;

/** RFC 7591 §3.2.1: the registered client. */
export const RegisteredClient = Type.Object({
  client_id: Type.String(),
  client_secret: Type.Optional(Type.String()),
  client_secret_expires_at: Type.Optional(Type.Integer()),
  client_id_issued_at: Type.Integer(),
  client_name: Type.String(),
  redirect_uris: Type.Array(Type.String()),
  token_endpoint_auth_method: Type.String(),
  grant_types: Type.Array(Type.String()),
  response_types: Type.Array(Type.String()),
});
export type RegisteredClient = Static<typeof RegisteredClient>;

/** The authorization request's query (RFC 6749 §4.1.1, RFC 7636, RFC 8707); the authorize step checks each. */
export const AuthorizeQuery = Type.Object(
  Object.fromEntries(
    [
      'response_type',
      'client_id',
      'redirect_uri',
      'scope',
      'state',
      'code_challenge',
      'code_challenge_method',
      'resource',
    ].map((name) => [name, Type.Optional(bounded(2048))]),
  ),
);

const formValue = bounded(4096);
/** Unknown parameters are allowed (and ignored), as RFC 6749 §3.1 asks; every value is a bounded string. */
const form = <const R extends string, const O extends string>(required: readonly R[], optional: readonly O[]) =>
  Type.Unsafe<Record<R, string> & Partial<Record<O, string>>>({
    type: 'object',
    required: [...required],
    properties: Object.fromEntries([...required, ...optional].map((name) => [name, formValue])),
    additionalProperties: formValue,
  });
const clientAuthFields = ['client_id', 'client_secret'] as const;

/** POST /oauth/token's form (RFC 6749 §4.1.3, §4.4, §6; RFC 7636; RFC 8707). */
export const TokenForm = form(
  ['grant_type'],
  ['code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'resource', ...clientAuthFields],
);
/** POST /oauth/revoke's form (RFC 7009 §2.1). */
export const RevocationForm = form(['token'], ['token_type_hint', ...clientAuthFields]);
/** RFC 7009 §2.2: an empty answer, whether or not the token was known. */
export const Revoked = Type.Object({});

/** The consent page's path: an approval id. */
export const ConsentParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' }),
});

/** GET /consent/:id/status: what the consent page polls for. */
export const ConsentStatus = Type.Object({
  status: StringEnum(APPROVAL_STATUSES),
  redirect_to: Type.Optional(Type.String()),
});
export type ConsentStatus = Static<typeof ConsentStatus>;

/** The OAuth endpoints' error answers (RFC 6749 §5.2 codes). */
export const oauthErrorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  503: ErrorBody,
} as const;
