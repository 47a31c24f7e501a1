/** The dashboard tests' browser lookup order, on each OS, over a faked file system. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findBrowser, missingBrowserAdvice, type BrowserEnvironment } from '../setup/find-browser.js';

const machine = (platform: NodeJS.Platform, files: string[], env: Record<string, string> = {}): BrowserEnvironment => ({
  platform,
  env: { PATH: '/usr/local/bin:/usr/bin:/bin', ...env },
  exists: (path) => files.includes(path),
});

const LINUX_CHROME = '/opt/google/chrome/chrome';
const LINUX_EDGE = '/opt/microsoft/msedge/msedge';
const MAC_CHROME = '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome';
const MAC_EDGE = '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge';

describe('findBrowser: lookup order', () => {
  test('CHROMIUM_PATH comes first, before any installed browser', () => {
    const found = findBrowser(
      machine('linux', ['/srv/my-chromium', '/usr/bin/chromium', LINUX_CHROME], { CHROMIUM_PATH: '/srv/my-chromium' }),
    );
    assert.deepEqual(found, { kind: 'path', executablePath: '/srv/my-chromium', source: 'CHROMIUM_PATH' });
  });

  test('a CHROMIUM_PATH that does not exist finds nothing, and the advice names it', () => {
    const env = machine('linux', ['/usr/bin/chromium'], { CHROMIUM_PATH: '/nowhere/chromium' });
    assert.equal(findBrowser(env), undefined);
    assert.match(missingBrowserAdvice(env), /^CHROMIUM_PATH is \/nowhere\/chromium, which does not exist/);
  });

  test("Debian's chromium before Ubuntu's chromium-browser, before Chrome", () => {
    const found = findBrowser(machine('linux', ['/usr/bin/chromium-browser', '/usr/bin/chromium', LINUX_CHROME]));
    assert.deepEqual(found, { kind: 'path', executablePath: '/usr/bin/chromium', source: 'chromium' });
  });

  test('chromium-browser when it is the only Chromium (Ubuntu, Fedora), found through PATH order', () => {
    const found = findBrowser(
      machine('linux', ['/usr/bin/chromium-browser', '/usr/local/bin/chromium-browser', LINUX_CHROME]),
    );
    assert.deepEqual(found, {
      kind: 'path',
      executablePath: '/usr/local/bin/chromium-browser',
      source: 'chromium-browser',
    });
  });

  test('on Linux without Chromium: Google Chrome before Microsoft Edge, as playwright channels', () => {
    assert.deepEqual(findBrowser(machine('linux', [LINUX_EDGE, LINUX_CHROME])), {
      kind: 'channel',
      channel: 'chrome',
      executablePath: LINUX_CHROME,
      source: 'Google Chrome',
    });
    assert.deepEqual(findBrowser(machine('linux', [LINUX_EDGE])), {
      kind: 'channel',
      channel: 'msedge',
      executablePath: LINUX_EDGE,
      source: 'Microsoft Edge',
    });
  });

  test('on macOS: Chromium on PATH (Homebrew), then Chrome, then Edge', () => {
    assert.deepEqual(findBrowser(machine('darwin', ['/usr/local/bin/chromium', MAC_CHROME])), {
      kind: 'path',
      executablePath: '/usr/local/bin/chromium',
      source: 'chromium',
    });
    assert.deepEqual(findBrowser(machine('darwin', [MAC_CHROME, MAC_EDGE]))?.executablePath, MAC_CHROME);
    assert.deepEqual(findBrowser(machine('darwin', [MAC_EDGE])), {
      kind: 'channel',
      channel: 'msedge',
      executablePath: MAC_EDGE,
      source: 'Microsoft Edge',
    });
  });

  test('on Windows: Chrome per user, then system-wide, then Edge (which Windows ships)', () => {
    const env = {
      LOCALAPPDATA: 'C:\\Users\\a\\AppData\\Local',
      PROGRAMFILES: 'C:\\Program Files',
      'PROGRAMFILES(X86)': 'C:\\Program Files (x86)',
    };
    const userChrome = 'C:\\Users\\a\\AppData\\Local\\Google\\Chrome\\Application\\chrome.exe';
    const systemChrome = 'C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe';
    const edge = 'C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe';
    assert.equal(findBrowser(machine('win32', [systemChrome, userChrome, edge], env))?.executablePath, userChrome);
    assert.deepEqual(findBrowser(machine('win32', [systemChrome, edge], env)), {
      kind: 'channel',
      channel: 'chrome',
      executablePath: systemChrome,
      source: 'Google Chrome',
    });
    assert.deepEqual(findBrowser(machine('win32', [edge], env)), {
      kind: 'channel',
      channel: 'msedge',
      executablePath: edge,
      source: 'Microsoft Edge',
    });
  });

  test('on Windows a CHROMIUM_PATH is used as given', () => {
    const path = 'D:\\tools\\chrome-win\\chrome.exe';
    assert.deepEqual(findBrowser(machine('win32', [path], { CHROMIUM_PATH: path })), {
      kind: 'path',
      executablePath: path,
      source: 'CHROMIUM_PATH',
    });
  });
});

describe('missingBrowserAdvice: one line naming what to install', () => {
  for (const [platform, expected] of [
    [
      'linux',
      /sudo apt-get install chromium; Ubuntu: sudo apt-get install chromium-browser; Fedora: sudo dnf install chromium/,
    ],
    ['darwin', /install Google Chrome/],
    ['win32', /install Google Chrome or Microsoft Edge/],
  ] as const) {
    test(platform, () => {
      const env = machine(platform, []);
      assert.equal(findBrowser(env), undefined);
      const advice = missingBrowserAdvice(env);
      assert.match(advice, expected);
      assert.match(advice, /CHROMIUM_PATH/);
      assert.doesNotMatch(advice, /\n/);
    });
  }
});
