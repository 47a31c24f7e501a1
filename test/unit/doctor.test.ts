/**
 * The doctor's checks with each dependency faked missing: here faking the machine is the point
 * (the real probes are exercised by `npm test`'s pretest on every run).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  exitCodeFor,
  formatTable,
  runChecks,
  versionAtLeast,
  type CheckResult,
  type DoctorProbes,
} from '../setup/doctor-checks.js';
import { NO_KEYRING_ADVICE } from '../setup/secret-service.js';

/** A Linux machine with everything; `overrides` takes one thing away. */
function probes(overrides: Partial<DoctorProbes> = {}): DoctorProbes & { secretServiceCalls: number } {
  const machine = {
    secretServiceCalls: 0,
    platform: 'linux' as NodeJS.Platform,
    nodeVersion: '20.19.1',
    nodeRange: '>=20.19',
    npmVersion: async () => '11.6.2',
    loadNative: async () => ({ loaded: true as const }),
    secretService: async () => {
      machine.secretServiceCalls += 1;
      return { reachable: true };
    },
    canStartThrowawayKeyring: () => true,
    browser: () => ({ kind: 'path' as const, executablePath: '/usr/bin/chromium', source: 'chromium' }),
    env: {},
    portFree: async () => true,
    ...overrides,
  };
  return machine;
}

const row = (results: CheckResult[], name: string | RegExp): CheckResult => {
  const found = results.find((r) => (typeof name === 'string' ? r.name === name : name.test(r.name)));
  assert.ok(found, `no row ${name}`);
  return found;
};

describe('doctor: everything present', () => {
  test('all rows ok, exit 0, no fix lines', async () => {
    const results = await runChecks(probes());
    assert.deepEqual(
      results.map((r) => [r.name, r.status]),
      [
        ['Node', 'ok'],
        ['npm', 'ok'],
        ['Native modules', 'ok'],
        ['Secret Service', 'ok'],
        ['Browser (tests)', 'ok'],
        ['Port 7317', 'ok'],
      ],
    );
    assert.equal(exitCodeFor(results), 0);
    assert.doesNotMatch(formatTable(results), /→/);
  });
});

describe('doctor: each dependency missing', () => {
  test('Node older than engines.node', async () => {
    const results = await runChecks(probes({ nodeVersion: '20.11.0' }));
    const node = row(results, 'Node');
    assert.equal(node.status, 'missing');
    assert.match(node.fix ?? '', /Install Node 20\.19 or newer/);
    assert.equal(exitCodeFor(results), 1);
  });

  test('npm older than 11 (a note: only npm ci differs), and npm not found', async () => {
    const older = await runChecks(probes({ npmVersion: async () => '10.8.2' }));
    assert.equal(row(older, 'npm').status, 'warn');
    assert.match(row(older, 'npm').fix ?? '', /npm install -g npm@11/);
    assert.equal(exitCodeFor(older), 0);
    const none = await runChecks(probes({ npmVersion: async () => undefined }));
    assert.equal(row(none, 'npm').status, 'missing');
    assert.equal(exitCodeFor(none), 1);
  });

  test('keytar not built (npm ci stopped in its native build): the build packages, per OS, and the keychain is not probed', async () => {
    const notBuilt = async (name: string) =>
      name === 'keytar'
        ? {
            loaded: false as const,
            message: "Cannot find module '../build/Release/keytar.node'\nRequire stack:\n- /x/keytar.js",
          }
        : { loaded: true as const };
    const linux = probes({ loadNative: notBuilt });
    const results = await runChecks(linux);
    const native = row(results, 'Native modules');
    assert.equal(native.status, 'missing');
    assert.match(native.found, /keytar is not built/);
    assert.equal(
      native.fix,
      'sudo apt-get install libsecret-1-dev build-essential python3 (Fedora: sudo dnf install libsecret-devel gcc-c++ make python3), then npm rebuild keytar.',
    );
    assert.equal(row(results, 'Secret Service').status, 'missing');
    assert.equal(linux.secretServiceCalls, 0, 'no keychain call without keytar');
    assert.equal(exitCodeFor(results), 1);
    const mac = row(await runChecks(probes({ platform: 'darwin', loadNative: notBuilt })), 'Native modules');
    assert.match(mac.fix ?? '', /^xcode-select --install, then npm rebuild keytar/);
  });

  test('better-sqlite3 not built: compiler packages, not libsecret', async () => {
    const native = row(
      await runChecks(
        probes({
          loadNative: async (name) =>
            name === 'better-sqlite3'
              ? {
                  loaded: false,
                  message: 'Could not locate the bindings file. Tried:\n → /x/build/better_sqlite3.node',
                }
              : { loaded: true },
        }),
      ),
      'Native modules',
    );
    assert.equal(native.status, 'missing');
    assert.match(native.fix ?? '', /^sudo apt-get install build-essential python3 .*npm rebuild better-sqlite3\.$/);
  });

  test('keytar built but libsecret missing at run time', async () => {
    const native = row(
      await runChecks(
        probes({
          loadNative: async (name) =>
            name === 'keytar'
              ? {
                  loaded: false,
                  message: 'libsecret-1.so.0: cannot open shared object file: No such file or directory',
                }
              : { loaded: true },
        }),
      ),
      'Native modules',
    );
    assert.equal(native.status, 'missing');
    assert.match(native.fix ?? '', /sudo apt-get install libsecret-1-0 .*sudo dnf install libsecret/);
  });

  test('native modules built for Electron (after npm start): a note, since npm test rebuilds them', async () => {
    const stale = {
      loaded: false as const,
      message:
        'The module was compiled against a different Node.js version using NODE_MODULE_VERSION 139. This version of Node.js requires NODE_MODULE_VERSION 115.',
    };
    const machine = probes({ loadNative: async () => stale });
    const results = await runChecks(machine);
    assert.equal(row(results, 'Native modules').status, 'warn');
    assert.match(row(results, 'Native modules').fix ?? '', /npm test rebuilds them/);
    assert.equal(row(results, 'Secret Service').status, 'warn');
    assert.equal(machine.secretServiceCalls, 0);
    assert.equal(exitCodeFor(results), 0);
  });

  test('Linux without a Secret Service but able to start one: a note with the advice for latchkey serve', async () => {
    const results = await runChecks(
      probes({
        secretService: async () => ({ reachable: false, reason: 'Cannot autolaunch D-Bus without X11 $DISPLAY' }),
      }),
    );
    const secret = row(results, 'Secret Service');
    assert.equal(secret.status, 'warn');
    assert.match(secret.found, /npm test starts a throwaway one/);
    assert.match(secret.fix ?? '', /--secret-store file/);
    assert.equal(exitCodeFor(results), 0);
  });

  test('Linux without a Secret Service and without gnome-keyring / dbus-run-session: the packages to install', async () => {
    const results = await runChecks(
      probes({
        secretService: async () => ({ reachable: false, reason: 'Could not connect' }),
        canStartThrowawayKeyring: () => false,
      }),
    );
    const secret = row(results, 'Secret Service');
    assert.equal(secret.status, 'missing');
    assert.equal(secret.fix, NO_KEYRING_ADVICE);
    assert.match(
      NO_KEYRING_ADVICE,
      /sudo apt-get install libsecret-1-0 gnome-keyring dbus; Fedora: sudo dnf install libsecret gnome-keyring dbus-daemon/,
    );
    assert.equal(exitCodeFor(results), 1);
  });

  test('macOS Keychain and Windows Credential Manager not answering', async () => {
    const unreachable = async () => ({ reachable: false, reason: 'User interaction is not allowed.' });
    const mac = row(await runChecks(probes({ platform: 'darwin', secretService: unreachable })), 'Keychain');
    assert.equal(mac.status, 'missing');
    assert.match(mac.fix ?? '', /security unlock-keychain.*--secret-store file/);
    const windows = row(
      await runChecks(probes({ platform: 'win32', secretService: unreachable })),
      'Credential Manager',
    );
    assert.equal(windows.status, 'missing');
    assert.match(windows.fix ?? '', /--secret-store file/);
  });

  test('no browser for the dashboard tests', async () => {
    const results = await runChecks(probes({ browser: () => undefined }));
    const browser = row(results, 'Browser (tests)');
    assert.equal(browser.status, 'missing');
    assert.match(browser.fix ?? '', /sudo apt-get install chromium/);
    assert.equal(exitCodeFor(results), 1);
    const mac = row(await runChecks(probes({ platform: 'darwin', browser: () => undefined })), 'Browser (tests)');
    assert.match(mac.fix ?? '', /install Google Chrome/);
  });

  test('port 7317 taken: a note (the tests use their own ports)', async () => {
    const results = await runChecks(probes({ portFree: async () => false }));
    const port = row(results, /^Port/);
    assert.equal(port.status, 'warn');
    assert.match(port.fix ?? '', /--port N/);
    assert.equal(exitCodeFor(results), 0);
  });
});

describe('doctor: the table', () => {
  test('one row a check, the fix beneath each row that is not ok', async () => {
    const results = await runChecks(probes({ browser: () => undefined, portFree: async () => false }));
    const lines = formatTable(results).split('\n');
    assert.equal(lines.length, 6 + 2);
    assert.equal(lines[0], '  ok       Node             20.19.1 (needs >=20.19)');
    const missing = lines.findIndex((l) => /MISSING +Browser \(tests\) +none found/.test(l));
    assert.ok(missing > 0);
    assert.match(lines[missing + 1] ?? '', /^ +→ No browser for the dashboard tests: install Chromium/);
  });
});

describe('versionAtLeast', () => {
  test('numeric, part by part', () => {
    assert.equal(versionAtLeast('20.19.0', '20.19'), true);
    assert.equal(versionAtLeast('20.9.0', '20.19'), false);
    assert.equal(versionAtLeast('v22.1.0', '20.19'), true);
    assert.equal(versionAtLeast('11.0.0', '11'), true);
    assert.equal(versionAtLeast('10.9.9', '11'), false);
  });
});
