import { Type, type Static } from './schema.js';

/** The agent-facing routes' one header: the agent's access token. */
export const AgentAuthHeaders = Type.Object({ authorization: Type.Optional(Type.String({ description: 'Bearer <agent access token>' })) });
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
  token_type: Type.String(),
  expires_in: Type.Integer(),
  scope: Type.String(),
  refresh_token: Type.Optional(Type.String()),
});
export type TokenResponse = Static<typeof TokenResponse>;

/** A plain-text document (/llms.txt). */
export const PlainText = Type.String();
