import type { Command } from 'commander';
import type { ApprovalView, Grant } from '../common/admin-api.js';
import { formatGrants } from './agents.js';
import { adminClient } from './admin-token.js';
import { collectGrant, dataDirOf, dataDirOption } from './options.js';
import { printLine } from './output.js';

export function register(program: Command): void {
  program.command('approve')
    .description('Approve an authorization request, with what it asked for or other grants')
    .argument('<id>', 'the request (see `latchkey approvals`)')
    .option('--grant <connection:scope>', 'grant this instead of what was asked; repeat for more', collectGrant)
    .addOption(dataDirOption())
    .action(async (id: string, options: { grant?: Grant[]; dataDir?: string }) => {
      const client = await adminClient(dataDirOf(options));
      const decided = await client.call<ApprovalView>('POST', `/approvals/${encodeURIComponent(id)}`, { decision: 'approve', ...(options.grant ? { grants: options.grant } : {}) });
      printLine(`Approved: "${decided.agent_name}" may use ${formatGrants(decided.granted ?? [])}.`);
    });
}
