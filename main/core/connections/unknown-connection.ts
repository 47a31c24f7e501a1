import { LatchkeyError } from '../errors.js';

/**
 * 404 `unknown_connection`, the one way every layer says a connection name leads nowhere.
 * `available` lists the names the caller may use instead; `nextStep` says where to look.
 */
export function unknownConnection(
  name: string,
  options: { available?: string[]; nextStep?: string } = {},
): LatchkeyError {
  return new LatchkeyError(
    'unknown_connection',
    `No connection named "${name}"${options.nextStep ? `; ${options.nextStep}` : ''}`,
    404,
    {
      connection: name,
      ...(options.available ? { available: options.available } : {}),
    },
  );
}
