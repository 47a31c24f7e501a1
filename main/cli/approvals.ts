import type { Command } from 'commander';
import type { ApprovalList } from '../common/admin-api.js';
import { formatGrants } from './agents.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption, jsonOption } from './options.js';
import { formatTime, printJson, printTable } from './output.js';

export function register(program: Command): void {
  program.command('approvals')
    .description('Authorization requests of agents waiting for you (`--all` for decided ones too)')
    .option('--all', 'also list approved, denied and expired requests')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { all?: boolean; dataDir?: string; json?: boolean }) => {
      const client = await adminClient(dataDirOf(options));
      const { approvals } = await client.call<ApprovalList>('GET', '/approvals');
      const shown = options.all ? approvals : approvals.filter((a) => a.status === 'pending');
      if (options.json) return printJson(shown);
      printTable(
        ['ID', 'AGENT', 'STATUS', 'ASKS FOR', 'REGISTERED', 'ANSWERS AT', 'CREATED'],
        shown.map((a) => [a.id, a.agent_name, a.status, a.requested_grants.length ? formatGrants(a.requested_grants) : '(you choose)', a.registered_via === 'dcr' ? 'self-registered' : 'by you', a.redirect_hosts.join(' '), formatTime(a.created_at)]),
        options.all ? 'No authorization requests.' : 'Nothing waiting for you.',
      );
    });
}
