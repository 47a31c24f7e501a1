import type { ProviderProblem } from '../../common/admin-api.js';

/** One thing wrong with a provider definition: a JSON pointer into it and what is wrong there (the `problems` of an `invalid_provider` answer). */
export type DefinitionProblem = ProviderProblem;

export type Json = Record<string, unknown>;
export const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
export const isString = (value: unknown): value is string => typeof value === 'string';

/** RFC 6901 escaping of one reference token. */
export function pointerToken(name: string): string {
  return name.replace(/~/g, '~0').replace(/\//g, '~1');
}
