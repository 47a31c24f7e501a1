import { Type, type Static } from './schema.js';

/** Every error answer: a stable code (main/core/error-codes.ts lists them), a sentence, and details that say what to do next. */
export const ErrorBody = Type.Object(
  {
    error: Type.String({ description: 'Stable machine-readable code' }),
    error_description: Type.String(),
  },
  { additionalProperties: true },
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Error answers every admin route may give. */
export const errorResponses = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  412: ErrorBody,
  502: ErrorBody,
} as const;
