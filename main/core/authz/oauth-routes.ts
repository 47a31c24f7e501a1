import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import type { FastifyInstance } from 'fastify';
import {
  AuthorizationServerMetadata,
  AuthorizeQuery,
  ClientRegistration,
  ConsentParams,
  ConsentStatus,
  Jwks,
  oauthErrorResponses,
  RegisteredClient,
  RevocationForm,
  Revoked,
  TokenForm,
  TokenResponse,
} from '../../common/api/oauth.js';
import { CONSENT_CSP, CONSENT_SCRIPT, consentPage } from './consent-page.js';
import { oauthErrorHandler, pageErrorHandler, pageHeaders } from './error-handlers.js';
import { FORM, FORM_LIMIT, parseForm, requireMediaType } from './form-body.js';
import type { Authz } from './open-authz.js';

/** What the public surface needs of authz: nothing of the admin side. */
export type OAuthRoutesOptions = Pick<
  Authz,
  'metadata' | 'signingKeys' | 'tokenEndpoint' | 'revocation' | 'registration' | 'authorization' | 'consent'
>;

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
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  // RFC 8414 and OpenID Connect discovery serve the same document: MCP clients try both.
  for (const path of ['/.well-known/oauth-authorization-server', '/.well-known/openid-configuration']) {
    api.get(path, { schema: { hide: true, response: { 200: AuthorizationServerMetadata } } }, async (request) =>
      metadata.document(metadata.addressedIssuer(request.headers.host)),
    );
  }

  api.get('/oauth/jwks.json', { schema: { hide: true, response: { 200: Jwks } } }, async () => signingKeys.jwks());

  api.post(
    '/oauth/token',
    {
      schema: {
        hide: true,
        body: TokenForm,
        response: { 200: TokenResponse, ...oauthErrorResponses },
      },
      preValidation: requireMediaType(FORM),
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
      return tokenEndpoint.token({ params: request.body, authorization: request.headers.authorization });
    },
  );

  api.post(
    '/oauth/revoke',
    {
      schema: { hide: true, body: RevocationForm, response: { 200: Revoked, ...oauthErrorResponses } },
      preValidation: requireMediaType(FORM),
    },
    async (request, reply) => {
      await revocation.revoke({ params: request.body, authorization: request.headers.authorization });
      return reply.header('cache-control', 'no-store').send({});
    },
  );

  api.post(
    '/oauth/register',
    {
      schema: { hide: true, body: ClientRegistration, response: { 201: RegisteredClient, ...oauthErrorResponses } },
      preValidation: requireMediaType('application/json'),
      errorHandler: oauthErrorHandler('invalid_client_metadata'),
    },
    async (request, reply) =>
      reply
        .code(201)
        .header('cache-control', 'no-store')
        .header('pragma', 'no-cache')
        .send(await registration.register(request.body)),
  );

  api.get(
    '/oauth/authorize',
    {
      schema: { hide: true, querystring: AuthorizeQuery },
      errorHandler: pageErrorHandler,
    },
    async (request, reply) => {
      const { location } = await authorization.authorize(request.query, metadata.addressedIssuer(request.headers.host));
      return reply.header('cache-control', 'no-store').header('referrer-policy', 'no-referrer').redirect(location, 302);
    },
  );

  app.get('/consent/consent.js', { schema: { hide: true } }, async (_request, reply) =>
    reply
      .type('text/javascript; charset=utf-8')
      .header('x-content-type-options', 'nosniff')
      .header('cache-control', 'no-cache')
      .send(CONSENT_SCRIPT),
  );

  api.get(
    '/consent/:id',
    {
      schema: { hide: true, params: ConsentParams },
      errorHandler: pageErrorHandler,
    },
    async (request, reply) => pageHeaders(reply, CONSENT_CSP).send(consentPage(consent.details(request.params.id))),
  );

  api.get(
    '/consent/:id/status',
    {
      schema: { hide: true, params: ConsentParams, response: { 200: ConsentStatus, ...oauthErrorResponses } },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return consent.status(request.params.id, metadata.addressedIssuer(request.headers.host));
    },
  );
}
