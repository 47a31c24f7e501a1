/**
 * Building blocks of the admin API's schemas. TypeBox builds plain JSON Schema objects, so
 * fastify validates and serializes with them, @fastify/swagger documents them, and
 * `Static<typeof X>` gives the one TypeScript type every side uses.
 */
import { Type, type Static, type TInteger, type TString } from 'typebox';

export { Type, type Static };

/** `type: [T, 'null']` rather than anyOf: the serializer writes it without trying each branch, as the schemas did before. */
export const Nullable = <T extends TString | TInteger>(schema: T) =>
  Type.Unsafe<Static<T> | null>({ ...schema, type: [schema.type, 'null'] });

export const DateTime = (options: { description?: string } = {}) => Type.String({ format: 'date-time', ...options });

/** A string of a fixed set; `type: 'string'` kept so the serializer writes it directly. */
export const StringEnum = <const T extends readonly string[]>(values: T, options: { description?: string } = {}) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

/** A path parameter: a non-empty bounded string. */
export const PathParams = <const K extends string>(name: K, maxLength = 64) =>
  Type.Object({ [name]: Type.String({ minLength: 1, maxLength }) } as Record<K, TString>);
