/**
 * Is the OS keychain usable right now? Asked the way Latchkey asks it (openKeychainBackend's
 * write/read/delete probe), in a child process: a keytar call stuck on a silent D-Bus cannot be
 * cancelled and would keep this process from exiting, so the child is killed after a bound.
 */
import { spawn, spawnSync } from 'node:child_process';
import { SECRET_SERVICE_PACKAGES } from '../../main/core/vault/keychain-advice.js';

export interface SecretServiceProbe {
  reachable: boolean;
  /** Why not, in one line (keytar's reason or the timeout). */
  reason?: string;
  /** keytar's native module itself failed to load: no keychain question was asked. */
  keytarMissing?: boolean;
}

const KEYCHAIN_MODULE = new URL('../../main/core/vault/keychain.ts', import.meta.url).href;
const PROBE_TIMEOUT_MS = 5_000;
/** On top of the probe's own bound: starting Node with tsx on a loaded machine. */
const CHILD_LIMIT_MS = PROBE_TIMEOUT_MS + 15_000;

const SCRIPT = `
const { openKeychainBackend } = await import(${JSON.stringify(KEYCHAIN_MODULE)});
try {
  await openKeychainBackend({ namespace: 'latchkey-doctor-' + process.pid, probeTimeoutMs: ${PROBE_TIMEOUT_MS} });
  console.log(JSON.stringify({ reachable: true }));
} catch (error) {
  const reason = /\\((.*)\\)\\. /.exec(error.message)?.[1] ?? error.message;
  console.log(JSON.stringify({ reachable: false, reason, keytarMissing: /^keytar failed to load/.test(reason) }));
}
process.exit(0);
`;

/** Probes the keychain the tests and `latchkey serve` would use, under `env`. */
export function probeSecretService(env: NodeJS.ProcessEnv = process.env): Promise<SecretServiceProbe> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', SCRIPT], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const finish = (result: SecretServiceProbe): void => {
      clearTimeout(timer);
      // A probe that timed out leaves the child unable to exit by itself (see above).
      child.kill('SIGKILL');
      resolve(result);
    };
    const timer = setTimeout(
      () => finish({ reachable: false, reason: `the keychain probe did not finish within ${CHILD_LIMIT_MS / 1000} s` }),
      CHILD_LIMIT_MS,
    );
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      // The script prints exactly one line, its JSON verdict.
      if (stdout.includes('\n')) finish(JSON.parse(stdout.split('\n', 1)[0] as string) as SecretServiceProbe);
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', (error) => finish({ reachable: false, reason: error.message }));
    child.on('exit', (code) => {
      if (!stdout.includes('\n'))
        finish({
          reachable: false,
          reason: `the keychain probe exited with ${code}: ${stderr.trim().split('\n')[0] ?? ''}`,
        });
    });
  });
}

/** Whether `command` is on PATH (POSIX; used on Linux only). */
export function onPath(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

/** The two programs `npm test` needs to start a throwaway Secret Service on Linux. */
export const THROWAWAY_KEYRING_PROGRAMS = ['dbus-run-session', 'gnome-keyring-daemon'] as const;

/** One line for a Linux machine where no Secret Service answers and `npm test` cannot start one. */
export const NO_KEYRING_ADVICE =
  `No Secret Service for the keychain tests, and none can be started: install ` +
  `${THROWAWAY_KEYRING_PROGRAMS.join(' and ')} (Debian/Ubuntu: sudo apt-get install ${SECRET_SERVICE_PACKAGES.debian}; ` +
  `Fedora: sudo dnf install ${SECRET_SERVICE_PACKAGES.fedora}), or start and unlock your desktop keyring.`;
