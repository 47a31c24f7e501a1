import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { LatchkeyError } from '../errors.js';
import { isFromForeignPage, isLoopbackHost } from '../net.js';
import { MAX_HEADER_FIELDS } from './bounded-server.js';

export type IsControl = (request: { raw: IncomingMessage }) => boolean;

/**
 * Every request: at most MAX_HEADER_FIELDS header fields, and (off the control socket) a
 * Host header naming a loopback host at the broker's port. DNS rebinding: a page on
 * evil.example resolving to 127.0.0.1 sends Host: evil.example.
 */
export function hostGuard(isControl: IsControl, boundPort: () => number) {
  return async (request: FastifyRequest): Promise<void> => {
    // A field past the limit would be dropped by the parser: an Origin hidden behind 100 others would go unseen.
    if (request.raw.rawHeaders.length / 2 > MAX_HEADER_FIELDS) {
      throw new LatchkeyError(
        'too_many_headers',
        `A request may carry at most ${MAX_HEADER_FIELDS} header fields.`,
        431,
      );
    }
    if (isControl(request)) return;
    const host = request.headers.host ?? '';
    const match = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(host);
    if (!match || !isLoopbackHost(match[1] as string) || Number(match[2] ?? 80) !== boundPort()) {
      throw new LatchkeyError(
        'invalid_host',
        'Latchkey answers only requests addressed to its loopback host and port.',
        421,
      );
    }
  };
}

/**
 * Any web page can make the browser call 127.0.0.1: only the dashboard's own origin may use the admin
 * surface. Checked after routing (a scope's hook), so every spelling of its URLs is covered: %61dmin,
 * absolute-form targets. The proxy checks its own (and audits the refusal).
 */
export function ownPagesOnly(isControl: IsControl) {
  return async (request: FastifyRequest): Promise<void> => {
    if (!isControl(request) && isFromForeignPage(request.headers)) {
      throw new LatchkeyError('forbidden_origin', 'Requests from web pages of other origins are refused.', 403);
    }
  };
}
