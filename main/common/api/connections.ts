import { DateTime, Nullable, PathParams, StringEnum, Type, type Static } from './schema.js';

export const AUTH_METHODS = ['oauth', 'device', 'personal_token', 'api_key'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];
export const CONNECTION_STATUSES = ['connected', 'expired', 'needs_reauth'] as const;
export type ConnectionStatus = (typeof CONNECTION_STATUSES)[number];
export const CONNECT_METHODS = ['browser', 'device', 'personal_token', 'api_key'] as const;
export type ConnectMethod = (typeof CONNECT_METHODS)[number];
export const FLOW_STATUSES = ['pending', 'connected', 'failed'] as const;
export type FlowStatus = (typeof FLOW_STATUSES)[number];

/** A connected account as the admin API shows it: metadata only, never a secret. */
export const Connection = Type.Object({
  name: Type.String(),
  provider: Type.String(),
  auth_method: StringEnum(AUTH_METHODS),
  account: Nullable(Type.String()),
  scopes: Type.Array(Type.String()),
  status: StringEnum(CONNECTION_STATUSES),
  expires_at: Nullable(DateTime()),
  last_used_at: Nullable(DateTime()),
  created_at: DateTime(),
  last_error: Nullable(Type.String()),
  variables: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description: "The provider's template variables this connection was made with",
    }),
  ),
});
export type Connection = Static<typeof Connection>;

export const ConnectionList = Type.Object({ connections: Type.Array(Connection) });
export type ConnectionList = Static<typeof ConnectionList>;

/** POST /connections. */
export const ConnectRequest = Type.Object(
  {
    provider: Type.String({ minLength: 1, maxLength: 64 }),
    method: Type.Optional(StringEnum(CONNECT_METHODS)),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 200 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    secret: Type.Optional(Type.String({ minLength: 1, maxLength: 16384 })),
    variables: Type.Optional(
      Type.Record(Type.String(), Type.String({ maxLength: 253 }), {
        description:
          'The provider\'s template variables, e.g. {"subdomain": "acme"}; checked as DNS labels or host names (invalid_variable)',
        maxProperties: 5,
      }),
    ),
  },
  { additionalProperties: false },
);
export type ConnectRequest = Static<typeof ConnectRequest>;

export const BrowserFlowStart = Type.Object({
  kind: Type.Literal('browser'),
  flow_id: Type.String(),
  authorize_url: Type.String(),
  redirect_uri: Type.String(),
  expires_at: DateTime(),
});
export type BrowserFlowStart = Static<typeof BrowserFlowStart>;

export const DeviceFlowStart = Type.Object({
  kind: Type.Literal('device'),
  flow_id: Type.String(),
  user_code: Type.String(),
  verification_uri: Type.String(),
  verification_uri_complete: Type.Optional(Type.String()),
  expires_at: DateTime(),
});
export type DeviceFlowStart = Static<typeof DeviceFlowStart>;

export const ConnectedNow = Type.Object({ kind: Type.Literal('connected'), connection: Connection });
export type ConnectedNow = Static<typeof ConnectedNow>;

/** What POST /connections answers: a flow to follow, or the connection made at once (a pasted key). */
export const ConnectResult = Type.Union([BrowserFlowStart, DeviceFlowStart, ConnectedNow]);
export type ConnectResult = Static<typeof ConnectResult>;

/** GET /connections/flows/:flow_id. */
export const Flow = Type.Object({
  flow_id: Type.String(),
  status: StringEnum(FLOW_STATUSES),
  connection: Type.Optional(Connection),
  error: Type.Optional(Type.String()),
  error_description: Type.Optional(Type.String()),
  provider_error: Type.Optional(Type.String()),
});
export type Flow = Static<typeof Flow>;

/** DELETE /connections/:name. */
export const DeleteResult = Type.Object({
  deleted: Type.Literal(true),
  revoked_at_provider: Type.Boolean(),
  revocation_error: Type.Optional(
    Type.String({ description: 'Why revoking at the provider failed (the connection is forgotten all the same)' }),
  ),
});
export type DeleteResult = Static<typeof DeleteResult>;

export const ConnectionNameParams = PathParams('name');
export const FlowIdParams = PathParams('flow_id', 128);

/** A connection as GET /v1/connections shows it to an agent: what it holds there and where to call it. */
export const AgentConnection = Type.Object({
  name: Type.String(),
  provider: Type.String(),
  provider_name: Type.String(),
  status: StringEnum(CONNECTION_STATUSES),
  scopes: Type.Array(Type.String(), { description: 'Scopes this agent holds on the connection' }),
  base_url: Type.String({ description: "Use in place of the provider's API base URL" }),
  upstream_base_url: Type.String(),
  base_url_env: Type.Optional(
    Type.String({ description: "Environment variable the provider's SDKs read for their base URL" }),
  ),
  bases: Type.Record(Type.String(), Type.Object({ base_url: Type.String(), upstream_base_url: Type.String() }), {
    description:
      'Every API base of the provider (default included): base_url to call (/proxy/<connection>:<base>), upstream_base_url it reaches',
  }),
});
export type AgentConnection = Static<typeof AgentConnection>;

export const AgentConnectionList = Type.Object({ connections: Type.Array(AgentConnection) });
export type AgentConnectionList = Static<typeof AgentConnectionList>;
