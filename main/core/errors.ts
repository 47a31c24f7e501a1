/**
 * Every failure the broker reports carries a stable machine-readable `code`
 * (the `error` field of JSON responses), a human description, the HTTP status
 * it maps to, and optional details that tell the caller what to do next.
 */
import { ERROR_CODES, type ErrorCode } from './error-codes.js';

export class LatchkeyError extends Error {
  override readonly name = 'LatchkeyError';

  constructor(
    /** One of the registry's codes (error-codes.ts), so every code the broker answers with is documented. */
    readonly code: ErrorCode,
    message: string,
    /** The registry's status for the code unless a call site has a reason to differ. */
    readonly status: number = ERROR_CODES[code].status,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  toJSON(): Record<string, unknown> {
    return { error: this.code, error_description: this.message, ...this.details };
  }
}

export const isLatchkeyError = (value: unknown): value is LatchkeyError => value instanceof LatchkeyError;
