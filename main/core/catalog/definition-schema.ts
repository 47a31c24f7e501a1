import { BASE_NAME_PATTERN, VARIABLE_NAME_PATTERN } from './bases.js';
import { curatedToolSchema } from './curated-tools.js';
import { ALL_CONNECTION_SCOPES } from './rule-problems.js';

export const PROVIDER_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';

// ---------------------------------------------------------------------------------------------
// The JSON Schema (draft-07, as Ajv's default class speaks it). Shape only: the semantic checks
// (URLs, scope references, rule patterns, header templates) are in semantic-problems.ts.
// ---------------------------------------------------------------------------------------------

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const url = { type: 'string', minLength: 1, maxLength: 2048 } as const;
/** An RFC 9110 field name. */
const headerName = { type: 'string', minLength: 1, maxLength: 128, pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" } as const;
/** A field value: no control characters (CR/LF would split headers). */
const headerValue = {
  type: 'string',
  maxLength: 4096,
  pattern: '^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$',
} as const;
/** An RFC 6749 scope-token. */
const scopeName = {
  type: 'string',
  minLength: 1,
  maxLength: 256,
  pattern: '^[\\u0021\\u0023-\\u005b\\u005d-\\u007e]+$',
} as const;
const scopeMap = {
  type: 'object',
  maxProperties: 500,
  propertyNames: scopeName,
  additionalProperties: text(500),
} as const;
const scopeList = { type: 'array', maxItems: 500, uniqueItems: true, items: scopeName } as const;
const unenforcedSubsets = {
  type: 'object',
  maxProperties: 50,
  propertyNames: scopeName,
  additionalProperties: { ...scopeList, minItems: 1 },
} as const;
const staticFormat = {
  header: headerName,
  format: { ...headerValue, minLength: 1 },
} as const;

const oauth2Auth = {
  type: 'object',
  additionalProperties: false,
  // client_secret and redirect have defaults (see defaults.ts), so a minimal definition leaves them out.
  required: ['type', 'authorization_url', 'token_url', 'pkce', 'client_auth', 'scopes', 'default_scopes'],
  properties: {
    type: { type: 'string', const: 'oauth2' },
    authorization_url: url,
    token_url: url,
    revocation_url: url,
    device_authorization_url: url,
    issuer: url,
    pkce: { type: 'boolean' },
    client_auth: { enum: ['none', 'client_secret_post', 'client_secret_basic'] },
    client_secret: { enum: ['none', 'optional', 'required'] },
    scopes: scopeMap,
    default_scopes: scopeList,
    unenforced_subsets: unenforcedSubsets,
    scope_separator: { type: 'string', minLength: 1, maxLength: 8 },
    scope_param: { ...text(64), pattern: '^[A-Za-z0-9_.-]+$' },
    scopes_in_request: { type: 'boolean' },
    authorization_params: {
      type: 'object',
      maxProperties: 50,
      propertyNames: { ...text(64), pattern: '^[A-Za-z0-9_.-]+$' },
      additionalProperties: { type: 'string', maxLength: 2048 },
    },
    redirect: {
      type: 'object',
      additionalProperties: false,
      required: ['host', 'any_port'],
      properties: {
        host: { enum: ['127.0.0.1', 'localhost', '[::1]'] },
        any_port: { type: 'boolean' },
      },
    },
    token_request: {
      type: 'object',
      additionalProperties: false,
      properties: { body: { enum: ['form', 'json'] } },
    },
    token_response: {
      type: 'object',
      additionalProperties: false,
      properties: {
        nested_token: { ...text(64), pattern: '^[A-Za-z0-9_-]+$' },
        errors_with_200: { type: 'boolean' },
        form_encoded: { type: 'boolean' },
      },
    },
    identity: {
      type: 'object',
      additionalProperties: false,
      required: ['account'],
      properties: {
        url,
        method: { enum: ['GET', 'POST'] },
        account: { type: 'array', minItems: 1, maxItems: 10, items: { ...text(200), pattern: '^[^.]+(\\.[^.]+)*$' } },
      },
    },
    personal_token: {
      type: 'object',
      additionalProperties: false,
      required: ['header', 'format'],
      properties: { ...staticFormat, help_url: url },
    },
  },
} as const;

const apiKeyAuth = {
  type: 'object',
  additionalProperties: false,
  required: ['type', 'header', 'format'],
  properties: {
    type: { type: 'string', const: 'api_key' },
    ...staticFormat,
    help_url: url,
    scopes: scopeMap,
    unenforced_subsets: unenforcedSubsets,
  },
} as const;

const endpointRule = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'path', 'scopes'],
  properties: {
    method: text(16),
    path: text(1024),
    scopes: scopeList,
    requires: { enum: [ALL_CONNECTION_SCOPES] },
    base: { type: 'string', pattern: BASE_NAME_PATTERN },
  },
} as const;

// Multi-host APIs and per-account hosts (bases.ts): `api.bases` and `api.variables`.
const apiBases = {
  type: 'object',
  minProperties: 1,
  maxProperties: 20,
  propertyNames: { type: 'string', pattern: BASE_NAME_PATTERN },
  additionalProperties: url,
} as const;
const apiVariables = {
  type: 'object',
  minProperties: 1,
  maxProperties: 5,
  propertyNames: { type: 'string', pattern: VARIABLE_NAME_PATTERN },
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['kind', 'description'],
    properties: {
      kind: { enum: ['label', 'hostname'] },
      description: text(500),
      default: text(253),
    },
  },
} as const;

// --- Sources and deliberate gaps (issue 11) ---------------------------------------------------

/** Where a definition's facts come from: named links to the provider's own documentation. */
const docsLinks = {
  type: 'object',
  minProperties: 1,
  maxProperties: 20,
  propertyNames: { type: 'string', pattern: '^[a-z][a-z0-9_]{0,31}$' },
  additionalProperties: url,
} as const;

/**
 * Operations of the provider's API that no rule opens, on purpose, with why: checked against
 * the provider's machine-readable API description where one exists, so new endpoints are noticed.
 */
const notExposedEntry = {
  type: 'object',
  additionalProperties: false,
  required: ['method', 'path', 'reason'],
  properties: {
    method: text(16),
    path: text(1024),
    reason: text(500),
  },
} as const;

// SDK compatibility: where SDKs put the key (the agent token goes there too) and the error shape they parse.
export const ERROR_DIALECTS = [
  'slack',
  'openai',
  'github',
  'stripe',
  'notion',
  'graphql',
  'anthropic',
  'problem',
  'error_list',
] as const;
/** How a declared header carries the agent token (types.ts says what each means). */
export const AGENT_AUTH_SCHEMES = ['bare', 'bearer', 'basic-password', 'bot'] as const;
const agentAuth = {
  type: 'array',
  maxItems: 10,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['header'],
    properties: { header: headerName, scheme: { enum: AGENT_AUTH_SCHEMES } },
  },
} as const;

/** JSON Schema (draft-07) of a provider definition, `providers/<id>.json`. */
export const providerDefinitionSchema = {
  $schema: 'http://json-schema.org/draft-07/schema#',
  $id: 'https://latchkey.invalid/schemas/provider-definition.json',
  title: 'Latchkey provider definition',
  type: 'object',
  additionalProperties: false,
  required: ['id', 'name', 'auth', 'api'],
  properties: {
    // Where an editor finds this schema (e.g. the broker's /schemas/provider.json); not used by the broker.
    $schema: { type: 'string', minLength: 1, maxLength: 2048 },
    id: { type: 'string', pattern: PROVIDER_ID_PATTERN },
    name: text(100),
    description: text(2000),
    docs_url: url,
    docs: docsLinks,
    auth: {
      type: 'object',
      discriminator: { propertyName: 'type' },
      oneOf: [oauth2Auth, apiKeyAuth],
    },
    api: {
      type: 'object',
      additionalProperties: false,
      required: ['rules'],
      properties: {
        base_url: url,
        bases: apiBases,
        variables: apiVariables,
        headers: { type: 'object', maxProperties: 50, propertyNames: headerName, additionalProperties: headerValue },
        base_url_env: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]{0,127}$' },
        rules: { type: 'array', maxItems: 1000, items: endpointRule },
        not_exposed: { type: 'array', maxItems: 1000, items: notExposedEntry },
        agent_auth: agentAuth,
        error_dialect: { enum: ERROR_DIALECTS },
        tools: { type: 'array', maxItems: 100, items: curatedToolSchema },
      },
    },
  },
} as const;
