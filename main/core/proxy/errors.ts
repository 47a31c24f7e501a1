import { LatchkeyError } from '../errors.js';

/** The proxy's own refusals; every code is listed in /llms.txt with what an agent should do. */

export const missingToken = (): LatchkeyError =>
  new LatchkeyError(
    'missing_token',
    'Send "Authorization: Bearer <agent token>"; get a token from Latchkey\'s token endpoint.',
    401,
  );

export const forbiddenOrigin = (): LatchkeyError =>
  new LatchkeyError(
    'forbidden_origin',
    'Browser requests from other origins are refused: agents call Latchkey directly, not through web pages.',
    403,
  );

export const paused = (): LatchkeyError =>
  new LatchkeyError('paused', 'Latchkey is paused: agents can do nothing until the person resumes it.', 403);

export const invalidPath = (reason: string): LatchkeyError =>
  new LatchkeyError(
    'invalid_path',
    `The proxy path is refused: ${reason}. Call /proxy/<connection>/<path> with a plain path.`,
    400,
  );

/** `/proxy/<connection>:<base>/…` named a base the connection's provider does not have. */
export const unknownBase = (connection: string, base: string, bases: string[]): LatchkeyError =>
  new LatchkeyError(
    'unknown_base',
    `"${connection}" has no API base "${base}"; use /proxy/${connection}/… for the default base or /proxy/${connection}:<base>/… with one of: ${bases.join(', ')}.`,
    404,
    {
      connection,
      base,
      bases,
    },
  );

/** `allConnectionScopes`: a matching rule (GraphQL, batch) needs a grant covering every scope the connection holds. */
export const insufficientScope = (input: {
  connection: string;
  method: string;
  path: string;
  required: string[];
  granted: string[];
  noRule: boolean;
  allConnectionScopes: boolean;
}): LatchkeyError =>
  new LatchkeyError(
    'insufficient_scope',
    input.noRule
      ? `${input.method} ${input.path} is not an endpoint Latchkey allows on "${input.connection}" (no rule for this endpoint)`
      : input.allConnectionScopes
        ? `${input.method} ${input.path} on "${input.connection}" can do anything the connection can, so it needs a grant covering every scope the connection holds (${input.required.join(', ') || 'none'}) or "*"; ask the person for that grant`
        : `${input.method} ${input.path} on "${input.connection}" needs one of the scopes ${input.required.join(', ')}; ask the person to grant one`,
    403,
    {
      required_scopes: input.required,
      granted_scopes: input.granted,
      connection: input.connection,
      ...(input.allConnectionScopes ? { requires: 'all_connection_scopes' } : {}),
    },
  );

export const rateLimitExceeded = (limit: number, retryAfter: number): LatchkeyError =>
  new LatchkeyError(
    'rate_limit_exceeded',
    `This agent may make ${limit} requests a minute; retry after ${retryAfter} s.`,
    429,
    {
      limit,
      retry_after: retryAfter,
    },
  );

export const upstreamUnreachable = (reason: string): LatchkeyError =>
  new LatchkeyError('upstream_unreachable', `The provider's API cannot be reached (${reason}).`, 502);

export const upstreamTimeout = (ms: number): LatchkeyError =>
  new LatchkeyError('upstream_timeout', `The provider's API did not answer within ${ms} ms.`, 504);

/** Not an answer (nobody is left to read it) but the audit entry's reason; 499 as nginx logs it. */
export const clientClosed = (): LatchkeyError =>
  new LatchkeyError('client_closed_request', 'The agent went away during the upload.', 499);

/** An RFC 6750 quoted-string may not hold '"' or '\\', nor anything outside printable ASCII. */
const quoted = (value: string): string => `"${value.replace(/["\\]/g, "'").replace(/[^\x20-\x7e]/g, '?')}"`;

/**
 * RFC 6750 §3: the challenge of a 401 or an insufficient_scope 403. The registered error
 * codes are `invalid_token` and `insufficient_scope`, so token_expired and token_revoked
 * are announced as invalid_token (the JSON body keeps the precise code); a request
 * without a token gets no error code at all.
 */
export function bearerChallenge(error: LatchkeyError, scopeOf: (scope: string) => string): string | undefined {
  const realm = 'Bearer realm="latchkey"';
  if (error.status === 401) {
    if (error.code === 'missing_token') return realm;
    return `${realm}, error="invalid_token", error_description=${quoted(error.message)}`;
  }
  if (error.code === 'insufficient_scope') {
    const required = Array.isArray(error.details.required_scopes) ? (error.details.required_scopes as string[]) : [];
    const scope = required.length > 0 ? `, scope=${quoted(required.map(scopeOf).join(' '))}` : '';
    return `${realm}, error="insufficient_scope", error_description=${quoted(error.message)}${scope}`;
  }
  return undefined;
}
