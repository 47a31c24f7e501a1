import type { Command } from 'commander';
import type { ApprovalList, ApprovalView, CallApprovalView } from '../common/admin-api.js';
import { formatGrants } from './agents.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption, jsonOption } from './options.js';
import { formatRegistration, formatTime, printJson, printLine, printTable } from './output.js';

const isCall = (approval: ApprovalView | CallApprovalView): approval is CallApprovalView =>
  (approval as { kind?: string }).kind === 'call';

export function register(program: Command): void {
  program
    .command('approvals')
    .description(
      'Calls held for your approval and authorization requests of agents waiting for you (`--all` for decided requests too)',
    )
    .option('--all', 'also list approved, denied and expired requests')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { all?: boolean; dataDir?: string; json?: boolean }) => {
      const client = await adminClient(dataDirOf(options));
      const { approvals } = await client.call<ApprovalList>('GET', '/approvals');
      const calls = approvals.filter(isCall);
      const requests = approvals.filter((a): a is ApprovalView => !isCall(a));
      const shown = options.all ? requests : requests.filter((a) => a.status === 'pending');
      if (options.json) return printJson([...calls, ...shown]);
      if (calls.length > 0) {
        printTable(
          ['ID', 'AGENT', 'WANTS TO', 'CONNECTION', 'CALL', 'BODY', 'REFUSED AT'],
          calls.map((c) => [
            c.id,
            c.agent_name,
            c.summary,
            c.connection,
            `${c.method} ${c.path}`,
            c.body_bytes === null ? '?' : `${c.body_bytes} B`,
            formatTime(c.expires_at),
          ]),
          '',
        );
        printLine('Answer with `latchkey approve ID [--for once|1h|always]` or `latchkey deny ID`.');
        if (shown.length === 0) return;
        printLine('');
      }
      printTable(
        ['ID', 'AGENT', 'STATUS', 'ASKS FOR', 'REGISTERED', 'ANSWERS AT', 'CREATED'],
        shown.map((a) => [
          a.id,
          a.agent_name,
          a.status,
          a.requested_grants.length ? formatGrants(a.requested_grants) : '(you choose)',
          formatRegistration(a.registration),
          a.redirect_hosts.join(' '),
          formatTime(a.created_at),
        ]),
        options.all ? 'No authorization requests.' : 'Nothing waiting for you.',
      );
    });
}
