import type { Command } from 'commander';
import type { ConnectionList } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption, jsonOption } from './options.js';
import { formatTime, printJson, printTable } from './output.js';

export function register(program: Command): void {
  program
    .command('connections')
    .description('Connected accounts (never a secret)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      const client = await adminClient(dataDirOf(options));
      const { connections } = await client.call<ConnectionList>('GET', '/connections');
      if (options.json) return printJson(connections);
      printTable(
        ['NAME', 'PROVIDER', 'ACCOUNT', 'STATUS', 'SCOPES', 'LAST USED'],
        connections.map((c) => [
          c.name,
          c.provider,
          c.account ?? '-',
          c.status,
          c.scopes.join(' ') || '-',
          formatTime(c.last_used_at),
        ]),
        'No connections yet: `latchkey connect PROVIDER` adds one.',
      );
    });
}
