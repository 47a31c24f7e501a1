import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { isLatchkeyError } from '../errors.js';
import type { Exchange } from '../proxy/respond.js';
import { askFirstUnavailable } from './errors.js';
import type { AskedCall, AskFirst } from './gate.js';

/**
 * The proxy's one step for ask-first grants, called only for agents whose grants name ask
 * scopes: holds a call that needs one until the person answers (or throws their no, the
 * timeout, or the agent's going away), and notes the approval in the call's audit entry.
 */
export async function holdIfAsked(
  gate: AskFirst | undefined,
  input: AskedCall & { exchange: Exchange },
): Promise<void> {
  // Fail closed: a grant that asks is never let through by a broker that cannot ask.
  if (!gate) throw askFirstUnavailable();
  const { exchange, ...asked } = input;
  let verdict: Awaited<ReturnType<AskFirst['admit']>>;
  try {
    verdict = await gate.admit(asked);
  } catch (error) {
    // No answer in time: the agent learns when to ask again, as with a rate limit.
    if (isLatchkeyError(error) && error.code === 'approval_timeout')
      exchange.headers['retry-after'] = String(error.details.retry_after);
    throw error;
  }
  if (verdict)
    exchange.entry.reason = `call approval ${verdict.approval_id} approved ${verdict.for === '1h' ? 'for 1 hour' : verdict.for}`;
}

/** The body size a request announces (Content-Length), null when it announces none. */
export function declaredBodyBytes(headers: IncomingHttpHeaders): number | null {
  const length = Number(headers['content-length']);
  return headers['content-length'] !== undefined && Number.isSafeInteger(length) && length >= 0 ? length : null;
}

/** Aborts when the response closes before it was finished: the agent went away. */
export function agentGone(res: ServerResponse): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => controller.abort());
  return controller.signal;
}
