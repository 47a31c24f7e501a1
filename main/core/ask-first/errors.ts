import { LatchkeyError } from '../errors.js';

/** The ask-first refusals an agent can get; /llms.txt says what to do about each. */

export const callDenied = (approvalId: string, summary: string): LatchkeyError =>
  new LatchkeyError(
    'call_denied',
    `The person denied this call (${summary}). Do not retry it unless they ask you to.`,
    403,
    { approval_id: approvalId },
  );

export const approvalTimeout = (approvalId: string, waitedSeconds: number, retryAfter: number): LatchkeyError =>
  new LatchkeyError(
    'approval_timeout',
    `This call needs the person's approval and nobody answered within ${waitedSeconds} s. Retry after ${retryAfter} s: it will wait for them again.`,
    403,
    { approval_id: approvalId, retry_after: retryAfter },
  );

export const stopping = (): LatchkeyError =>
  new LatchkeyError(
    'temporarily_unavailable',
    "Latchkey is stopping, so this call can no longer wait for the person's approval; retry once it runs again.",
    503,
  );

export const callApprovalNotFound = (id: string): LatchkeyError =>
  new LatchkeyError(
    'unknown_approval',
    `No approval request ${id} is waiting: it was decided, timed out, or its agent went away. GET /admin/api/approvals lists those that wait.`,
    404,
  );

export const callApprovalDecided = (id: string): LatchkeyError =>
  new LatchkeyError('approval_decided', `Call approval ${id} is being decided already`, 409);

/** A grant names ask scopes, but this broker was built without the ask-first gate: refused rather than let through unasked. */
export const askFirstUnavailable = (): LatchkeyError =>
  new LatchkeyError(
    'internal_error',
    "This call needs the person's approval, but Latchkey cannot ask for it here.",
    500,
  );
