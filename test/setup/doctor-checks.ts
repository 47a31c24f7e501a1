/**
 * What the project needs on this machine, as pure checks over an injected environment (the
 * probes), so each missing dependency can be faked in a unit test; test/setup/doctor.ts feeds
 * them the real machine. Each check says what it found and, when something is wrong, the fix.
 */
import { KEYTAR_BUILD_PACKAGES, keychainAdvice } from '../../main/core/vault/keychain-advice.js';
import { missingBrowserAdvice, type BrowserChoice } from './find-browser.js';
import { NO_KEYRING_ADVICE, type SecretServiceProbe } from './secret-service.js';

/** ok; warn: works for the tests but something to know; missing: the tests (or the app) cannot run. */
export type Status = 'ok' | 'warn' | 'missing';

export interface CheckResult {
  name: string;
  status: Status;
  found: string;
  fix?: string;
}

/** A native module's load outcome in plain Node: loaded, or the loader's error message. */
export type NativeLoad = { loaded: true } | { loaded: false; message: string };

export interface DoctorProbes {
  platform: NodeJS.Platform;
  nodeVersion: string;
  /** package.json engines.node, e.g. ">=20.19". */
  nodeRange: string;
  /** undefined when npm could not be run. */
  npmVersion(): Promise<string | undefined>;
  loadNative(name: 'better-sqlite3' | 'keytar'): Promise<NativeLoad>;
  secretService(): Promise<SecretServiceProbe>;
  /** Linux: dbus-run-session and gnome-keyring-daemon are installed, so `npm test` can start its own. */
  canStartThrowawayKeyring(): boolean;
  browser(): BrowserChoice | undefined;
  /** The env CHROMIUM_PATH came from, for the advice. */
  env: Record<string, string | undefined>;
  portFree(port: number): Promise<boolean>;
}

export const MIN_NPM_MAJOR = 11;
export const DEFAULT_PORT = 7317;

/** "20.19.0" ≥ "20.19"? Compares numerically, part by part; missing parts are 0. */
export function versionAtLeast(version: string, minimum: string): boolean {
  const parts = (v: string): number[] =>
    v
      .replace(/^v/, '')
      .split('.')
      .map((p) => Number.parseInt(p, 10) || 0);
  const have = parts(version);
  const need = parts(minimum);
  for (let i = 0; i < Math.max(have.length, need.length); i += 1) {
    const difference = (have[i] ?? 0) - (need[i] ?? 0);
    if (difference !== 0) return difference > 0;
  }
  return true;
}

export function checkNode(version: string, range: string): CheckResult {
  const minimum = range.replace(/^>=\s*/, '');
  return versionAtLeast(version, minimum)
    ? { name: 'Node', status: 'ok', found: `${version} (needs ${range})` }
    : {
        name: 'Node',
        status: 'missing',
        found: `${version} (needs ${range})`,
        fix: `Install Node ${minimum} or newer (https://nodejs.org, or: nvm install 20).`,
      };
}

export function checkNpm(version: string | undefined): CheckResult {
  if (version === undefined)
    return {
      name: 'npm',
      status: 'missing',
      found: 'not found',
      fix: 'npm comes with Node: reinstall Node from https://nodejs.org.',
    };
  return versionAtLeast(version, String(MIN_NPM_MAJOR))
    ? { name: 'npm', status: 'ok', found: `${version} (needs >=${MIN_NPM_MAJOR})` }
    : // The tests run with an older npm; what differs is `npm ci`, which then ignores package.json's allowScripts.
      {
        name: 'npm',
        status: 'warn',
        found: `${version} (wants >=${MIN_NPM_MAJOR} for package.json's allowScripts)`,
        fix: `npm install -g npm@${MIN_NPM_MAJOR}, then npm ci again.`,
      };
}

const STALE_ABI = /NODE_MODULE_VERSION|was compiled against a different Node\.js version|invalid ELF header/;
const NOT_BUILT = /Cannot find module|Could not locate the bindings file|build\/Release\/.*\.node/;
const NO_LIBSECRET = /libsecret-1\.so/;

/** Build packages for a native module, per Linux family. */
function buildFix(name: 'better-sqlite3' | 'keytar', platform: NodeJS.Platform): string {
  if (platform === 'darwin') return `xcode-select --install, then npm rebuild ${name}.`;
  if (platform === 'win32')
    return `Install Visual Studio Build Tools ("Desktop development with C++"), then npm rebuild ${name}.`;
  const packages =
    name === 'keytar' ? KEYTAR_BUILD_PACKAGES : { debian: 'build-essential python3', fedora: 'gcc-c++ make python3' };
  return `sudo apt-get install ${packages.debian} (Fedora: sudo dnf install ${packages.fedora}), then npm rebuild ${name}.`;
}

export function checkNativeModules(
  loads: Record<'better-sqlite3' | 'keytar', NativeLoad>,
  platform: NodeJS.Platform,
  nodeVersion: string,
): CheckResult {
  const name = 'Native modules';
  const failed = (['better-sqlite3', 'keytar'] as const).flatMap((module) => {
    const load = loads[module];
    return load.loaded ? [] : [{ module, message: load.message }];
  });
  if (failed.length === 0) return { name, status: 'ok', found: `better-sqlite3, keytar load in Node ${nodeVersion}` };
  const broken = failed.find((f) => !STALE_ABI.test(f.message));
  if (!broken) {
    // `npm start` rebuilds them for Electron; `npm test` (pretest) rebuilds them for Node.
    const modules = failed.map((f) => f.module).join(', ');
    return {
      name,
      status: 'warn',
      found: `${modules} built for Electron (another ABI)`,
      fix: `npm test rebuilds them for Node by itself (or: npm rebuild ${failed.map((f) => f.module).join(' ')}).`,
    };
  }
  if (NO_LIBSECRET.test(broken.message)) {
    return {
      name,
      status: 'missing',
      found: 'keytar: libsecret is not installed',
      fix: 'sudo apt-get install libsecret-1-0 (Fedora: sudo dnf install libsecret).',
    };
  }
  if (NOT_BUILT.test(broken.message)) {
    return {
      name,
      status: 'missing',
      found: `${broken.module} is not built (npm ci could not compile it)`,
      fix: buildFix(broken.module, platform),
    };
  }
  return {
    name,
    status: 'missing',
    found: `${broken.module}: ${broken.message.split('\n', 1)[0]}`,
    fix: `npm rebuild ${broken.module} (if that fails: ${buildFix(broken.module, platform)})`,
  };
}

const KEYCHAIN_NAME: Partial<Record<NodeJS.Platform, string>> = {
  linux: 'Secret Service',
  darwin: 'Keychain',
  win32: 'Credential Manager',
};

export function checkSecretStore(
  probe: SecretServiceProbe,
  platform: NodeJS.Platform,
  canStartThrowaway: boolean,
): CheckResult {
  const name = KEYCHAIN_NAME[platform] ?? 'OS keychain';
  if (probe.reachable) return { name, status: 'ok', found: 'reachable (write, read, delete)' };
  if (probe.keytarMissing)
    return {
      name,
      status: 'missing',
      found: 'not checked: keytar does not load',
      fix: 'Fix the native modules first (above).',
    };
  const found = `not reachable (${probe.reason ?? 'unknown reason'})`;
  if (platform === 'linux') {
    return canStartThrowaway
      ? {
          name,
          status: 'warn',
          found: `${found}; npm test starts a throwaway one`,
          fix: `For latchkey serve: ${keychainAdvice('unreachable', platform)}`,
        }
      : { name, status: 'missing', found, fix: NO_KEYRING_ADVICE };
  }
  return { name, status: 'missing', found, fix: keychainAdvice('unreachable', platform) };
}

export function checkBrowser(
  choice: BrowserChoice | undefined,
  platform: NodeJS.Platform,
  env: Record<string, string | undefined>,
): CheckResult {
  if (!choice)
    return {
      name: 'Browser (tests)',
      status: 'missing',
      found: 'none found',
      fix: missingBrowserAdvice({ platform, env }),
    };
  return { name: 'Browser (tests)', status: 'ok', found: `${choice.source}: ${choice.executablePath}` };
}

export function checkPort(free: boolean, port = DEFAULT_PORT): CheckResult {
  return free
    ? { name: `Port ${port}`, status: 'ok', found: 'free' }
    : {
        name: `Port ${port}`,
        status: 'warn',
        found: 'in use (another latchkey serve, or the app?)',
        fix: `Stop it, or run latchkey serve --port N (the tests use their own ports).`,
      };
}

/** All checks, in the order a newcomer fixes them. */
export async function runChecks(probes: DoctorProbes): Promise<CheckResult[]> {
  const loads = {
    'better-sqlite3': await probes.loadNative('better-sqlite3'),
    keytar: await probes.loadNative('keytar'),
  };
  const native = checkNativeModules(loads, probes.platform, probes.nodeVersion);
  const canStartThrowaway = probes.platform === 'linux' && probes.canStartThrowawayKeyring();
  const secret = loads.keytar.loaded
    ? checkSecretStore(await probes.secretService(), probes.platform, canStartThrowaway)
    : {
        ...checkSecretStore({ reachable: false, keytarMissing: true }, probes.platform, canStartThrowaway),
        status: native.status,
      };
  return [
    checkNode(probes.nodeVersion, probes.nodeRange),
    checkNpm(await probes.npmVersion()),
    native,
    secret,
    checkBrowser(probes.browser(), probes.platform, probes.env),
    checkPort(await probes.portFree(DEFAULT_PORT)),
  ];
}

const LABEL: Record<Status, string> = { ok: 'ok', warn: 'note', missing: 'MISSING' };

/** The table: one row a check, its fix indented beneath when there is one. */
export function formatTable(results: CheckResult[]): string {
  const nameWidth = Math.max(...results.map((r) => r.name.length));
  const labelWidth = Math.max(...results.map((r) => LABEL[r.status].length));
  return results
    .flatMap((r) => [
      `  ${LABEL[r.status].padEnd(labelWidth)}  ${r.name.padEnd(nameWidth)}  ${r.found}`,
      ...(r.fix && r.status !== 'ok' ? [`  ${' '.repeat(labelWidth)}  ${' '.repeat(nameWidth)}  → ${r.fix}`] : []),
    ])
    .join('\n');
}

/** Non-zero when a required item is missing. */
export const exitCodeFor = (results: CheckResult[]): number => (results.some((r) => r.status === 'missing') ? 1 : 0);
