/** The admin API's error answers (or a failure to reach it) as one error class, and a one-liner for any thrown value. */

import type { ProviderProblem } from '../../main/common/admin-api';

/** An error answer of the admin API (or a failure to reach it, code `network_error`). */
export class ApiError extends Error {
  override readonly name = 'ApiError';

  constructor(
    /** HTTP status; 0 when the broker could not be reached. */
    readonly status: number,
    /** The API's machine-readable `error` code. */
    readonly code: string,
    /** The API's human `error_description`. */
    readonly description: string,
    /** The whole error body, for details such as `problems` or `unknown_scopes`. */
    readonly body: Readonly<Record<string, unknown>> = {},
  ) {
    super(description ? `${description} (${code})` : code);
  }

  get unauthorized(): boolean {
    return this.status === 401;
  }

  /** `problems` of an `invalid_provider` answer. */
  get problems(): ProviderProblem[] {
    const raw = this.body.problems;
    if (!Array.isArray(raw)) return [];
    return raw.flatMap((p: unknown) => {
      if (typeof p !== 'object' || p === null) return [];
      const { path, message } = p as Record<string, unknown>;
      return [
        {
          path: typeof path === 'string' ? path : '',
          message: typeof message === 'string' ? message : String(message),
        },
      ];
    });
  }
}

/** A readable one-liner for any thrown value. */
export function describeError(error: unknown): { code: string; description: string } {
  if (error instanceof ApiError) return { code: error.code, description: error.description };
  if (error instanceof Error) return { code: 'error', description: error.message };
  return { code: 'error', description: String(error) };
}
