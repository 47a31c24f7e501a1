import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { parseArgs } from 'node:util';
import type { ExecSessionView } from '../common/exec-session.js';
import { LatchkeyError } from '../core/errors.js';
import { defaultDataDir } from '../core/paths.js';
import { MAX_SESSION_TTL_MS, MIN_SESSION_TTL_MS } from '../core/sessions/exec-sessions.js';
import { childEnvironment, type IssuedEnvironment } from './child-environment.js';
import { ControlClient } from './control-client.js';
import { parseDuration } from './duration.js';
import { holdSession } from './session-hold.js';

const HELP = `Usage: latchkey exec --agent NAME [--ttl 12h] [--data-dir DIR] -- COMMAND [ARGS...]

Runs COMMAND in an exec session of agent NAME, like aws-vault exec. It gets:
  LATCHKEY_URL            the broker, e.g. http://127.0.0.1:7317
  LATCHKEY_TOKEN          an access token of the agent, valid as long as the session lives
  LATCHKEY_<NAME>_URL     the proxy base URL of each connection the agent may use
  <SDK variable>          e.g. GITHUB_API_URL, OPENAI_BASE_URL: the same proxy URL, for official SDKs
Every other LATCHKEY_* variable (the admin token, the vault passphrase) is removed from its environment.

The session ends when COMMAND exits or exec is stopped (SIGINT, SIGTERM and SIGHUP go to
COMMAND), when the agent is revoked, when the session is ended (\`latchkey sessions end ID\`)
or after --ttl (default 12h, at most 7d; e.g. 90m, 8h, 2d); from then on the token is
refused. If the broker restarts, the session is held again and the token keeps working.
Exit code, signals and stdin/stdout/stderr are COMMAND's.
The broker must be running (the app or \`latchkey serve\`) on the same data dir.`;

const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export async function run(argv: string[]): Promise<number> {
  const split = argv.indexOf('--');
  const { values } = parseArgs({
    args: split === -1 ? argv : argv.slice(0, split),
    options: {
      agent: { type: 'string' },
      ttl: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const command = split === -1 ? [] : argv.slice(split + 1);
  if (!values.agent || command.length === 0)
    throw new LatchkeyError('invalid_option', 'Usage: latchkey exec --agent NAME [--ttl 12h] -- COMMAND [ARGS...]');
  const ttlMs = values.ttl === undefined ? undefined : parseDuration(values.ttl, '--ttl');
  if (ttlMs !== undefined && (ttlMs < MIN_SESSION_TTL_MS || ttlMs > MAX_SESSION_TTL_MS))
    throw new LatchkeyError('invalid_option', `--ttl is from 1m to 7d, not ${values.ttl}`);
  const [file, ...args] = command as [string, ...string[]];

  const dataDir = values['data-dir'] ?? defaultDataDir();
  const control = new ControlClient(dataDir);
  const { url } = await control.call<{ url: string }>('GET', '/status');
  const { session, access_token } = await control.call<{ session: ExecSessionView; access_token: string }>(
    'POST',
    '/sessions',
    {
      agent: values.agent,
      command: file,
      ...(ttlMs === undefined ? {} : { ttl_seconds: Math.round(ttlMs / 1000) }),
    },
  );
  // From here on the session exists: whatever happens, it ends with exec.
  let finishing = false;
  const finish = async (): Promise<void> => {
    finishing = true; // the end exec asks for needs no announcement
    try {
      await control.call('POST', `/sessions/${encodeURIComponent(session.id)}/finish`, { token: access_token });
    } catch (error) {
      // Ended already (by the person, a revocation, its ttl) or the broker is away: it ends without exec anyway.
      if (!(error instanceof LatchkeyError)) throw error;
    }
  };

  let env: NodeJS.ProcessEnv;
  try {
    const discovery = await fetch(`${url}/v1/connections`, { headers: { authorization: `Bearer ${access_token}` } });
    if (!discovery.ok)
      throw new LatchkeyError(
        'discovery_failed',
        `The broker refused the agent's discovery request (HTTP ${discovery.status})`,
        discovery.status,
      );
    const { connections } = (await discovery.json()) as Pick<IssuedEnvironment, 'connections'>;
    env = childEnvironment(process.env, { url, token: access_token, connections });
  } catch (error) {
    await finish();
    throw error;
  }

  const child = spawn(file, args, { stdio: 'inherit', env });
  const say = (line: string): void => void process.stderr.write(`latchkey: ${line}\n`);
  const hold =
    child.pid === undefined
      ? undefined
      : holdSession({
          dataDir,
          sessionId: session.id,
          token: access_token,
          pid: child.pid,
          expiresAt: Date.parse(session.expires_at),
          onEnded: (_reason, description) => {
            if (!finishing)
              say(`exec session ${session.id} ended: ${description}. The agent's token is refused from now on.`);
          },
          onBroker: (state) =>
            say(
              state === 'away'
                ? 'the broker stopped; the session is held again as soon as it is back.'
                : `the broker is back; exec session ${session.id} goes on.`,
            ),
        });
  const forwards = FORWARDED_SIGNALS.map((signal) => [signal, () => child.kill(signal)] as const);
  for (const [signal, forward] of forwards) process.on(signal, forward);
  try {
    return await new Promise<number>((resolve, reject) => {
      child.once('error', (error: NodeJS.ErrnoException) =>
        reject(
          error.code === 'ENOENT' ? new LatchkeyError('command_not_found', `Command not found: ${file}`, 127) : error,
        ),
      );
      child.once('exit', (code, signal) => resolve(code ?? 128 + (signal ? constants.signals[signal] : 0)));
    });
  } finally {
    for (const [signal, forward] of forwards) process.off(signal, forward);
    // Ended before exec exits, so the token is refused by the time exec's caller sees the exit code.
    await finish();
    hold?.stop();
  }
}
