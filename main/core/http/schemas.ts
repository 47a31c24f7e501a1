/** JSON schemas shared by the admin routes: validation in, serialization out (fast-json-stringify drops anything not listed). */

export const errorSchema = {
  $id: 'Error',
  type: 'object',
  required: ['error', 'error_description'],
  properties: {
    error: { type: 'string', description: 'Stable machine-readable code' },
    error_description: { type: 'string' },
  },
  additionalProperties: true,
} as const;

export const connectionSchema = {
  $id: 'Connection',
  type: 'object',
  required: ['name', 'provider', 'auth_method', 'account', 'scopes', 'status', 'expires_at', 'last_used_at', 'created_at', 'last_error'],
  properties: {
    name: { type: 'string' },
    provider: { type: 'string' },
    auth_method: { type: 'string', enum: ['oauth', 'device', 'personal_token', 'api_key'] },
    account: { type: ['string', 'null'] },
    scopes: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['connected', 'expired', 'needs_reauth'] },
    expires_at: { type: ['string', 'null'], format: 'date-time' },
    last_used_at: { type: ['string', 'null'], format: 'date-time' },
    created_at: { type: 'string', format: 'date-time' },
    last_error: { type: ['string', 'null'] },
    variables: { type: 'object', description: 'The provider\'s template variables this connection was made with', additionalProperties: { type: 'string' } },
  },
} as const;

export const providerSummarySchema = {
  $id: 'ProviderSummary',
  type: 'object',
  required: ['id', 'name', 'auth_type', 'builtin', 'scopes', 'default_scopes', 'connect_methods', 'client_secret', 'client', 'redirect_uri', 'redirect_any_port'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: { type: 'string' },
    docs_url: { type: 'string' },
    auth_type: { type: 'string', enum: ['oauth2', 'api_key'] },
    builtin: { type: 'boolean' },
    scopes: {
      type: 'array',
      items: { type: 'object', required: ['name', 'description'], properties: { name: { type: 'string' }, description: { type: 'string' } } },
    },
    default_scopes: { type: 'array', items: { type: 'string' } },
    connect_methods: { type: 'array', items: { type: 'string', enum: ['browser', 'device', 'personal_token', 'api_key'] } },
    client_secret: { type: 'string', enum: ['none', 'optional', 'required'] },
    client: {
      anyOf: [
        { type: 'null' },
        { type: 'object', required: ['client_id', 'has_secret'], properties: { client_id: { type: 'string' }, has_secret: { type: 'boolean' } } },
      ],
    },
    redirect_uri: { type: ['string', 'null'] },
    redirect_any_port: { type: 'boolean' },
    unenforced_subsets: {
      type: 'object',
      description: 'Narrow scope → broader scopes: on a connection holding the narrow one and a broader one, the narrow one is not grantable (the provider does not enforce it)',
      additionalProperties: { type: 'array', items: { type: 'string' } },
    },
    variables: {
      type: 'array',
      description: 'Template variables asked for at connect time (per-account hosts)',
      items: {
        type: 'object',
        required: ['name', 'kind', 'description', 'allowed'],
        properties: { name: { type: 'string' }, kind: { type: 'string', enum: ['label', 'hostname'] }, description: { type: 'string' }, default: { type: 'string' }, allowed: { type: 'string' } },
      },
    },
    bases: { type: 'object', description: 'API base name → base URL ({variable} filled in per connection)', additionalProperties: { type: 'string' } },
  },
} as const;

export const flowSchema = {
  $id: 'Flow',
  type: 'object',
  required: ['flow_id', 'status'],
  properties: {
    flow_id: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'connected', 'failed'] },
    connection: { $ref: 'Connection#' },
    error: { type: 'string' },
    error_description: { type: 'string' },
    provider_error: { type: 'string' },
  },
} as const;

/** Error responses every admin route may give. */
export const errorResponses = {
  400: { $ref: 'Error#' },
  401: { $ref: 'Error#' },
  404: { $ref: 'Error#' },
  409: { $ref: 'Error#' },
  412: { $ref: 'Error#' },
  502: { $ref: 'Error#' },
} as const;
