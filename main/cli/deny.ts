import type { Command } from 'commander';
import type { ApprovalView } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption } from './options.js';
import { printLine } from './output.js';

export function register(program: Command): void {
  program.command('deny')
    .description('Deny an authorization request')
    .argument('<id>', 'the request (see `latchkey approvals`)')
    .addOption(dataDirOption())
    .action(async (id: string, options: { dataDir?: string }) => {
      const client = await adminClient(dataDirOf(options));
      const decided = await client.call<ApprovalView>('POST', `/approvals/${encodeURIComponent(id)}`, { decision: 'deny' });
      printLine(`Denied the request of "${decided.agent_name}".`);
    });
}
