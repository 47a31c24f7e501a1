import type { BrokerStatus } from '../common/admin-api.js';
import { LatchkeyError } from '../core/errors.js';
import { ADMIN_TOKEN_KEY, openBrokerVaultBackend } from '../core/vault/broker-vault.js';
import { ControlClient } from './control-client.js';

/**
 * A client holding the admin credential of the broker on `dataDir`. The credential is, in
 * order: LATCHKEY_ADMIN_TOKEN (automation), else the token the running broker keeps in its
 * own secret store: the OS keychain (macOS asks the person before this program reads it) or
 * the encrypted file, which needs LATCHKEY_PASSPHRASE anyway. It is never written to a
 * plain file, and `exec` never passes it on.
 */
export async function adminClient(dataDir: string): Promise<ControlClient> {
  const fromEnvironment = process.env.LATCHKEY_ADMIN_TOKEN;
  if (fromEnvironment) return new ControlClient(dataDir, fromEnvironment);
  // Status needs no credential; it also says where the broker keeps its secrets.
  const status = await new ControlClient(dataDir).call<BrokerStatus>('GET', '/status');
  if (status.secret_store === 'file' && !process.env.LATCHKEY_PASSPHRASE) {
    throw new LatchkeyError(
      'admin_token_required',
      'This command needs the admin credential: set LATCHKEY_PASSPHRASE (the broker uses the file secret store) or LATCHKEY_ADMIN_TOKEN.',
      401,
    );
  }
  const backend = await openBrokerVaultBackend({
    dataDir: status.data_dir,
    secretStore: status.secret_store,
    passphrase: process.env.LATCHKEY_PASSPHRASE,
    namespace: status.install_id,
    readOnly: true,
  });
  const token = await backend.get(ADMIN_TOKEN_KEY);
  if (!token) {
    throw new LatchkeyError(
      'admin_token_required',
      `The broker on ${status.data_dir} keeps no admin token in its secret store; restart it with this version of Latchkey, or set LATCHKEY_ADMIN_TOKEN.`,
      401,
    );
  }
  return new ControlClient(dataDir, token);
}
