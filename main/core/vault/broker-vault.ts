import { join, resolve } from 'node:path';
import type { SecretStore } from '../../common/admin-api.js';
import { openEncryptedFileBackend } from './encrypted-file.js';
import { openKeychainBackend } from './keychain.js';
import type { SecretBackend } from './vault.js';

/**
 * The vault key under which a running broker keeps its current admin token, so the
 * person's CLI can find it in the same protected store as every other secret (and the
 * macOS keychain asks the person before another program reads it).
 */
export const ADMIN_TOKEN_KEY = 'admin/token';

export interface BrokerVaultOptions {
  dataDir: string;
  secretStore: SecretStore;
  /** The file store's passphrase. */
  passphrase?: string | undefined;
  /** The install id: separates data dirs that share one keychain. */
  namespace: string;
  keychainService?: string | undefined;
  /** Open another process's keychain entries for reading only (see KeychainOptions.readOnly). */
  readOnly?: boolean;
}

/** The file secret store of the broker on a data dir. */
export function vaultFile(dataDir: string): string {
  return join(resolve(dataDir), 'secrets.enc');
}

/** The secret store of the broker on a data dir: the OS keychain, or DATA_DIR/secrets.enc. */
export function openBrokerVaultBackend(options: BrokerVaultOptions): Promise<SecretBackend> {
  if (options.secretStore === 'file')
    return openEncryptedFileBackend({ file: vaultFile(options.dataDir), passphrase: options.passphrase });
  return openKeychainBackend({
    namespace: options.namespace,
    ...(options.keychainService ? { service: options.keychainService } : {}),
    ...(options.readOnly ? { readOnly: true } : {}),
  });
}
