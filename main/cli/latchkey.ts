#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { LatchkeyError } from '../core/errors.js';
import { register as agents } from './agents.js';
import { register as approvals } from './approvals.js';
import { register as approve } from './approve.js';
import { register as audit } from './audit.js';
import { register as connect } from './connect.js';
import { register as connections } from './connections.js';
import { register as deny } from './deny.js';
import { register as disconnect } from './disconnect.js';
import { register as pause } from './pause.js';
import { register as providers } from './providers.js';
import { register as resume } from './resume.js';
import { register as status } from './status.js';

/** Exit codes: 0 ok, 1 the command failed, 2 the command line is wrong. */
const USAGE = 2;

/**
 * `serve` and `exec` parse their own arguments (exec hands everything after `--` to the
 * child untouched); they are loaded on demand, so other commands never load the broker.
 */
const RAW: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  serve: { summary: 'Run the broker headless on loopback, with the dashboard in your browser', load: () => import('./serve.js') },
  exec: { summary: 'Run a command with a short-lived token of an agent and its proxy URLs', load: () => import('./exec.js') },
};

function buildProgram(argv: string[]): Command {
  const program = new Command('latchkey')
    .description('A personal credential broker for AI agents.')
    .exitOverride()
    // `agents create X --data-dir D`: options belong to the command they follow, not to its parent.
    .enablePositionalOptions()
    // Errors are printed once, as one line, by main().
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError(true)
    .addHelpText('after', '\nEvery command takes --data-dir DIR to find the broker (default: where `serve` keeps its data).\nAdmin commands use LATCHKEY_ADMIN_TOKEN, else the token the running broker keeps in its secret store.\nRun `latchkey COMMAND --help` for a command\'s options.');
  for (const [name, raw] of Object.entries(RAW)) {
    program.command(name)
      .description(raw.summary)
      .helpOption(false)
      .allowUnknownOption()
      .allowExcessArguments()
      .action(async () => {
        process.exitCode = await (await raw.load()).run(argv.slice(1));
      });
  }
  for (const register of [status, providers, connect, connections, disconnect, agents, approvals, approve, deny, pause, resume, audit]) register(program);
  return program;
}

/** `latchkey agents create`: the command a usage error belongs to, for the hint. */
function commandPath(program: Command, argv: string[]): string {
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

async function main(argv: string[]): Promise<void> {
  const program = buildProgram(argv);
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (!(error instanceof CommanderError)) throw error;
    if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return;
    if (error.code === 'commander.help') {
      process.exitCode = USAGE; // no command given: help went to stderr
      return;
    }
    process.stderr.write(`latchkey: ${error.message.replace(/^error: /, '').replace(/\n+/g, ' ').trim()} (see \`${commandPath(program, argv)} --help\`)\n`);
    process.exitCode = USAGE;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message = error instanceof LatchkeyError ? `${error.message} [${error.code}]` : error instanceof Error ? error.message : String(error);
  process.stderr.write(`latchkey: ${message.replace(/\n+/g, ' ')}\n`);
  // A keychain call stuck in D-Bus cannot be cancelled and would keep even process.exit waiting.
  if (error instanceof LatchkeyError && error.details.timed_out === true) process.kill(process.pid, 'SIGKILL');
  // serve and exec parse their own arguments: node's parseArgs errors are usage errors too.
  const usage = (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_') === true || (error instanceof LatchkeyError && error.code === 'invalid_option');
  process.exit(usage ? USAGE : 1);
});
