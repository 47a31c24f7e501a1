import { CONNECT_METHODS } from './connections.js';
import { Nullable, PathParams, StringEnum, Type, type Static } from './schema.js';

export const AUTH_TYPES = ['oauth2', 'api_key'] as const;
export type AuthType = (typeof AUTH_TYPES)[number];
export const CLIENT_SECRET_POLICIES = ['none', 'optional', 'required'] as const;
export type ClientSecretPolicy = (typeof CLIENT_SECRET_POLICIES)[number];

/** `label`: one DNS label (`{subdomain}.zendesk.com`); `hostname`: a whole host name (self-hosted instances). */
export const VARIABLE_KINDS = ['label', 'hostname'] as const;
export type VariableKind = (typeof VARIABLE_KINDS)[number];

export const ScopeInfo = Type.Object({ name: Type.String(), description: Type.String() });
export type ScopeInfo = Static<typeof ScopeInfo>;

/** A per-account host part asked for at connect time (Zendesk subdomain, Shopify shop). */
export const TemplateVariable = Type.Object({
  name: Type.String(),
  kind: StringEnum(VARIABLE_KINDS),
  description: Type.String(),
  default: Type.Optional(Type.String()),
  allowed: Type.String({ description: 'What a value may be, in words' }),
});
export type TemplateVariable = Static<typeof TemplateVariable>;

/** A provider of the catalog, with its redirect URI and the person's OAuth app (never its secret). */
export const ProviderSummary = Type.Object({
  id: Type.String(),
  name: Type.String(),
  description: Type.Optional(Type.String()),
  docs_url: Type.Optional(Type.String()),
  auth_type: StringEnum(AUTH_TYPES),
  builtin: Type.Boolean(),
  scopes: Type.Array(ScopeInfo),
  default_scopes: Type.Array(Type.String()),
  connect_methods: Type.Array(StringEnum(CONNECT_METHODS)),
  client_secret: StringEnum(CLIENT_SECRET_POLICIES),
  client: Type.Union([Type.Null(), Type.Object({ client_id: Type.String(), has_secret: Type.Boolean() })]),
  redirect_uri: Nullable(Type.String()),
  redirect_any_port: Type.Boolean(),
  unenforced_subsets: Type.Optional(
    Type.Record(Type.String(), Type.Array(Type.String()), {
      description:
        'Narrow scope → broader scopes: on a connection holding the narrow one and a broader one, the narrow one is not grantable (the provider does not enforce it)',
    }),
  ),
  variables: Type.Optional(
    Type.Array(TemplateVariable, { description: 'Template variables asked for at connect time (per-account hosts)' }),
  ),
  bases: Type.Optional(
    Type.Record(Type.String(), Type.String(), {
      description: 'API base name → base URL ({variable} filled in per connection)',
    }),
  ),
});
export type ProviderSummary = Static<typeof ProviderSummary>;

export const ProviderList = Type.Object({ providers: Type.Array(ProviderSummary) });
export type ProviderList = Static<typeof ProviderList>;

/** PUT /providers/:id/client: the person's own OAuth app (the secret goes to the vault). */
export const ProviderClientInput = Type.Object(
  {
    client_id: Type.String({ minLength: 1, maxLength: 512 }),
    client_secret: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type ProviderClientInput = Static<typeof ProviderClientInput>;

export const ProviderIdParams = PathParams('id');

/** One item of an `invalid_provider` answer's `problems`: where the definition is wrong and how. */
export const ProviderProblem = Type.Object({
  path: Type.String({ description: 'JSON pointer into the definition' }),
  message: Type.String(),
});
export type ProviderProblem = Static<typeof ProviderProblem>;

/** GET /schemas/provider.json: the draft-07 JSON Schema of a provider definition, for editors ("$schema") and tools. */
export const ProviderDefinitionSchemaDocument = Type.Object(
  { $schema: Type.String(), title: Type.String(), properties: Type.Record(Type.String(), Type.Unknown()) },
  { additionalProperties: true, description: 'A draft-07 JSON Schema' },
);

/** POST /providers: a custom provider definition, checked against /schemas/provider.json by the catalog (invalid_provider lists each problem). */
export const ProviderDefinitionInput = Type.Object(
  {},
  { additionalProperties: true, description: 'A provider definition (see /schemas/provider.json)' },
);
