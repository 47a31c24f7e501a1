import type { FastifyRequest } from 'fastify';
import { LatchkeyError } from '../errors.js';
import { str } from './route-schemas.js';

/** OAuth endpoints take form bodies (RFC 6749 §3.2); this one media type, this large at most. */
export const FORM = 'application/x-www-form-urlencoded';
export const FORM_LIMIT = 64 * 1024;

/** RFC 6749 §3.1/§3.2: form parameters, each at most once. */
export function parseForm(_request: FastifyRequest, body: string, done: (error: Error | null, value?: Record<string, string>) => void): void {
  const params = new URLSearchParams(body);
  const seen = new Set<string>();
  for (const key of params.keys()) {
    if (seen.has(key)) return done(new LatchkeyError('invalid_request', `Parameter "${key.slice(0, 64)}" is repeated`, 400));
    seen.add(key);
  }
  done(null, Object.fromEntries(params));
}

/** Unknown parameters are allowed (and ignored), as RFC 6749 §3.1 asks; every value is a bounded string. */
export const formBody = (required: readonly string[], names: readonly string[]) => ({
  type: 'object',
  required,
  properties: Object.fromEntries(names.map((name) => [name, str(4096)])),
  additionalProperties: str(4096),
}) as const;

const mediaType = (request: FastifyRequest): string => (request.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

/** A preValidation hook: 400 invalid_request unless the body is of `type`. */
export const requireMediaType = (type: string) => async (request: FastifyRequest): Promise<void> => {
  if (mediaType(request) !== type) throw new LatchkeyError('invalid_request', `The body must be ${type}`, 400);
};
