/**
 * Runs the given test files (folders are expanded to their *.test.ts files) with node:test.
 *
 * The keychain tests need a working Secret Service. On Linux, when none is reachable, this
 * re-runs itself inside a throwaway one: a private D-Bus session (dbus-run-session) with
 * gnome-keyring unlocked in a temporary keyring folder, gone when the tests end. When those
 * programs are missing it says in one line which packages to install, and runs nothing.
 *
 *   node --import tsx test/setup/run-tests.ts test/unit test/integration/keychain.test.ts
 */
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SECRETS_FILE, TEST_LOG_DIR_ENV } from '../fixtures/test-logs.js';
import { findLogLeaks } from './log-secrets.js';
import { NO_KEYRING_ADVICE, onPath, probeSecretService, THROWAWAY_KEYRING_PROGRAMS } from './secret-service.js';

/** Set in the re-run under dbus-run-session: start the keyring, then test. */
const INSIDE_THROWAWAY = 'LATCHKEY_TEST_THROWAWAY_KEYRING';
const SELF = fileURLToPath(import.meta.url);
const KEYRING_START_LIMIT_MS = 15_000;

function testFiles(paths: string[]): string[] {
  return paths.flatMap((path) =>
    statSync(path).isDirectory()
      ? readdirSync(path)
          .filter((name) => name.endsWith('.test.ts'))
          .sort()
          .map((name) => join(path, name))
      : [path],
  );
}

function exitCodeOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve) => {
    child.on('error', (error) => {
      process.stderr.write(`${error.message}\n`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Runs the files with the test brokers logging at trace level into one folder of this run,
 * then fails the run if any log line holds a secret the fixtures recorded, a JWT or a bearer
 * credential (file and line printed, never the secret).
 */
async function runTests(files: string[]): Promise<number> {
  const args = ['--import', 'tsx', '--test', '--test-reporter=spec', '--test-concurrency=1', ...files];
  const logDir = mkdtempSync(join(tmpdir(), 'latchkey-test-logs-'));
  // The marker is this runner's own: a runner started by a test must decide for itself.
  const env: NodeJS.ProcessEnv = { ...process.env, [TEST_LOG_DIR_ENV]: logDir };
  delete env[INSIDE_THROWAWAY];
  try {
    const code = await exitCodeOf(spawn(process.execPath, args, { env, stdio: 'inherit' }));
    const leaks = findLogLeaks(logDir, SECRETS_FILE);
    for (const leak of leaks) process.stderr.write(`secret in the log: ${leak.file}:${leak.line}: ${leak.what}\n`);
    if (leaks.length > 0) {
      process.stderr.write(
        `${leaks.length} log line(s) hold what must never be logged; the logs are kept in ${logDir}\n`,
      );
      return 1;
    }
    rmSync(logDir, { recursive: true, force: true });
    return code;
  } catch (error) {
    rmSync(logDir, { recursive: true, force: true });
    throw error;
  }
}

/** Inside the private D-Bus session: an unlocked login keyring in the (temporary) XDG_DATA_HOME. */
function unlockThrowawayKeyring(): boolean {
  // gnome-keyring-daemon returns once its daemon serves the bus; the password only has to unlock this one folder.
  const started = spawnSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], {
    input: randomBytes(16).toString('hex'),
    stdio: ['pipe', 'ignore', 'pipe'],
    timeout: KEYRING_START_LIMIT_MS,
  });
  if (started.status === 0) return true;
  process.stderr.write(
    `gnome-keyring-daemon --unlock failed: ${started.stderr?.toString().trim().split('\n')[0] || started.error?.message || `exit ${started.status}`}\n`,
  );
  return false;
}

/**
 * Stops the gnome-keyring daemons serving `dataHome`: a daemonized one can outlive its D-Bus
 * session. Found by the (unique) keyring folder in their environment, so no other is touched.
 */
function stopKeyringDaemons(dataHome: string): void {
  const marker = `\0XDG_DATA_HOME=${dataHome}\0`;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      if (!readFileSync(`/proc/${pid}/comm`, 'utf8').startsWith('gnome-keyring')) continue;
      if (`\0${readFileSync(`/proc/${pid}/environ`, 'latin1')}`.includes(marker)) process.kill(Number(pid), 'SIGTERM');
    } catch {
      // The process ended meanwhile, or belongs to another user: not ours either way.
    }
  }
}

async function inThrowawayKeyring(paths: string[], reason: string): Promise<number> {
  process.stdout.write(
    `No Secret Service reachable (${reason}): running the tests in a throwaway gnome-keyring on a private D-Bus session.\n`,
  );
  const dataHome = mkdtempSync(join(tmpdir(), 'latchkey-test-keyring-'));
  try {
    const env: NodeJS.ProcessEnv = { ...process.env, XDG_DATA_HOME: dataHome, [INSIDE_THROWAWAY]: '1' };
    delete env.DBUS_SESSION_BUS_ADDRESS;
    delete env.GNOME_KEYRING_CONTROL;
    // Its own process group, so a signal to us ends the whole session (dbus-run-session alone
    // would leave its bus and the tests running); we stay until it has ended, to clean up.
    const child = spawn('dbus-run-session', ['--', process.execPath, '--import', 'tsx', SELF, ...paths], {
      env,
      stdio: 'inherit',
      detached: true,
    });
    const forward = (signal: NodeJS.Signals): void => {
      if (child.pid !== undefined) process.kill(-child.pid, signal);
    };
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    try {
      return await exitCodeOf(child);
    } finally {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
    }
  } finally {
    stopKeyringDaemons(dataHome);
    rmSync(dataHome, { recursive: true, force: true, maxRetries: 5 });
  }
}

async function main(paths: string[]): Promise<number> {
  if (paths.length === 0) {
    process.stderr.write('Usage: node --import tsx test/setup/run-tests.ts TEST_FILE_OR_FOLDER...\n');
    return 2;
  }
  const absent = paths.find((path) => !existsSync(path));
  if (absent) {
    process.stderr.write(`No such test file or folder: ${absent}\n`);
    return 2;
  }
  const files = testFiles(paths);
  if (process.env[INSIDE_THROWAWAY] === '1') return unlockThrowawayKeyring() ? runTests(files) : 1;
  // macOS and Windows always have their keychain; the doctor (pretest) reports when it does not answer.
  if (process.platform !== 'linux') return runTests(files);
  const probe = await probeSecretService();
  // A keytar that does not load is no keyring problem: the doctor (pretest) names its fix.
  if (probe.reachable || probe.keytarMissing) return runTests(files);
  if (!THROWAWAY_KEYRING_PROGRAMS.every(onPath)) {
    process.stderr.write(`${NO_KEYRING_ADVICE}\n`);
    return 1;
  }
  return inThrowawayKeyring(paths, probe.reason ?? 'unknown reason');
}

process.exitCode = await main(process.argv.slice(2));
