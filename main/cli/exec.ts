import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import type { BrokerStatus, TokenResponse } from '../common/admin-api.js';
import { LatchkeyError } from '../core/errors.js';
import { defaultDataDir } from '../core/paths.js';
import { childEnvironment, type IssuedEnvironment } from './child-environment.js';
import { ControlClient } from './control-client.js';

const HELP = `Usage: latchkey exec --agent NAME [--data-dir DIR] -- COMMAND [ARGS...]

Runs COMMAND with a fresh short-lived token of agent NAME, like aws-vault exec:
  LATCHKEY_URL            the broker, e.g. http://127.0.0.1:7317
  LATCHKEY_TOKEN          an access token of the agent (valid up to 15 minutes)
  LATCHKEY_<NAME>_URL     the proxy base URL of each connection the agent may use
  <SDK variable>          e.g. GITHUB_API_URL, OPENAI_BASE_URL: the same proxy URL, for official SDKs
Every other LATCHKEY_* variable (the admin token, the vault passphrase) is removed from its environment.
The broker must be running (the app or \`latchkey serve\`) on the same data dir.`;

export async function run(argv: string[]): Promise<number> {
  const split = argv.indexOf('--');
  const { values } = parseArgs({
    args: split === -1 ? argv : argv.slice(0, split),
    options: { agent: { type: 'string' }, 'data-dir': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const command = split === -1 ? [] : argv.slice(split + 1);
  if (!values.agent || command.length === 0) throw new LatchkeyError('invalid_option', 'Usage: latchkey exec --agent NAME -- COMMAND [ARGS...]');

  const control = new ControlClient(values['data-dir'] ?? defaultDataDir());
  const { access_token } = await control.call<TokenResponse>('POST', '/agent-tokens', { agent: values.agent });
  const { url } = await control.call<BrokerStatus>('GET', '/status');
  const discovery = await fetch(`${url}/v1/connections`, { headers: { authorization: `Bearer ${access_token}` } });
  if (!discovery.ok) throw new LatchkeyError('discovery_failed', `The broker refused the agent's discovery request (HTTP ${discovery.status})`, discovery.status);
  const { connections } = (await discovery.json()) as Pick<IssuedEnvironment, 'connections'>;

  const env = childEnvironment(process.env, { url, token: access_token, connections });

  const [file, ...args] = command as [string, ...string[]];
  const child = spawn(file, args, { stdio: 'inherit', env });
  const forward = (signal: NodeJS.Signals) => () => child.kill(signal);
  const onInt = forward('SIGINT');
  const onTerm = forward('SIGTERM');
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(error.code === 'ENOENT' ? new LatchkeyError('command_not_found', `Command not found: ${file}`, 127) : error));
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
  }
}
