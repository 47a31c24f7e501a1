import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LatchkeyError } from '../errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * The admin token is accepted only from the Authorization header (never a query string
 * or cookie, which other origins can plant) and compared in constant time: hashing both
 * sides first makes the comparison independent of the presented token's length.
 */
export function adminAuthHook(adminToken: string, isControl: (request: FastifyRequest) => boolean) {
  const expected = digest(adminToken);
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    if (isControl(request)) return; // the control socket's file permissions already admitted the caller
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) {
      throw new LatchkeyError('missing_token', 'The admin API needs "Authorization: Bearer <admin token>" (printed by `latchkey serve` in the dashboard link).', 401);
    }
    if (!timingSafeEqual(digest(match[1]), expected)) {
      throw new LatchkeyError('invalid_token', 'The admin token is not valid for this Latchkey (it changes at every start unless LATCHKEY_ADMIN_TOKEN is set).', 401);
    }
  };
}
