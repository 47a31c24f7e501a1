import { Command } from 'commander';
import { register as agents } from './agents.js';
import { register as approvals } from './approvals.js';
import { register as approve } from './approve.js';
import { register as audit } from './audit.js';
import { register as connect } from './connect.js';
import { register as connections } from './connections.js';
import { register as deny } from './deny.js';
import { register as disconnect } from './disconnect.js';
import { register as mcpConfig } from './mcp-config.js';
import { register as pause } from './pause.js';
import { register as providers } from './providers.js';
import { register as resume } from './resume.js';
import { register as sessions } from './sessions.js';
import { register as status } from './status.js';

/**
 * `serve` and `exec` parse their own arguments (exec hands everything after `--` to the
 * child untouched); they are loaded on demand, so other commands never load the broker.
 */
const RAW: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  serve: {
    summary: 'Run the broker headless on loopback, with the dashboard in your browser',
    load: () => import('./serve.js'),
  },
  exec: {
    summary: 'Run a command in a session of an agent: a token valid while it runs, and its proxy URLs',
    load: () => import('./exec.js'),
  },
};

/** The `latchkey` command line; `argv` is what the raw commands receive (after their name). */
export function buildProgram(argv: string[]): Command {
  const program = new Command('latchkey')
    .description('A personal credential broker for AI agents.')
    .exitOverride()
    // `agents create X --data-dir D`: options belong to the command they follow, not to its parent.
    .enablePositionalOptions()
    // Errors are printed once, as one line, by main().
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true)
    .addHelpText(
      'after',
      "\nEvery command takes --data-dir DIR to find the broker (default: where `serve` keeps its data).\nAdmin commands use LATCHKEY_ADMIN_TOKEN, else the token the running broker keeps in its secret store.\nRun `latchkey COMMAND --help` for a command's options.",
    );
  for (const [name, raw] of Object.entries(RAW)) {
    program
      .command(name)
      .description(raw.summary)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(async () => {
        process.exitCode = await (await raw.load()).run(argv.slice(1));
      });
  }
  for (const register of [
    status,
    providers,
    connect,
    connections,
    disconnect,
    agents,
    sessions,
    approvals,
    approve,
    deny,
    pause,
    resume,
    audit,
    mcpConfig,
  ])
    register(program);
  return program;
}

/** `latchkey agents create`: the command a usage error belongs to, for the hint. */
export function commandPath(program: Command, argv: string[]): string {
  const names = [program.name()];
  let command = program;
  for (const word of argv) {
    const sub = command.commands.find((c) => c.name() === word);
    if (!sub) break;
    names.push(word);
    command = sub;
  }
  return names.join(' ');
}
