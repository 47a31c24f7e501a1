import { Ajv, type ErrorObject } from 'ajv';
import { LatchkeyError } from '../errors.js';
import { isLocalhostName, isLoopbackHost } from '../net.js';
import { withDefinitionDefaults } from './defaults.js';
import { BASE_NAME_PATTERN, DEFAULT_BASE, hostOf, hostSuffix, placeholders, VARIABLE_NAME_PATTERN, variableValueProblem } from './bases.js';
import { compileRules } from './rules.js';
import { curatedToolProblems, curatedToolSchema } from './curated-tools.js';
import type { EndpointRule, ProviderDefinition } from './types.js';

/** One thing wrong with a provider definition: a JSON pointer into it and what is wrong there. */
export interface DefinitionProblem {
  path: string;
  message: string;
}

export const PROVIDER_ID_PATTERN = '^[a-z0-9][a-z0-9-]{0,62}$';
const PROVIDER_ID = new RegExp(PROVIDER_ID_PATTERN);

/** A rule's `requires`: only a grant covering every scope the connection holds allows the call. */
export const ALL_CONNECTION_SCOPES = 'all_connection_scopes';

/**
 * A path segment naming a GraphQL or batch endpoint ("graphql", "$batch", "batches",
 * "delete_batch"…): one call there can do what many endpoints do, whatever scope a rule names.
 */
export const FULL_ACCESS_SEGMENT = /graphql|batch/i;

/** Methods a rule may name (besides "*", any method). */
export const HTTP_METHODS: readonly string[] = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

// ---------------------------------------------------------------------------------------------
// The JSON Schema (draft-07, as Ajv's default class speaks it). Shape only: the semantic checks
// (URLs, scope references, rule patterns, header templates) follow in `semanticProblems`.
// ---------------------------------------------------------------------------------------------

const text = (maxLength: number) => ({ type: 'string', minLength: 1, maxLength }) as const;
const url = { type: 'string', minLength: 1, maxLength: 2048 } as const;
/** An RFC 9110 field name. */
const headerName = { type: 'string', minLength: 1, maxLength: 128, pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" } as const;
/** A field value: no control characters (CR/LF would split headers). */
const headerValue = { type: 'string', maxLength: 4096, pattern: '^[^\\u0000-\\u0008\\u000a-\\u001f\\u007f]*$' } as const;
/** An RFC 6749 scope-token. */
const scopeName = { type: 'string', minLength: 1, maxLength: 256, pattern: '^[\\u0021\\u0023-\\u005b\\u005d-\\u007e]+$' } as const;
const scopeMap = {
  type: 'object',
  maxProperties: 500,
  propertyNames: scopeName,
  additionalProperties: text(500),
} as const;
const scopeList = { type: 'array', maxItems: 500, uniqueItems: true, items: scopeName } as const;
const unenforcedSubsets = { type: 'object', maxProperties: 50, propertyNames: scopeName, additionalProperties: { ...scopeList, minItems: 1 } } as const;
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
export const ERROR_DIALECTS = ['slack', 'openai', 'github', 'stripe', 'notion', 'graphql'] as const;
/** Fields an agent token must never be read from: the transport's, or ones a browser sets by itself. */
const NOT_AGENT_AUTH_HEADERS = new Set(['cookie', 'host', 'content-length', 'content-type', 'transfer-encoding', 'connection', 'origin', 'referer', 'proxy-authorization']);
const agentAuth = {
  type: 'array',
  maxItems: 10,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['header'],
    properties: { header: headerName, scheme: { enum: ['bare', 'bearer'] } },
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

const ajv = new Ajv({ allErrors: true, discriminator: true, verbose: true, strict: true });
const validateShape = ajv.compile(providerDefinitionSchema);

// ---------------------------------------------------------------------------------------------

/**
 * Checks a provider definition (built in, custom file or API body) and returns it typed,
 * with the defaults of its optional fields filled in (defaults.ts).
 * Throws LatchkeyError `invalid_provider` (400) with `details.problems: [{ path, message }]`
 * listing everything found, schema and semantic problems together.
 */
export function validateProviderDefinition(value: unknown): ProviderDefinition {
  const problems = providerDefinitionProblems(value);
  if (problems.length === 0) return withDefinitionDefaults(value as ProviderDefinition);
  const id = value && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : undefined;
  const shown = problems.slice(0, 5).map((p) => `${p.path || '(root)'}: ${p.message}`);
  if (problems.length > shown.length) shown.push(`and ${problems.length - shown.length} more`);
  throw new LatchkeyError(
    'invalid_provider',
    `Invalid provider definition${id ? ` "${id}"` : ''}: ${shown.join('; ')}`,
    400,
    { problems },
  );
}

/** Every problem of a candidate definition; empty when it is valid. */
export function providerDefinitionProblems(value: unknown): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (!validateShape(value)) problems.push(...schemaProblems(validateShape.errors ?? []));
  problems.push(...semanticProblems(value));
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// --- Ajv errors as precise, human problems ----------------------------------------------------

function schemaProblems(errors: ErrorObject[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  for (const error of errors) {
    // propertyNames reports once per failing inner keyword (with propertyName) and once overall.
    if (error.keyword === 'propertyNames') continue;
    problems.push(describe(error));
  }
  return problems;
}

function describe(error: ErrorObject): DefinitionProblem {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  const data: unknown = error.data;
  if (error.propertyName !== undefined) {
    // A key of a map (scope name, header name, parameter name) is malformed.
    return { path: `${at}/${pointerToken(error.propertyName)}`, message: `key "${error.propertyName}" ${keyProblem(error)}` };
  }
  switch (error.keyword) {
    case 'required':
      return { path: `${at}/${pointerToken(String(params.missingProperty))}`, message: 'is required' };
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const allowed = Object.keys((error.parentSchema as { properties?: object } | undefined)?.properties ?? {});
      return {
        path: `${at}/${pointerToken(name)}`,
        message: `unknown property "${name}"${allowed.length ? ` (allowed here: ${allowed.join(', ')})` : ''}`,
      };
    }
    case 'type':
      return { path: at, message: `must be ${article(String(params.type))} (got ${kind(data)})` };
    case 'enum':
      return { path: at, message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')} (got ${show(data)})` };
    case 'const':
      return { path: at, message: `must be ${JSON.stringify(params.allowedValue)} (got ${show(data)})` };
    case 'discriminator': {
      const tag = (data as Record<string, unknown> | undefined)?.type;
      return { path: `${at}/type`, message: tag === undefined ? 'is required ("oauth2" or "api_key")' : `must be "oauth2" or "api_key" (got ${show(tag)})` };
    }
    case 'minLength':
      return { path: at, message: params.limit === 1 ? 'must not be empty' : `must be at least ${String(params.limit)} characters` };
    case 'maxLength':
      return { path: at, message: `must be at most ${String(params.limit)} characters (got ${typeof data === 'string' ? data.length : '?'})` };
    case 'minItems':
      return { path: at, message: `must have at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}` };
    case 'maxItems':
      return { path: at, message: `must have at most ${String(params.limit)} items` };
    case 'maxProperties':
      return { path: at, message: `must have at most ${String(params.limit)} entries` };
    case 'uniqueItems': {
      const [first, second] = [Number(params.i), Number(params.j)].sort((a, b) => a - b) as [number, number];
      return { path: `${at}/${second}`, message: `${show(Array.isArray(data) ? data[second] : undefined)} is listed twice (first at ${at}/${first})` };
    }
    case 'pattern':
      if (at === '/id') return { path: at, message: idMessage(data) };
      return { path: at, message: `${show(data)} ${patternHint(at)}` };
    default:
      return { path: at, message: error.message ?? `fails ${error.keyword}` };
  }
}

function keyProblem(error: ErrorObject): string {
  switch (error.keyword) {
    case 'pattern':
      if (error.instancePath.endsWith('/scopes')) return 'is not a valid scope name (no spaces, quotes or backslashes)';
      if (error.instancePath.endsWith('/headers')) return 'is not a valid HTTP header name';
      if (error.instancePath === '/docs') return 'is not a valid link name (lower-case letters, digits and "_", e.g. "oauth", "scopes", "api")';
      if (error.instancePath === '/api/bases') return 'is not a base name (lower-case letters, digits or "-", starting with a letter, at most 32)';
      if (error.instancePath === '/api/variables') return 'is not a variable name (lower-case letters, digits or "_", starting with a letter, at most 32)';
      return 'is not a valid parameter name (letters, digits, "_", "." or "-")';
    case 'minLength':
      return 'must not be empty';
    case 'maxLength':
      return `is longer than ${String((error.params as { limit: number }).limit)} characters`;
    default:
      return error.message ?? 'is not allowed';
  }
}

function patternHint(path: string): string {
  if (/\/scopes(\/\d+)?$/.test(path) || path.endsWith('/default_scopes') || /\/default_scopes\/\d+$/.test(path)) {
    return 'is not a valid scope name (no spaces, quotes or backslashes)';
  }
  if (path.endsWith('/header')) return 'is not a valid HTTP header name';
  if (path.endsWith('/format') || path.startsWith('/api/headers/')) return 'contains a control character (line breaks are not allowed in header values)';
  if (path === '/api/base_url_env') return 'is not an environment variable name (upper-case letters, digits, "_")';
  if (path.startsWith('/auth/identity/account/')) return 'is not a dotted member path like "user.email"';
  return 'has an invalid format';
}

function idMessage(value: unknown): string {
  return `must be 1–63 lower-case letters, digits or "-", starting with a letter or digit (got ${show(value)})`;
}

// --- Semantic checks -------------------------------------------------------------------------

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';

/**
 * What JSON Schema cannot say: URL schemes and hosts, that named scopes are declared,
 * rule methods and path patterns, `{key}` in credential templates, consistent client auth.
 * Defensive about shape, so it runs alongside the schema and reports in the same pass.
 */
function semanticProblems(value: unknown): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  if (!isObject(value)) return problems;
  const add = (path: string, message: string) => problems.push({ path, message });

  const checkUrl = (path: string, candidate: unknown, endpoint: boolean) => {
    if (!isString(candidate) || candidate === '') return;
    const message = urlProblem(candidate, endpoint);
    if (message) add(path, message);
  };

  checkUrl('/docs_url', value.docs_url, false);
  if (isObject(value.docs)) {
    for (const [name, link] of Object.entries(value.docs)) checkUrl(`/docs/${pointerToken(name)}`, link, false);
  }

  const auth = value.auth;
  let declared: Set<string> | undefined;
  const declaredWhere = '/auth/scopes';
  const credentialHeaders: string[] = [];
  if (isObject(auth)) {
    if (auth.type === 'oauth2') {
      for (const key of ['authorization_url', 'token_url', 'revocation_url', 'device_authorization_url', 'issuer'] as const) {
        checkUrl(`/auth/${key}`, auth[key], true);
      }
      if (isString(auth.issuer) && auth.issuer.includes('?')) add('/auth/issuer', `must not have a query string (got "${auth.issuer}")`);
      declared = isObject(auth.scopes) ? new Set(Object.keys(auth.scopes)) : undefined;
      if (Array.isArray(auth.default_scopes) && declared) {
        auth.default_scopes.forEach((scope, i) => {
          if (isString(scope) && !declared!.has(scope)) add(`/auth/default_scopes/${i}`, unknownScope(scope, declared!, declaredWhere));
        });
      }
      if (auth.client_auth === 'none' && auth.client_secret === 'required') {
        add('/auth/client_auth', 'is "none", which sends no client secret, but /auth/client_secret is "required"; use "client_secret_post" or "client_secret_basic"');
      }
      if (isString(auth.scope_separator) && declared) {
        for (const scope of declared) {
          if (scope.includes(auth.scope_separator)) {
            add(`/auth/scopes/${pointerToken(scope)}`, `scope "${scope}" contains the scope separator ${JSON.stringify(auth.scope_separator)}`);
          }
        }
      }
      if (isObject(auth.identity)) checkUrl('/auth/identity/url', auth.identity.url, true);
      if (isObject(auth.personal_token)) {
        checkTemplate('/auth/personal_token/format', auth.personal_token.format, add);
        checkUrl('/auth/personal_token/help_url', auth.personal_token.help_url, false);
        if (isString(auth.personal_token.header)) credentialHeaders.push(auth.personal_token.header);
      }
    } else if (auth.type === 'api_key') {
      checkTemplate('/auth/format', auth.format, add);
      checkUrl('/auth/help_url', auth.help_url, false);
      if (isString(auth.header)) credentialHeaders.push(auth.header);
      declared = isObject(auth.scopes) ? new Set(Object.keys(auth.scopes)) : new Set();
    }
    if (isObject(auth.unenforced_subsets) && declared) {
      for (const [narrow, broader] of Object.entries(auth.unenforced_subsets)) {
        const at = `/auth/unenforced_subsets/${pointerToken(narrow)}`;
        if (!declared.has(narrow)) add(at, unknownScope(narrow, declared, declaredWhere));
        if (!Array.isArray(broader)) continue;
        broader.forEach((broad, i) => {
          if (!isString(broad)) return;
          if (!declared!.has(broad)) add(`${at}/${i}`, unknownScope(broad, declared!, declaredWhere));
          if (broad === narrow) add(`${at}/${i}`, `"${narrow}" cannot be a subset of itself`);
        });
      }
    }
  }

  const api = value.api;
  if (isObject(api)) {
    const baseNames = basesProblems(api, add);
    if (isObject(api.headers)) {
      const reserved = new Set(['authorization', 'proxy-authorization', 'cookie', 'host', 'content-length', 'transfer-encoding', 'connection', ...credentialHeaders.map((h) => h.toLowerCase())]);
      for (const name of Object.keys(api.headers)) {
        if (reserved.has(name.toLowerCase())) {
          add(`/api/headers/${pointerToken(name)}`, `header "${name}" cannot be set here: the broker sets credentials and transport headers itself`);
        }
      }
    }
    if (Array.isArray(api.agent_auth)) for (const problem of agentAuthProblems(api.agent_auth)) add(problem.path, problem.message);
    if (Array.isArray(api.rules)) {
      api.rules.forEach((rule: unknown, i) => {
        if (!isObject(rule)) return;
        const at = `/api/rules/${i}`;
        if (isString(rule.method) && rule.method !== '') {
          const message = methodProblem(rule.method);
          if (message) add(`${at}/method`, message);
        }
        if (isString(rule.path) && rule.path !== '') {
          const message = rulePathProblem(rule.path);
          if (message) add(`${at}/path`, message);
        }
        if (Array.isArray(rule.scopes) && declared) {
          rule.scopes.forEach((scope, j) => {
            if (isString(scope) && !declared!.has(scope)) add(`${at}/scopes/${j}`, unknownScope(scope, declared!, declaredWhere));
          });
        }
        if (isString(rule.base) && baseNames && !baseNames.has(rule.base)) {
          add(`${at}/base`, `unknown base "${rule.base}": not named in /api/bases (named: ${[...baseNames].join(', ')})`);
        }
        const fullAccess = fullAccessProblem(rule);
        if (fullAccess) add(`${at}/${fullAccess.path}`, fullAccess.message);
      });
      for (const problem of fullAccessOverlaps(api.rules)) add(problem.path, problem.message);
    }
    if (Array.isArray(api.not_exposed)) {
      api.not_exposed.forEach((entry: unknown, i) => {
        if (!isObject(entry)) return;
        const at = `/api/not_exposed/${i}`;
        if (isString(entry.method) && entry.method !== '') {
          const message = methodProblem(entry.method);
          if (message) add(`${at}/method`, message);
        }
        if (isString(entry.path) && entry.path !== '') {
          const message = rulePathProblem(entry.path);
          if (message) add(`${at}/path`, message);
        }
      });
    }
    // Curated MCP tools: each must call an endpoint some rule opens (curated-tools.ts).
    if (Array.isArray(api.tools)) curatedToolProblems(api.tools, api.rules, baseNames, add);
  }
  return problems;
}

/**
 * `base_url` or `bases` (one of them, `bases` with a `default`), each an http(s) URL with
 * no query or fragment; `{variable}` placeholders only in the host, declared in
 * `api.variables`, a `label` one as the host's first label before a fixed suffix, a
 * `hostname` one as the whole host. Returns the base names, for the rules' `base`.
 */
function basesProblems(api: Json, add: (path: string, message: string) => void): Set<string> | undefined {
  const hasBases = isObject(api.bases);
  if (api.base_url !== undefined && api.bases !== undefined) add('/api/bases', 'give either /api/base_url (one host) or /api/bases (several), not both');
  if (api.base_url === undefined && api.bases === undefined) add('/api/base_url', 'is required (or /api/bases for an API on several hosts)');
  if (hasBases && !Object.hasOwn(api.bases as Json, DEFAULT_BASE)) add('/api/bases', `must name a "${DEFAULT_BASE}" base: the one /proxy/<connection>/… reaches`);
  const variables = isObject(api.variables) ? api.variables : {};
  const used = new Set<string>();
  const bases: [string, unknown][] = hasBases ? Object.entries(api.bases as Json).map(([name, value]) => [`/api/bases/${pointerToken(name)}`, value]) : [['/api/base_url', api.base_url]];
  for (const [at, candidate] of bases) {
    if (!isString(candidate) || candidate === '') continue;
    const names = placeholders(candidate);
    for (const name of names) used.add(name);
    const message = templatedUrlProblem(candidate, names, variables);
    if (message) add(at, message);
  }
  for (const [name, variable] of Object.entries(variables)) {
    const at = `/api/variables/${pointerToken(name)}`;
    if (!used.has(name)) add(at, `variable "${name}" is used in no base URL (write "{${name}}" in the host)`);
    if (isObject(variable) && isString(variable.default) && (variable.kind === 'label' || variable.kind === 'hostname')) {
      const problem = variableValueProblem(variable.kind, variable.default);
      if (problem) add(`${at}/default`, `"${variable.default}" ${problem}`);
    }
  }
  if (hasBases) return new Set(Object.keys(api.bases as Json));
  return isString(api.base_url) ? new Set([DEFAULT_BASE]) : undefined;
}

function templatedUrlProblem(candidate: string, names: string[], variables: Json): string | undefined {
  if (/[?#]/.test(candidate)) return `must not have a query string or fragment (got "${candidate}")`;
  if (names.length === 0) return urlProblem(candidate, true);
  if (names.length > 1) return `"${candidate}" has ${names.length} variables; a base URL takes at most one`;
  const name = names[0] as string;
  const variable = variables[name];
  if (!isObject(variable)) return `"{${name}}" is not declared in /api/variables`;
  const host = hostOf(candidate);
  const suffix = hostSuffix(candidate);
  if (!host.includes(`{${name}}`)) return `"{${name}}" must be in the host of "${candidate}", never in its port or path`;
  if (variable.kind === 'label' && !(host === `{${name}}${suffix}` && /^\.[a-z0-9-]+(\.[a-z0-9-]+)*$/.test(suffix))) {
    return `a "label" variable is the host's first label before a fixed domain, like "https://{${name}}.zendesk.com" (got "${candidate}")`;
  }
  if (variable.kind === 'hostname' && host !== `{${name}}`) {
    return `a "hostname" variable is the whole host, like "https://{${name}}/api/v4" (got "${candidate}")`;
  }
  return urlProblem(candidate.replace(`{${name}}`, variable.kind === 'label' ? 'example' : 'example.com'), true);
}

/**
 * Each agent_auth entry names a distinct header that may carry a token: not a transport
 * field, and `Authorization` only bare (Bearer, token and Basic are always read there).
 */
function agentAuthProblems(entries: unknown[]): DefinitionProblem[] {
  const problems: DefinitionProblem[] = [];
  const seen = new Map<string, number>();
  entries.forEach((entry, i) => {
    if (!isObject(entry) || !isString(entry.header)) return;
    const at = `/api/agent_auth/${i}`;
    const name = entry.header.toLowerCase();
    if (NOT_AGENT_AUTH_HEADERS.has(name)) problems.push({ path: `${at}/header`, message: `"${entry.header}" cannot carry an agent token: it is a transport or browser field` });
    if (name === 'authorization' && entry.scheme !== 'bare') problems.push({ path: `${at}/scheme`, message: '"Authorization" is always read as Bearer, token or Basic; declare it here only with "scheme": "bare"' });
    const first = seen.get(name);
    if (first !== undefined) problems.push({ path: `${at}/header`, message: `"${entry.header}" is listed twice (first at /api/agent_auth/${first})` });
    else seen.set(name, i);
  });
  return problems;
}

/** Plain http only for loopback hosts; no credentials in URLs; endpoints have no fragment. */
export function urlProblem(candidate: string, endpoint = true): string | undefined {
  // URL parsers take "{" in a host literally: a template written here would silently be a host name.
  if (/[{}]/.test(candidate)) return `"${candidate}" contains "{" or "}": template variables go only in the host of /api/base_url or /api/bases`;
  let parsed: URL;
  try {
    parsed = new URL(candidate);
  } catch {
    return `"${candidate}" is not an absolute URL`;
  }
  if (parsed.protocol === 'http:') {
    if (!isLocalhostName(parsed.hostname)) {
      return `"${candidate}" must use https: (plain http is allowed only for loopback hosts: 127.0.0.0/8, [::1], localhost, *.localhost)`;
    }
  } else if (parsed.protocol !== 'https:') {
    return `"${candidate}" must use https: (got ${parsed.protocol.replace(/:$/, '')})`;
  }
  if (parsed.username || parsed.password) return `"${candidate}" must not carry a user name or password`;
  if (endpoint && parsed.hash) return `"${candidate}" must not have a fragment`;
  return undefined;
}

function checkTemplate(path: string, template: unknown, add: (path: string, message: string) => void): void {
  if (isString(template) && template !== '' && !template.includes('{key}') && !template.includes('{key_base64}')) {
    add(path, `must contain "{key}" where the secret goes, e.g. "Bearer {key}", or "{key_base64}" for HTTP Basic, e.g. "Basic {key_base64}" (got "${template}")`);
  }
}

function methodProblem(method: string): string | undefined {
  if (method === '*' || HTTP_METHODS.includes(method)) return undefined;
  const upper = method.toUpperCase();
  if (HTTP_METHODS.includes(upper)) return `must be upper case: "${upper}", not "${method}"`;
  return `"${method}" is not an HTTP method; use one of ${HTTP_METHODS.join(', ')} or "*" for any`;
}

/** A rule path: "/" then segments, each a literal, "*" (one segment) or "**" (any number). */
export function rulePathProblem(path: string): string | undefined {
  if (!path.startsWith('/')) return `"${path}" must start with "/"`;
  if (path === '/') return undefined;
  const segments = path.slice(1).split('/');
  for (const [i, segment] of segments.entries()) {
    if (segment === '') {
      return i === segments.length - 1
        ? `"${path}" must not end with "/"`
        : `"${path}" has an empty segment ("//")`;
    }
    if (segment === '*' || segment === '**') continue;
    if (segment.includes('*')) {
      return `segment "${segment}" of "${path}" mixes "*" with other characters; a segment is a literal, "*" (exactly one segment) or "**" (any number of segments)`;
    }
    if (segment === '.' || segment === '..') return `segment "${segment}" of "${path}" never occurs in a normalised path`;
    const bad = /[?#\s]/.exec(segment);
    if (bad) {
      return bad[0] === '?' || bad[0] === '#'
        ? `segment "${segment}" of "${path}" contains "${bad[0]}"; rule paths have no query string or fragment`
        : `segment "${segment}" of "${path}" contains whitespace`;
    }
  }
  return undefined;
}

/**
 * A rule that needs every connection scope names no narrower ones, and a GraphQL or batch
 * path needs such a rule: any scope listed there would open the whole API to a narrow grant.
 */
function fullAccessProblem(rule: Json): DefinitionProblem | undefined {
  const scopes = Array.isArray(rule.scopes) ? rule.scopes : [];
  if (rule.requires === ALL_CONNECTION_SCOPES) {
    if (scopes.length > 0) {
      return { path: 'scopes', message: `must be [] when "requires" is "${ALL_CONNECTION_SCOPES}": the grant must cover every scope the connection holds, so naming narrower scopes here would mislead` };
    }
    return undefined;
  }
  if (!isString(rule.path)) return undefined;
  const segment = rule.path.split('/').find((part) => part !== '*' && part !== '**' && FULL_ACCESS_SEGMENT.test(part));
  if (segment === undefined) return undefined;
  return {
    path: 'requires',
    message: `"${rule.path}" is a GraphQL or batch endpoint (segment "${segment}"): one call there can do more than any scope says, so the rule must say "requires": "${ALL_CONNECTION_SCOPES}" with "scopes": []`,
  };
}

/**
 * Rules only add permission, so a broader rule that also matches a full-access endpoint
 * (`POST /**` next to `POST /graphql`) would let its narrower scopes through: refused.
 * Only well-formed rules are compared; the others have their own problems.
 */
function fullAccessOverlaps(rules: unknown[]): DefinitionProblem[] {
  const wellFormed = rules.filter((rule): rule is EndpointRule => isObject(rule) && isString(rule.method) && methodProblem(rule.method) === undefined
    && isString(rule.path) && rulePathProblem(rule.path) === undefined && Array.isArray(rule.scopes));
  const fullAccess = wellFormed.filter((rule) => rule.requires === ALL_CONNECTION_SCOPES);
  if (fullAccess.length === 0) return [];
  const problems: DefinitionProblem[] = [];
  for (const target of fullAccess) {
    // Rules of other bases address other hosts: they cannot reach this endpoint.
    const match = compileRules(wellFormed.filter((rule) => rule.requires !== ALL_CONNECTION_SCOPES && (rule.base ?? DEFAULT_BASE) === (target.base ?? DEFAULT_BASE)));
    // The endpoint as an agent would call it: each wildcard filled with one segment.
    const example = target.path.split('/').map((segment) => (segment === '*' || segment === '**' ? 'x' : segment)).join('/');
    for (const method of target.method === '*' ? ['GET', 'POST'] : [target.method]) {
      for (const rule of match(method, example)) {
        problems.push({
          path: `/api/rules/${rules.indexOf(rule)}`,
          message: `also matches ${method} ${example}, which rule /api/rules/${rules.indexOf(target)} opens only to a grant of every connection scope; rules only add permission, so this one would let ${rule.scopes.length > 0 ? `"${rule.scopes.join('", "')}"` : 'any grant'} through: narrow its path or method`,
        });
      }
    }
  }
  return problems;
}

function unknownScope(scope: string, declared: Set<string>, where: string): string {
  const known = [...declared];
  const list = known.length === 0 ? 'none' : known.length > 12 ? `${known.slice(0, 12).join(', ')}, …` : known.join(', ');
  return `unknown scope "${scope}": not declared in ${where} (declared: ${list})`;
}

// --- helpers ------------------------------------------------------------------------------------

/** RFC 6901 escaping of one reference token. */
export function pointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}

function kind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return article(typeof value);
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}
