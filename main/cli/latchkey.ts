#!/usr/bin/env node
import { CommanderError } from 'commander';
import { LatchkeyError } from '../core/errors.js';
import { buildProgram, commandPath } from './program.js';

/** Exit codes: 0 ok, 1 the command failed, 2 the command line is wrong. */
const USAGE = 2;

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
    process.stderr.write(
      `latchkey: ${error.message
        .replace(/^error: /, '')
        .replace(/\n+/g, ' ')
        .trim()} (see \`${commandPath(program, argv)} --help\`)\n`,
    );
    process.exitCode = USAGE;
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  const message =
    error instanceof LatchkeyError
      ? `${error.message} [${error.code}]`
      : error instanceof Error
        ? error.message
        : String(error);
  process.stderr.write(`latchkey: ${message.replace(/\n+/g, ' ')}\n`);
  // A keychain call stuck in D-Bus cannot be cancelled and would keep even process.exit waiting.
  if (error instanceof LatchkeyError && error.details.timed_out === true) process.kill(process.pid, 'SIGKILL');
  // serve and exec parse their own arguments: node's parseArgs errors are usage errors too.
  const usage =
    (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS_') === true ||
    (error instanceof LatchkeyError && error.code === 'invalid_option');
  process.exit(usage ? USAGE : 1);
});
