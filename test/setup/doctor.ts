/**
 * `npm run doctor` (also run by pretest): checks what the project needs on this machine and
 * prints a table with a fix for each missing item; exits 1 when a required item is missing.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { exitCodeFor, formatTable, runChecks, type DoctorProbes, type NativeLoad } from './doctor-checks.js';
import { findBrowser, thisMachine } from './find-browser.js';
import { onPath, probeSecretService, THROWAWAY_KEYRING_PROGRAMS } from './secret-service.js';

const packageJsonUrl = new URL('../../package.json', import.meta.url);
const requireFromProject = createRequire(packageJsonUrl);
const packageJson = JSON.parse(readFileSync(packageJsonUrl, 'utf8')) as { engines: { node: string } };

async function loadNative(name: 'better-sqlite3' | 'keytar'): Promise<NativeLoad> {
  try {
    const loaded: unknown = requireFromProject(name);
    // better-sqlite3 loads its binding on first use, not on require.
    if (name === 'better-sqlite3') new (loaded as new (file: string) => { close(): void })(':memory:').close();
    return { loaded: true };
  } catch (error) {
    return { loaded: false, message: error instanceof Error ? error.message : String(error) };
  }
}

function npmVersion(): Promise<string | undefined> {
  // Under `npm run`/`npm test`, npm names itself; otherwise ask it (npm is a .cmd script on Windows).
  const agent = /\bnpm\/(\S+)/.exec(process.env.npm_config_user_agent ?? '')?.[1];
  if (agent) return Promise.resolve(agent);
  const run = spawnSync('npm', ['--version'], {
    encoding: 'utf8',
    shell: process.platform === 'win32',
    timeout: 30_000,
  });
  return Promise.resolve(run.status === 0 ? run.stdout.trim() : undefined);
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

const probes: DoctorProbes = {
  platform: process.platform,
  nodeVersion: process.versions.node,
  nodeRange: packageJson.engines.node,
  npmVersion,
  loadNative,
  secretService: () => probeSecretService(),
  canStartThrowawayKeyring: () => THROWAWAY_KEYRING_PROGRAMS.every(onPath),
  browser: () => findBrowser(thisMachine),
  env: process.env,
  portFree,
};

const results = await runChecks(probes);
process.stdout.write(`Latchkey doctor (${process.platform} ${process.arch}):\n${formatTable(results)}\n`);
const code = exitCodeFor(results);
if (code !== 0) process.stderr.write('Fix the MISSING items as shown (→), then run the command again.\n');
process.exitCode = code;
