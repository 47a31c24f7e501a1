import type { Catalog } from '../catalog/catalog.js';
import type { ConnectionRecord } from '../store/connections.js';
import { recordConnectionChange } from './changes.js';
import type { ConnectDeps } from './connect-deps.js';

export interface DisconnectResult {
  revoked_at_provider: boolean;
  revocation_error?: string;
}

/** Revokes at the provider where it can (RFC 7009), then forgets the credential and the row. */
export async function disconnect(
  deps: Pick<ConnectDeps, 'connections' | 'apps' | 'tokens' | 'events' | 'audit'> & { catalog: Pick<Catalog, 'get'> },
  record: ConnectionRecord,
): Promise<DisconnectResult> {
  const credential = await deps.tokens.load(record.id);
  let revoked = false;
  let revocationError: string | undefined;
  const provider = deps.catalog.get(record.provider);
  if (
    credential &&
    provider?.auth.type === 'oauth2' &&
    provider.auth.revocation_url &&
    record.auth_method !== 'personal_token'
  ) {
    try {
      const client = await deps.apps.clientFor(provider.id, record.auth_method, record.variables);
      // Revoking the refresh token ends the grant at most providers; the access token too, for the rest.
      if (credential.refresh_token) await client.revoke(credential.refresh_token, 'refresh_token');
      await client.revoke(credential.access_token, 'access_token');
      revoked = true;
    } catch (error) {
      // Handled: the connection is removed anyway and the caller is told revocation failed, and why.
      revocationError = error instanceof Error ? error.message : String(error);
    }
  }
  await deps.tokens.forget(record.id);
  deps.connections.delete(record.id);
  await recordConnectionChange(deps, {
    id: record.id,
    name: record.name,
    provider: record.provider,
    status: 'removed',
  });
  return revocationError
    ? { revoked_at_provider: revoked, revocation_error: revocationError }
    : { revoked_at_provider: revoked };
}
