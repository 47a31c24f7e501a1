import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LatchkeyError } from '../errors.js';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * What the control socket answers without the admin token: exactly what `latchkey exec`
 * needs (the broker's status, a token or session of an agent that is already active). Any process of
 * the person's user can open the socket, so nothing here may change who may do what:
 * approvals, agents, grants, resume, connections and secrets need the admin token there too.
 */
const CONTROL_SOCKET_ROUTES: ReadonlySet<string> = new Set([
  'GET /admin/api/status',
  'POST /admin/api/agent-tokens',
  // Exec sessions (main/core/sessions): holding and finishing one need its token.
  'POST /admin/api/sessions',
  'POST /admin/api/sessions/:id/hold',
  'POST /admin/api/sessions/:id/finish',
]);

/**
 * The admin token is accepted only from the Authorization header (never a query string
 * or cookie, which other origins can plant) and compared in constant time: hashing both
 * sides first makes the comparison independent of the presented token's length.
 */
export function adminAuthHook(adminToken: string, isControl: (request: FastifyRequest) => boolean) {
  const expected = digest(adminToken);
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<void> => {
    const control = isControl(request);
    if (control && CONTROL_SOCKET_ROUTES.has(`${request.method} ${request.routeOptions.url ?? ''}`)) return;
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!match?.[1]) {
      const routes = [...CONTROL_SOCKET_ROUTES];
      const onSocket = control
        ? ` Without it the control socket answers only ${routes.slice(0, -1).join(', ')} and ${routes.at(-1)}.`
        : '';
      throw new LatchkeyError(
        'missing_token',
        `The admin API needs "Authorization: Bearer <admin token>" (printed by \`latchkey serve\` in the dashboard link).${onSocket}`,
        401,
      );
    }
    if (!timingSafeEqual(digest(match[1]), expected)) {
      throw new LatchkeyError(
        'invalid_token',
        'The admin token is not valid for this Latchkey (it changes at every start unless LATCHKEY_ADMIN_TOKEN is set).',
        401,
      );
    }
  };
}
