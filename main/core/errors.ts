/**
 * Every failure the broker reports carries a stable machine-readable `code`
 * (the `error` field of JSON responses), a human description, the HTTP status
 * it maps to, and optional details that tell the caller what to do next.
 */
export class LatchkeyError extends Error {
  override readonly name = 'LatchkeyError';

  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
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
