import { Option, type Command } from 'commander';
import type { ApprovalView, CallApprovalView, CallApprovalWindow, Grant } from '../common/admin-api.js';
import { formatGrants } from './agents.js';
import { adminClient } from './admin-token.js';
import { collectGrant, dataDirOf, dataDirOption } from './options.js';
import { printLine } from './output.js';

const WINDOW_WORDS: Record<CallApprovalWindow, string> = {
  once: 'this once',
  '1h': 'for an hour',
  always: 'from now on, without asking',
};

export function register(program: Command): void {
  program
    .command('approve')
    .description(
      'Approve an authorization request (with what it asked for or other grants), or let a held call through',
    )
    .argument('<id>', 'the request or held call (see `latchkey approvals`)')
    .option('--grant <connection:scope>', 'grant this instead of what was asked; repeat for more', collectGrant)
    .addOption(
      new Option('--for <window>', 'a held call: let such calls through once, for 1 hour, or always').choices([
        'once',
        '1h',
        'always',
      ]),
    )
    .addOption(dataDirOption())
    .action(async (id: string, options: { grant?: Grant[]; for?: CallApprovalWindow; dataDir?: string }) => {
      const client = await adminClient(dataDirOf(options));
      const body = {
        decision: 'approve',
        ...(options.grant ? { grants: options.grant } : {}),
        ...(options.for ? { for: options.for } : {}),
      };
      const decided = await client.call<ApprovalView | CallApprovalView>(
        'POST',
        `/approvals/${encodeURIComponent(id)}`,
        body,
      );
      if ('kind' in decided && decided.kind === 'call')
        printLine(
          `Allowed ${WINDOW_WORDS[options.for ?? 'once']}: "${decided.agent_name}" may ${decided.summary} (${decided.connection}).`,
        );
      else
        printLine(
          `Approved: "${decided.agent_name}" may use ${formatGrants((decided as ApprovalView).granted ?? [])}.`,
        );
    });
}
