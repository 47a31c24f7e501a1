import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { LatchkeyError } from '../errors.js';
import { PAGE_CSP, resultPage } from '../http/pages.js';

/** A 500 says "see its log": so the log says what failed (the error only: never the request's headers or body). */
function logUnexpected(request: FastifyRequest, error: Error): void {
  request.log.error(
    { method: request.method, route: request.routeOptions.url, error: { name: error.name, message: error.message } },
    'authorization server request failed',
  );
}

/** Errors at the OAuth endpoints: RFC 6749 §5.2 `{error, error_description}`, never cached. */
export const oauthErrorHandler =
  (validationCode: string) => (error: FastifyError | LatchkeyError, request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    if (error instanceof LatchkeyError) {
      // RFC 6749 §5.2: a failed client authentication is a 401 with an HTTP Basic challenge.
      if (error.status === 401) reply.header('www-authenticate', 'Basic realm="latchkey", charset="UTF-8"');
      return reply.code(error.status).send(error.toJSON());
    }
    if (error.validation) {
      const issue = error.validation[0];
      return reply.code(400).send({
        error: validationCode,
        error_description: `${error.validationContext ?? 'request'}${issue?.instancePath ?? ''} ${issue?.message ?? 'is invalid'}`,
      });
    }
    if (error.statusCode && error.statusCode < 500)
      return reply.code(error.statusCode).send({ error: 'invalid_request', error_description: error.message });
    logUnexpected(request, error);
    return reply
      .code(500)
      .send({ error: 'server_error', error_description: 'Latchkey failed to handle this request; see its log.' });
  };

/** The headers of every HTML page of the authorization server: no framing, no sniffing, no referrer, no caching. */
export const pageHeaders = (reply: FastifyReply, csp: string): FastifyReply =>
  reply
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
export function pageErrorHandler(error: FastifyError | LatchkeyError, request: FastifyRequest, reply: FastifyReply) {
  const known =
    error instanceof LatchkeyError
      ? error
      : error.validation
        ? new LatchkeyError('invalid_request', 'The request has a malformed or repeated parameter', 400)
        : undefined;
  const status = known ? known.status : 500;
  if (!known) logUnexpected(request, error);
  return pageHeaders(reply.code(status), PAGE_CSP).send(
    resultPage({
      ok: false,
      title: 'This request cannot continue',
      lines: known
        ? [known.message, `Error: ${known.code}`, 'Go back to the application that sent you here.']
        : ['Latchkey failed to handle this request; see its log.'],
    }),
  );
}
