import type { FastifyRequest } from 'fastify';
import { LatchkeyError } from '../errors.js';

/** OAuth endpoints take form bodies (RFC 6749 §3.2); this one media type, this large at most. */
export const FORM = 'application/x-www-form-urlencoded';
export const FORM_LIMIT = 64 * 1024;

/** RFC 6749 §3.1/§3.2: form parameters, each at most once. */
export function parseForm(
  _request: FastifyRequest,
  body: string,
  done: (error: Error | null, value?: Record<string, string>) => void,
): void {
  const params = new URLSearchParams(body);
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key))
      return done(new LatchkeyError('invalid_request', `Parameter "${key.slice(0, 64)}" is repeated`, 400));
    seen.add(key);
  }
  done(null, Object.fromEntries(params));
}

const mediaType = (request: FastifyRequest): string =>
  (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** A preValidation hook: 400 invalid_request unless the body is of `type`. */
export const requireMediaType =
  (type: string) =>
  async (request: FastifyRequest): Promise<void> => {
    if (mediaType(request) !== type) throw new LatchkeyError('invalid_request', `The body must be ${type}`, 400);
  };
