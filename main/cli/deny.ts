import type { Command } from 'commander';
import type { ApprovalView, CallApprovalView } from '../common/admin-api.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption } from './options.js';
import { printLine } from './output.js';

export function register(program: Command): void {
  program
    .command('deny')
    .description('Deny an authorization request, or refuse a held call')
    .argument('<id>', 'the request or held call (see `latchkey approvals`)')
    .addOption(dataDirOption())
    .action(async (id: string, options: { dataDir?: string }) => {
      const client = await adminClient(dataDirOf(options));
      const decided = await client.call<ApprovalView | CallApprovalView>(
        'POST',
        `/approvals/${encodeURIComponent(id)}`,
        { decision: 'deny' },
      );
      printLine(
        'kind' in decided && decided.kind === 'call'
          ? `Denied: "${decided.agent_name}" may not ${decided.summary} (${decided.connection}).`
          : `Denied the request of "${decided.agent_name}".`,
      );
    });
}
