import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { LatchkeyError } from '../errors.js';
import { PAGE_CSP, resultPage } from '../http/pages.js';
import { errorResponses } from '../http/schemas.js';
import type { AgentAuthority, ClientMetadata } from './authority.js';
import { CONSENT_CSP, CONSENT_SCRIPT, consentPage } from './consent-page.js';
import type { Grant } from './grants.js';

export interface AuthzRoutesOptions {
  authority: AgentAuthority;
}

const FORM = 'application/x-www-form-urlencoded';
const FORM_LIMIT = 64 * 1024;

// ── Schemas ─────────────────────────────────────────────────────────────────

const str = (maxLength: number) => ({ type: 'string', maxLength }) as const;
const strings = (maxItems: number, maxLength: number) => ({ type: 'array', maxItems, items: str(maxLength) }) as const;
const errorRef = { $ref: 'Error#' } as const;
const oauthErrors = { 400: errorRef, 401: errorRef, 403: errorRef, 404: errorRef, 503: errorRef } as const;

const metadataSchema = {
  type: 'object',
  properties: {
    issuer: { type: 'string' },
    authorization_endpoint: { type: 'string' },
    token_endpoint: { type: 'string' },
    revocation_endpoint: { type: 'string' },
    registration_endpoint: { type: 'string' },
    jwks_uri: { type: 'string' },
    response_types_supported: { type: 'array', items: { type: 'string' } },
    response_modes_supported: { type: 'array', items: { type: 'string' } },
    grant_types_supported: { type: 'array', items: { type: 'string' } },
    code_challenge_methods_supported: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    revocation_endpoint_auth_methods_supported: { type: 'array', items: { type: 'string' } },
    authorization_response_iss_parameter_supported: { type: 'boolean' },
  },
} as const;

const jwksSchema = {
  type: 'object',
  required: ['keys'],
  properties: {
    keys: {
      type: 'array',
      items: {
        type: 'object',
        required: ['kty', 'crv', 'x', 'y', 'kid', 'alg', 'use'],
        properties: { kty: { type: 'string' }, crv: { type: 'string' }, x: { type: 'string' }, y: { type: 'string' }, kid: { type: 'string' }, alg: { type: 'string' }, use: { type: 'string' } },
      },
    },
  },
} as const;

/** Unknown parameters are allowed (and ignored), as RFC 6749 §3.1 asks; every value is a bounded string. */
const formBody = (required: readonly string[], names: readonly string[]) => ({
  type: 'object',
  required,
  properties: Object.fromEntries(names.map((name) => [name, str(4096)])),
  additionalProperties: str(4096),
}) as const;

const clientAuthFields = ['client_id', 'client_secret'] as const;

const tokenResponseSchema = {
  type: 'object',
  required: ['access_token', 'token_type', 'expires_in', 'scope'],
  properties: { access_token: { type: 'string' }, token_type: { type: 'string' }, expires_in: { type: 'integer' }, scope: { type: 'string' }, refresh_token: { type: 'string' } },
} as const;

const registrationBody = {
  type: 'object',
  properties: {
    redirect_uris: strings(10, 2048),
    token_endpoint_auth_method: str(64),
    grant_types: strings(10, 128),
    response_types: strings(10, 128),
    client_name: str(256),
    application_type: { type: 'string', enum: ['native', 'web'] },
  },
} as const;

const registrationResponse = {
  type: 'object',
  required: ['client_id', 'client_id_issued_at', 'client_name', 'redirect_uris', 'token_endpoint_auth_method', 'grant_types', 'response_types'],
  properties: {
    client_id: { type: 'string' },
    client_secret: { type: 'string' },
    client_secret_expires_at: { type: 'integer' },
    client_id_issued_at: { type: 'integer' },
    client_name: { type: 'string' },
    redirect_uris: { type: 'array', items: { type: 'string' } },
    token_endpoint_auth_method: { type: 'string' },
    grant_types: { type: 'array', items: { type: 'string' } },
    response_types: { type: 'array', items: { type: 'string' } },
  },
} as const;

const authorizeQuery = {
  type: 'object',
  properties: Object.fromEntries(['response_type', 'client_id', 'redirect_uri', 'scope', 'state', 'code_challenge', 'code_challenge_method', 'resource'].map((name) => [name, str(2048)])),
} as const;

const consentParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' } } } as const;

const consentStatusSchema = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', enum: ['pending', 'approved', 'denied', 'expired'] }, redirect_to: { type: 'string' } },
} as const;

const grantSchema = {
  type: 'object',
  required: ['connection', 'scopes'],
  additionalProperties: false,
  properties: {
    connection: { type: 'string', minLength: 1, maxLength: 64 },
    // RFC 6749 scope-token characters, so that every grant can travel as a `scope` value.
    scopes: { type: 'array', minItems: 1, maxItems: 200, items: { type: 'string', minLength: 1, maxLength: 512, pattern: '^[\\x21\\x23-\\x5b\\x5d-\\x7e]+$' } },
  },
} as const;
const grantsSchema = { type: 'array', maxItems: 100, items: grantSchema } as const;
const grantListSchema = {
  type: 'array',
  items: { type: 'object', required: ['connection', 'scopes'], properties: { connection: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } } },
} as const;

const agentSchema = {
  type: 'object',
  required: ['id', 'name', 'client_id', 'status', 'grants', 'rate_limit_per_minute', 'created_at', 'updated_at', 'registered_via', 'redirect_uris'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    client_id: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'active', 'revoked'] },
    grants: grantListSchema,
    rate_limit_per_minute: { type: ['integer', 'null'] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    registered_via: { type: 'string', enum: ['admin', 'dcr'] },
    redirect_uris: { type: 'array', items: { type: 'string' } },
  },
} as const;

const createdAgentSchema = {
  ...agentSchema,
  required: [...agentSchema.required, 'client_secret'],
  properties: { ...agentSchema.properties, client_secret: { type: 'string', description: 'Shown once: only its hash is kept' } },
} as const;

const approvalSchema = {
  type: 'object',
  required: ['id', 'agent_id', 'agent_name', 'client_id', 'registered_via', 'redirect_hosts', 'status', 'requested_scope', 'requested_grants', 'redirect_uri', 'created_at', 'expires_at', 'decided_at', 'granted'],
  properties: {
    id: { type: 'string' },
    agent_id: { type: 'string' },
    agent_name: { type: 'string' },
    client_id: { type: 'string' },
    registered_via: { type: 'string', enum: ['admin', 'dcr'] },
    redirect_hosts: { type: 'array', items: { type: 'string' } },
    status: { type: 'string', enum: ['pending', 'approved', 'denied', 'expired'] },
    requested_scope: { type: 'string' },
    requested_grants: grantListSchema,
    redirect_uri: { type: 'string' },
    created_at: { type: 'string', format: 'date-time' },
    expires_at: { type: 'string', format: 'date-time' },
    decided_at: { type: ['string', 'null'], format: 'date-time' },
    granted: { anyOf: [{ type: 'null' }, grantListSchema] },
  },
} as const;

const rateLimitSchema = { type: ['integer', 'null'], minimum: 1, maximum: 1_000_000 } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', minLength: 1, maxLength: 64 } } } as const;
const pausedSchema = { type: 'object', required: ['paused'], properties: { paused: { type: 'boolean' } } } as const;
const adminErrors = { ...errorResponses, 403: errorRef } as const;

// ── Helpers ─────────────────────────────────────────────────────────────────

/** RFC 6749 §3.1/§3.2: form parameters, each at most once. */
function parseForm(_request: FastifyRequest, body: string, done: (error: Error | null, value?: Record<string, string>) => void): void {
  const params = new URLSearchParams(body);
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) return done(new LatchkeyError('invalid_request', `Parameter "${key.slice(0, 64)}" is repeated`, 400));
    seen.add(key);
  }
  done(null, Object.fromEntries(params));
}

const mediaType = (request: FastifyRequest): string => (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const requireMediaType = (type: string) => async (request: FastifyRequest): Promise<void> => {
  if (mediaType(request) !== type) throw new LatchkeyError('invalid_request', `The body must be ${type}`, 400);
};

/** Errors at the OAuth endpoints: RFC 6749 §5.2 `{error, error_description}`, never cached. */
const oauthErrorHandler = (validationCode: string) => (error: FastifyError | LatchkeyError, _request: FastifyRequest, reply: FastifyReply) => {
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  if (error instanceof LatchkeyError) {
    // RFC 6749 §5.2: a failed client authentication is a 401 with an HTTP Basic challenge.
    if (error.status === 401) reply.header('www-authenticate', 'Basic realm="latchkey", charset="UTF-8"');
    return reply.code(error.status).send(error.toJSON());
  }
  if (error.validation) {
    const issue = error.validation[0];
    return reply.code(400).send({ error: validationCode, error_description: `${error.validationContext ?? 'request'}${issue?.instancePath ?? ''} ${issue?.message ?? 'is invalid'}` });
  }
  if (error.statusCode && error.statusCode < 500) return reply.code(error.statusCode).send({ error: 'invalid_request', error_description: error.message });
  return reply.code(500).send({ error: 'server_error', error_description: 'Latchkey failed to handle this request; see its log.' });
};

const pageHeaders = (reply: FastifyReply, csp: string): FastifyReply => reply
  .type('text/html; charset=utf-8')
  .header('content-security-policy', csp)
  .header('x-frame-options', 'DENY')
  .header('x-content-type-options', 'nosniff')
  .header('referrer-policy', 'no-referrer')
  .header('cache-control', 'no-store');

/**
 * Errors of the browser-facing pages, before a redirect URI is trusted: an HTML page,
 * never a redirect (RFC 6749 §4.1.2.1), so a forged request cannot bounce a browser elsewhere.
 */
function pageErrorHandler(error: FastifyError | LatchkeyError, _request: FastifyRequest, reply: FastifyReply) {
  const known = error instanceof LatchkeyError ? error : error.validation ? new LatchkeyError('invalid_request', 'The request has a malformed or repeated parameter', 400) : undefined;
  const status = known ? known.status : 500;
  return pageHeaders(reply.code(status), PAGE_CSP).send(resultPage({
    ok: false,
    title: 'This request cannot continue',
    lines: known ? [known.message, `Error: ${known.code}`, 'Go back to the application that sent you here.'] : ['Latchkey failed to handle this request; see its log.'],
  }));
}

// ── Public endpoints ────────────────────────────────────────────────────────

/**
 * The authorization server's public surface at the root: RFC 8414 metadata, JWKS, the
 * token, revocation, registration and authorization endpoints, and the consent page.
 * Nothing here can approve a request: decisions come only through agentAdminRoutes.
 */
export async function authzRoutes(app: FastifyInstance, { authority }: AuthzRoutesOptions): Promise<void> {
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: FORM_LIMIT }, parseForm);
  app.setErrorHandler(oauthErrorHandler('invalid_request'));

  // RFC 8414 and OpenID Connect discovery serve the same document: MCP clients try both.
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, { schema: { hide: true, response: { 200: metadataSchema } } }, async (request) => authority.metadata(authority.addressedIssuer(request.headers.host)));
  }

  app.get('/oauth/jwks.json', { schema: { hide: true, response: { 200: jwksSchema } } }, async () => authority.jwks());

  app.post<{ Body: Record<string, string> }>('/oauth/token', {
    schema: {
      hide: true,
      body: formBody(['grant_type'], ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'resource', ...clientAuthFields]),
      response: { 200: tokenResponseSchema, ...oauthErrors },
    },
    preValidation: requireMediaType(FORM),
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return authority.token({ params: request.body, authorization: request.headers.authorization });
  });

  app.post<{ Body: Record<string, string> }>('/oauth/revoke', {
    schema: { hide: true, body: formBody(['token'], ['token', 'token_type_hint', ...clientAuthFields]), response: { 200: { type: 'object' }, ...oauthErrors } },
    preValidation: requireMediaType(FORM),
  }, async (request, reply) => {
    await authority.revoke({ params: request.body, authorization: request.headers.authorization });
    return reply.header('cache-control', 'no-store').send({});
  });

  app.post<{ Body: ClientMetadata }>('/oauth/register', {
    schema: { hide: true, body: registrationBody, response: { 201: registrationResponse, ...oauthErrors } },
    preValidation: requireMediaType('application/json'),
    errorHandler: oauthErrorHandler('invalid_client_metadata'),
  }, async (request, reply) => reply.code(201).header('cache-control', 'no-store').header('pragma', 'no-cache').send(await authority.register(request.body)));

  app.get<{ Querystring: Record<string, string | undefined> }>('/oauth/authorize', {
    schema: { hide: true, querystring: authorizeQuery },
    errorHandler: pageErrorHandler,
  }, async (request, reply) => {
    const { location } = await authority.authorize(request.query, authority.addressedIssuer(request.headers.host));
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(location, 302);
  });

  app.get('/consent/consent.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(CONSENT_SCRIPT));

  app.get<{ Params: { id: string } }>('/consent/:id', {
    schema: { hide: true, params: consentParams },
    errorHandler: pageErrorHandler,
  }, async (request, reply) => pageHeaders(reply, CONSENT_CSP).send(consentPage(authority.consent(request.params.id))));

  app.get<{ Params: { id: string } }>('/consent/:id/status', {
    schema: { hide: true, params: consentParams, response: { 200: consentStatusSchema, ...oauthErrors } },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return authority.consentStatus(request.params.id, authority.addressedIssuer(request.headers.host));
  });
}

// ── Admin endpoints ─────────────────────────────────────────────────────────

/** Agents, approvals, the kill switch and key rotation; registered inside the admin scope (/admin/api, admin token enforced there). */
export async function agentAdminRoutes(app: FastifyInstance, { authority }: AuthzRoutesOptions): Promise<void> {
  app.post<{ Body: { name: string; grants: Grant[]; rate_limit_per_minute?: number | null } }>('/agents', {
    schema: {
      tags: ['agents'],
      summary: 'Create an agent (client_credentials); the client secret is shown once',
      body: {
        type: 'object',
        required: ['name', 'grants'],
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, grants: grantsSchema, rate_limit_per_minute: rateLimitSchema },
      },
      response: { 201: createdAgentSchema, ...adminErrors },
    },
  }, async (request, reply) => {
    const { agent, client_secret } = await authority.createAgent(request.body);
    return reply.code(201).header('cache-control', 'no-store').send({ ...agent, client_secret });
  });

  app.get('/agents', {
    schema: { tags: ['agents'], summary: 'Agents (never their secrets)', response: { 200: { type: 'object', required: ['agents'], properties: { agents: { type: 'array', items: agentSchema } } }, ...adminErrors } },
  }, async () => ({ agents: authority.listAgents() }));

  app.get<{ Params: { id: string } }>('/agents/:id', {
    schema: { tags: ['agents'], summary: 'One agent', params: idParams, response: { 200: agentSchema, ...adminErrors } },
  }, async (request) => authority.getAgent(request.params.id));

  app.patch<{ Params: { id: string }; Body: { name?: string; grants?: Grant[]; rate_limit_per_minute?: number | null } }>('/agents/:id', {
    schema: {
      tags: ['agents'],
      summary: 'Rename, change grants (narrowing applies to existing tokens at once) or the rate limit',
      params: idParams,
      body: {
        type: 'object',
        minProperties: 1,
        additionalProperties: false,
        properties: { name: { type: 'string', minLength: 1, maxLength: 64 }, grants: grantsSchema, rate_limit_per_minute: rateLimitSchema },
      },
      response: { 200: agentSchema, ...adminErrors },
    },
  }, async (request) => authority.updateAgent(request.params.id, request.body));

  app.post<{ Params: { id: string } }>('/agents/:id/revoke', {
    schema: { tags: ['agents'], summary: 'Revoke an agent: its tokens stop working immediately', params: idParams, response: { 200: agentSchema, ...adminErrors } },
  }, async (request) => authority.revokeAgent(request.params.id));

  app.delete<{ Params: { id: string } }>('/agents/:id', {
    schema: { tags: ['agents'], summary: 'Delete an agent and its tokens', params: idParams, response: { 200: { type: 'object', required: ['deleted'], properties: { deleted: { type: 'boolean' } } }, ...adminErrors } },
  }, async (request) => {
    await authority.deleteAgent(request.params.id);
    return { deleted: true };
  });

  app.post<{ Params: { id: string } }>('/agents/:id/token', {
    schema: {
      tags: ['agents'],
      summary: 'Mint an access token for an agent (used by `latchkey exec`)',
      params: idParams,
      response: { 200: tokenResponseSchema, ...adminErrors },
    },
  }, async (request, reply) => reply.header('cache-control', 'no-store').send(await authority.mintAccessToken(request.params.id)));

  app.post<{ Body: { agent: string } }>('/agent-tokens', {
    schema: {
      tags: ['agents'],
      summary: 'Mint an access token for an active agent, by name (what `latchkey exec` asks over the control socket)',
      body: { type: 'object', required: ['agent'], additionalProperties: false, properties: { agent: { type: 'string', minLength: 1, maxLength: 64 } } },
      response: { 200: tokenResponseSchema, ...adminErrors },
    },
  }, async (request, reply) => reply.header('cache-control', 'no-store').send(await authority.mintAccessToken(authority.agentNamed(request.body.agent).id)));

  app.get('/approvals', {
    schema: { tags: ['approvals'], summary: 'Authorization requests of interactive agents, pending first', response: { 200: { type: 'object', required: ['approvals'], properties: { approvals: { type: 'array', items: approvalSchema } } }, ...adminErrors } },
  }, async () => ({ approvals: authority.listApprovals() }));

  app.post<{ Params: { id: string }; Body: { decision: 'approve' | 'deny'; grants?: Grant[] } }>('/approvals/:id', {
    schema: {
      tags: ['approvals'],
      summary: 'Approve (optionally with other grants than asked) or deny a request',
      params: idParams,
      body: { type: 'object', required: ['decision'], additionalProperties: false, properties: { decision: { type: 'string', enum: ['approve', 'deny'] }, grants: grantsSchema } },
      response: { 200: approvalSchema, ...adminErrors },
    },
  }, async (request) => authority.decide(request.params.id, request.body.decision, request.body.grants));

  app.get('/pause', { schema: { tags: ['control'], summary: 'Whether agents are paused', response: { 200: pausedSchema, ...adminErrors } } }, async () => ({ paused: authority.paused }));

  app.post('/pause', { schema: { tags: ['control'], summary: 'Kill switch: refuse every agent request', response: { 200: pausedSchema, ...adminErrors } } }, async () => {
    await authority.pause();
    return { paused: authority.paused };
  });

  app.post('/resume', { schema: { tags: ['control'], summary: 'Let agents work again', response: { 200: pausedSchema, ...adminErrors } } }, async () => {
    await authority.resume();
    return { paused: authority.paused };
  });

  app.post('/keys/rotate', {
    schema: { tags: ['control'], summary: 'Rotate the access-token signing key (old tokens stay valid until they expire)', response: { 200: { type: 'object', required: ['kid'], properties: { kid: { type: 'string' } } }, ...adminErrors } },
  }, async () => authority.rotateSigningKey());
}
