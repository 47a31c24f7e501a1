import type { FastifyError, FastifyInstance } from 'fastify';
import { LatchkeyError } from '../errors.js';

/** Every failure in the broker's JSON error shape; an unexpected one is logged (never the request's headers or body) and answered 500. */
export function installErrorHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError | LatchkeyError, request, reply) => {
    if (error instanceof LatchkeyError) return reply.code(error.status).send(error.toJSON());
    if (error.validation) {
      return reply.code(400).send({
        error: 'invalid_request',
        error_description:
          `${error.validationContext ?? 'request'} ${error.validation[0]?.instancePath ?? ''} ${error.validation[0]?.message ?? error.message}`
            .replace(/\s+/g, ' ')
            .trim(),
      });
    }
    if (error.statusCode && error.statusCode < 500) {
      return reply.code(error.statusCode).send({
        error: error.code?.toLowerCase().replace(/^fst_err_/, '') ?? 'invalid_request',
        error_description: error.message,
      });
    }
    request.log.error(
      {
        method: request.method,
        route: request.routeOptions.url,
        error: { name: error.name, code: error.code, message: error.message },
      },
      'internal error',
    );
    return reply
      .code(500)
      .send({ error: 'internal_error', error_description: 'Latchkey failed to handle this request; see its log.' });
  });
  app.setNotFoundHandler((request, reply) =>
    reply
      .code(404)
      .send({ error: 'not_found', error_description: `No route ${request.method} ${request.url.split('?')[0]}` }),
  );
}
