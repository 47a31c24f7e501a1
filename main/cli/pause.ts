import type { Command } from 'commander';
import type { Paused } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption } from './options.js';
import { printLine } from './output.js';

export function register(program: Command): void {
  program
    .command('pause')
    .description('Kill switch: refuse every agent request until `latchkey resume` (survives restarts)')
    .addOption(dataDirOption())
    .action(async (options: { dataDir?: string }) => {
      const client = await adminClient(dataDirOf(options));
      await client.call<Paused>('POST', '/pause');
      printLine('Paused: every agent request is refused until `latchkey resume`.');
    });
}
