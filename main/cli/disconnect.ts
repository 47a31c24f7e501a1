import type { Command } from 'commander';
import type { DeleteResult } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption } from './options.js';
import { printLine } from './output.js';

export function register(program: Command): void {
  program
    .command('disconnect')
    .description('Revoke a connection at the provider where possible, then forget its tokens')
    .argument('<name>', 'the connection (see `latchkey connections`)')
    .addOption(dataDirOption())
    .action(async (name: string, options: { dataDir?: string }) => {
      const client = await adminClient(dataDirOf(options));
      const result = await client.call<DeleteResult & { revocation_error?: string }>(
        'DELETE',
        `/connections/${encodeURIComponent(name)}`,
      );
      const revoked = result.revoked_at_provider
        ? 'revoked at the provider'
        : `not revoked at the provider${result.revocation_error ? ` (${result.revocation_error})` : ''}`;
      printLine(`Disconnected "${name}": ${revoked}; its tokens are forgotten.`);
    });
}
