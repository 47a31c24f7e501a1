import type { Command } from 'commander';
import type { Paused } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption } from './options.js';
import { printLine } from './output.js';

export function register(program: Command): void {
  program
    .command('resume')
    .description('Let agents work again after `latchkey pause`')
    .addOption(dataDirOption())
    .action(async (options: { dataDir?: string }) => {
      const client = await adminClient(dataDirOf(options));
      await client.call<Paused>('POST', '/resume');
      printLine('Resumed: agents may work again.');
    });
}
