import { DateTime, Nullable, PathParams, StringEnum, Type, type Static } from './schema.js';

export const AGENT_STATUSES = ['pending', 'active', 'revoked'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];
/** How an agent came to be: 'dcr' is a self-registered client (RFC 7591) that anyone on this machine could have made. */
export const REGISTERED_VIA = ['admin', 'dcr'] as const;
export type RegisteredVia = (typeof REGISTERED_VIA)[number];
/** How an agent came to be: created by the person, RFC 7591 dynamic registration, or a Client ID Metadata Document. */
export const REGISTRATION_KINDS = ['admin', 'dynamic', 'metadata_document'] as const;
export type RegistrationKind = (typeof REGISTRATION_KINDS)[number];

// RFC 6749 scope-token characters, so that every grant can travel as a `scope` value.
const ScopeToken = Type.String({ minLength: 1, maxLength: 512, pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' });

/** What an agent may use on one connection; `["*"]` is everything the connection holds. */
export const Grant = Type.Object(
  {
    connection: Type.String({ minLength: 1, maxLength: 64 }),
    scopes: Type.Array(ScopeToken, { minItems: 1, maxItems: 200 }),
    ask: Type.Optional(
      Type.Array(ScopeToken, {
        maxItems: 200,
        description:
          'Ask-first: scopes of `scopes` (any the connection holds, with `["*"]`) under which each call waits for the person. Absent or empty: no call is held',
      }),
    ),
  },
  { additionalProperties: false },
);
export type Grant = Static<typeof Grant>;
export const Grants = Type.Array(Grant, { maxItems: 100 });

const RateLimit = Nullable(Type.Integer({ minimum: 1, maximum: 1_000_000 }));

/** An agent as the admin API shows it: never its secret or the secret's hash. */
export const AgentView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  client_id: Type.String(),
  status: StringEnum(AGENT_STATUSES),
  grants: Grants,
  rate_limit_per_minute: RateLimit,
  created_at: DateTime(),
  updated_at: DateTime(),
  registered_via: StringEnum(REGISTERED_VIA),
  registration: StringEnum(REGISTRATION_KINDS, {
    description: "The finer kind: a self-registered agent ('dcr') registered either way",
  }),
  redirect_uris: Type.Array(Type.String()),
});
export type AgentView = Static<typeof AgentView>;

export const AgentList = Type.Object({ agents: Type.Array(AgentView) });
export type AgentList = Static<typeof AgentList>;

/** The answer to creating an agent: the only time its client secret is ever sent. */
export const CreatedAgent = Type.Object({
  ...AgentView.properties,
  client_secret: Type.String({ description: 'Shown once: only its hash is kept' }),
});
export type CreatedAgent = Static<typeof CreatedAgent>;

const AgentName = Type.String({ minLength: 1, maxLength: 64 });

/** POST /agents. */
export const NewAgent = Type.Object(
  { name: AgentName, grants: Grants, rate_limit_per_minute: Type.Optional(RateLimit) },
  { additionalProperties: false },
);
export type NewAgent = Static<typeof NewAgent>;

/** PATCH /agents/:id; `rate_limit_per_minute: null` removes the limit. */
export const AgentChanges = Type.Object(
  { name: Type.Optional(AgentName), grants: Type.Optional(Grants), rate_limit_per_minute: Type.Optional(RateLimit) },
  { additionalProperties: false, minProperties: 1 },
);
export type AgentChanges = Static<typeof AgentChanges>;

/** DELETE /agents/:id. */
export const DeletedAgent = Type.Object({ deleted: Type.Boolean() });
export type DeletedAgent = Static<typeof DeletedAgent>;

/** POST /agent-tokens: a token for the active agent of this name (`latchkey exec`). */
export const AgentTokenRequest = Type.Object({ agent: AgentName }, { additionalProperties: false });
export type AgentTokenRequest = Static<typeof AgentTokenRequest>;

export const AgentIdParams = PathParams('id');
