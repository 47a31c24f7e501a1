import type { FastifyInstance } from 'fastify';
import { CONSENT_CSP, CONSENT_SCRIPT, consentPage } from './consent-page.js';
import { oauthErrorHandler, pageErrorHandler, pageHeaders } from './error-handlers.js';
import { FORM, FORM_LIMIT, formBody, parseForm, requireMediaType } from './form-body.js';
import type { Authz } from './open-authz.js';
import type { ClientMetadata } from './registration.js';
import { errorRef, str, strings, tokenResponseSchema } from './route-schemas.js';

/** What the public surface needs of authz: nothing of the admin side. */
export type OAuthRoutesOptions = Pick<Authz, 'metadata' | 'signingKeys' | 'tokenEndpoint' | 'revocation' | 'registration' | 'authorization' | 'consent'>;

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


const clientAuthFields = ['client_id', 'client_secret'] as const;


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

// ── Public endpoints ────────────────────────────────────────────────────────

/**
 * The authorization server's public surface at the root: RFC 8414 metadata, JWKS, the
 * token, revocation, registration and authorization endpoints, and the consent page.
 * Nothing here can approve a request: decisions come only through the admin routes (admin-routes.ts).
 */
export async function oauthRoutes(app: FastifyInstance, authz: OAuthRoutesOptions): Promise<void> {
  const { metadata, signingKeys, tokenEndpoint, revocation, registration, authorization, consent } = authz;
  app.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: FORM_LIMIT }, parseForm);
  app.setErrorHandler(oauthErrorHandler('invalid_request'));

  // RFC 8414 and OpenID Connect discovery serve the same document: MCP clients try both.
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    app.get(path, { schema: { hide: true, response: { 200: metadataSchema } } }, async (request) => metadata.document(metadata.addressedIssuer(request.headers.host)));
  }

  app.get('/oauth/jwks.json', { schema: { hide: true, response: { 200: jwksSchema } } }, async () => signingKeys.jwks());

  app.post<{ Body: Record<string, string> }>('/oauth/token', {
    schema: {
      hide: true,
      body: formBody(['grant_type'], ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'resource', ...clientAuthFields]),
      response: { 200: tokenResponseSchema, ...oauthErrors },
    },
    preValidation: requireMediaType(FORM),
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    return tokenEndpoint.token({ params: request.body, authorization: request.headers.authorization });
  });

  app.post<{ Body: Record<string, string> }>('/oauth/revoke', {
    schema: { hide: true, body: formBody(['token'], ['token', 'token_type_hint', ...clientAuthFields]), response: { 200: { type: 'object' }, ...oauthErrors } },
    preValidation: requireMediaType(FORM),
  }, async (request, reply) => {
    await revocation.revoke({ params: request.body, authorization: request.headers.authorization });
    return reply.header('cache-control', 'no-store').send({});
  });

  app.post<{ Body: ClientMetadata }>('/oauth/register', {
    schema: { hide: true, body: registrationBody, response: { 201: registrationResponse, ...oauthErrors } },
    preValidation: requireMediaType('application/json'),
    errorHandler: oauthErrorHandler('invalid_client_metadata'),
  }, async (request, reply) => reply.code(201).header('cache-control', 'no-store').header('pragma', 'no-cache').send(await registration.register(request.body)));

  app.get<{ Querystring: Record<string, string | undefined> }>('/oauth/authorize', {
    schema: { hide: true, querystring: authorizeQuery },
    errorHandler: pageErrorHandler,
  }, async (request, reply) => {
    const { location } = await authorization.authorize(request.query, metadata.addressedIssuer(request.headers.host));
    return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(location, 302);
  });

  app.get('/consent/consent.js', { schema: { hide: true } }, async (_request, reply) =>
    reply.type('text/javascript; charset=utf-8').header('x-content-type-options', 'nosniff').header('cache-control', 'no-cache').send(CONSENT_SCRIPT));

  app.get<{ Params: { id: string } }>('/consent/:id', {
    schema: { hide: true, params: consentParams },
    errorHandler: pageErrorHandler,
  }, async (request, reply) => pageHeaders(reply, CONSENT_CSP).send(consentPage(consent.details(request.params.id))));

  app.get<{ Params: { id: string } }>('/consent/:id/status', {
    schema: { hide: true, params: consentParams, response: { 200: consentStatusSchema, ...oauthErrors } },
  }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    return consent.status(request.params.id, metadata.addressedIssuer(request.headers.host));
  });
}
