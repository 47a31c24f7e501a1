import type { Command } from 'commander';
import type { ExecSessionView } from '../common/exec-session.js';
import { adminClient } from './admin-token.js';
import { dataDirOf, dataDirOption, jsonOption } from './options.js';
import { formatTime, printJson, printLine, printTable } from './output.js';

/** `latchkey sessions` lists the live exec sessions; `sessions end ID` ends one. */
export function register(program: Command): void {
  const sessions = program
    .command('sessions')
    .description('Live `latchkey exec` sessions; `sessions end ID` ends one (its token is refused from then on)')
    .addOption(dataDirOption())
    .addOption(jsonOption())
    .action(async (options: { dataDir?: string; json?: boolean }) => {
      const client = await adminClient(dataDirOf(options));
      const { sessions: list } = await client.call<{ sessions: ExecSessionView[] }>('GET', '/sessions');
      if (options.json) return printJson(list);
      printTable(
        ['ID', 'AGENT', 'COMMAND', 'PID', 'STARTED', 'EXPIRES', 'CALLS'],
        list.map((s) => [
          s.id,
          s.agent_name,
          s.command,
          s.pid === null ? '-' : String(s.pid),
          formatTime(s.started_at),
          formatTime(s.expires_at),
          String(s.calls),
        ]),
        'No exec sessions: `latchkey exec --agent NAME -- COMMAND` starts one.',
      );
    });

  sessions
    .command('end')
    .description('End an exec session: its command keeps running, but its token is refused from now on')
    .argument('<id>', "the session's id (see `latchkey sessions`)")
    .addOption(dataDirOption())
    .action(async (id: string, _options: unknown, command: Command) => {
      const options = command.optsWithGlobals<{ dataDir?: string }>();
      const client = await adminClient(dataDirOf(options));
      await client.call<{ ended: boolean }>('DELETE', `/sessions/${encodeURIComponent(id)}`);
      printLine(`Ended exec session ${id}: its token is refused from now on.`);
    });
}
