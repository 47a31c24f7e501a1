#!/usr/bin/env node
import { LatchkeyError } from '../core/errors.js';

/** `latchkey <command>`: one file a command, loaded on demand. */
const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run(argv: string[]): Promise<number> }> }> = {
  serve: { summary: 'Run the broker headless on loopback, with the dashboard in your browser', load: () => import('./serve.js') },
  exec: { summary: 'Run a command with a short-lived token of an agent and its proxy URLs', load: () => import('./exec.js') },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: latchkey <command> [options]', '', 'Commands:', ...lines, '', 'Run `latchkey <command> --help` for its options.'].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${usage()}\n`);
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    process.stderr.write(`latchkey: unknown command "${name}"\n\n${usage()}\n`);
    return 2;
  }
  return (await command.load()).run(rest);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error: unknown) => {
    const message = error instanceof LatchkeyError ? `${error.message} [${error.code}]` : error instanceof Error ? error.message : String(error);
    process.stderr.write(`latchkey: ${message}\n`);
    // A keychain call stuck in D-Bus cannot be cancelled and would keep even process.exit waiting.
    if (error instanceof LatchkeyError && error.details.timed_out === true) process.kill(process.pid, 'SIGKILL');
    process.exit(1);
  },
);
