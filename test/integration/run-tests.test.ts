/**
 * `npm test`'s runner (test/setup/run-tests.ts) in a child process, as a newcomer's machine
 * would run it: no D-Bus session in the environment. On Linux it must start its own keyring
 * (private D-Bus session + gnome-keyring in a temporary folder) and clean that folder up; with
 * the programs missing it must say in one line what to install. The target is one keytar
 * round trip (test/fixtures/keyring-round-trip.ts), not the suite.
 */
import { describe, test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NO_KEYRING_ADVICE } from '../setup/secret-service.js';

const RUNNER = fileURLToPath(new URL('../setup/run-tests.ts', import.meta.url));
const TARGET = fileURLToPath(new URL('../fixtures/keyring-round-trip.ts', import.meta.url));

/** This environment without any way to reach a session bus: no address, no runtime dir, no X11 autolaunch. */
function withoutSessionBus(privateTmp: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, TMPDIR: privateTmp, XDG_RUNTIME_DIR: privateTmp, ...extra };
  for (const name of ['DBUS_SESSION_BUS_ADDRESS', 'DISPLAY', 'GNOME_KEYRING_CONTROL', 'NODE_TEST_CONTEXT'])
    delete env[name];
  return env;
}

function runRunner(
  env: NodeJS.ProcessEnv,
  limitMs: number,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', RUNNER, TARGET], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the runner did not finish within ${limitMs} ms\n${stdout}\n${stderr}`));
    }, limitMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Pids of live processes whose XDG_DATA_HOME starts with `prefix`, after up to 5 s for them to exit. */
async function processesUsing(prefix: string): Promise<number[]> {
  const find = (): number[] =>
    readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .filter((pid) => {
        try {
          const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
          // A zombie has ended; it only waits for its parent to collect it.
          return (
            !/^\d+ \(.*\) Z /.test(stat) &&
            readFileSync(`/proc/${pid}/environ`, 'latin1').includes(`XDG_DATA_HOME=${prefix}`)
          );
        } catch {
          return false; // ended meanwhile, or another user's
        }
      })
      .map(Number);
  for (let i = 0; i < 50 && find().length > 0; i += 1) await new Promise((resolve) => setTimeout(resolve, 100));
  return find();
}

describe('npm test without a D-Bus session', () => {
  const privateTmp = mkdtempSync(join(tmpdir(), 'latchkey-runner-'));
  after(() => rmSync(privateTmp, { recursive: true, force: true }));

  test('the runner gives the tests a working keychain (on Linux: a throwaway keyring it starts and removes)', async () => {
    const run = await runRunner(withoutSessionBus(privateTmp), 120_000);
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /pass 1\b/);
    assert.match(run.stdout, /fail 0\b/);
    if (process.platform === 'linux') {
      assert.match(
        run.stdout,
        /^No Secret Service reachable \(.+\): running the tests in a throwaway gnome-keyring on a private D-Bus session\.$/m,
      );
      assert.deepEqual(
        readdirSync(privateTmp).filter((name) => name.startsWith('latchkey-test-keyring-')),
        [],
        'the temporary keyring folder is removed',
      );
      assert.deepEqual(
        await processesUsing(join(privateTmp, 'latchkey-test-keyring-')),
        [],
        'no keyring daemon or bus outlives the run',
      );
    }
  });

  // Starting a keyring is the Linux runner's job; macOS and Windows always have their keychain.
  if (process.platform === 'linux') {
    test('without dbus-run-session and gnome-keyring-daemon it runs nothing and names the packages in one line', async () => {
      const run = await runRunner(withoutSessionBus(privateTmp, { PATH: join(privateTmp, 'empty-path') }), 60_000);
      assert.equal(run.code, 1);
      assert.equal(run.stderr, `${NO_KEYRING_ADVICE}\n`);
      assert.doesNotMatch(run.stdout, /pass|fail/);
    });
  }
});
