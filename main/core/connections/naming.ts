import type { ProviderDefinition } from '../catalog/types.js';
import { LatchkeyError } from '../errors.js';
import type { ConnectionStore } from '../store/connections.js';

const NAME_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** The given name, else the provider id, else the first free `<id>-N`: several accounts per provider are fine. */
export function connectionName(
  connections: Pick<ConnectionStore, 'getByName'>,
  provider: ProviderDefinition,
  requested: string | undefined,
): string {
  if (requested !== undefined) {
    if (!NAME_PATTERN.test(requested)) {
      throw new LatchkeyError(
        'invalid_name',
        'A connection name is 1–64 characters of a-z, 0-9, ".", "_" and "-", starting with a letter or digit',
        400,
        { name: requested },
      );
    }
    const existing = connections.getByName(requested);
    if (existing && existing.provider !== provider.id) {
      throw new LatchkeyError(
        'connection_exists',
        `A connection named "${requested}" already exists for ${existing.provider}`,
        409,
        { name: requested },
      );
    }
    return requested;
  }
  for (let n = 1; n < 1000; n += 1) {
    const candidate = n === 1 ? provider.id : `${provider.id}-${n}`;
    if (!connections.getByName(candidate)) return candidate;
  }
  throw new LatchkeyError('invalid_name', 'Choose a name for this connection', 400);
}
