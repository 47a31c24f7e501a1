import type { ProviderDefinition } from '../catalog/types.js';
import { LatchkeyError } from '../errors.js';
import type { ConnectionRecord } from '../store/connections.js';
import type { ConnectDeps } from './connect-deps.js';
import { pastedSecret } from './pasted-secret.js';
import { saveConnection } from './save-connection.js';

/** Connects with a pasted API key or personal access token: stored as is, never refreshed. */
export async function connectWithSecret(
  deps: ConnectDeps,
  provider: ProviderDefinition,
  method: 'personal_token' | 'api_key',
  name: string,
  scopes: string[],
  secret: string | undefined,
  variables: Record<string, string>,
): Promise<ConnectionRecord> {
  const label = `${provider.name} ${method === 'api_key' ? 'API key' : 'personal access token'}`;
  if (typeof secret !== 'string' || secret.trim() === '') {
    throw new LatchkeyError('secret_required', `Paste the ${label} as "secret"`, 400);
  }
  return saveConnection(deps, {
    name,
    provider: provider.id,
    method,
    fields: { account: null, scopes, expires_at: null, refreshable: false, variables },
    credential: { access_token: pastedSecret(secret, label, 'secret'), expires_at: null, obtained_at: Date.now() },
  });
}
