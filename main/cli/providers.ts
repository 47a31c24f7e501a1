import type { Command } from 'commander';
import type { ProviderList } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption, jsonOption } from './options.js';
import { printJson, printTable } from './output.js';

export function register(program: Command): void {
  program
    .command('providers')
    .description('The services Latchkey can connect to, and how')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      const client = await adminClient(dataDirOf(options));
      const { providers } = await client.call<ProviderList>('GET', '/providers');
      if (options.json) return printJson(providers);
      printTable(
        ['ID', 'NAME', 'CONNECT WITH', 'OAUTH APP'],
        providers.map((p) => [
          p.id,
          p.name,
          p.connect_methods.join(', '),
          p.auth_type === 'api_key' ? '-' : p.client ? p.client.client_id : 'not set (set it in the dashboard)',
        ]),
        'No providers.',
      );
    });
}
