/**
 * Which browser the dashboard tests drive, wherever one is installed: CHROMIUM_PATH, then a
 * Chromium on PATH (Debian's `chromium`, Ubuntu's and Fedora's `chromium-browser`), then an
 * installed Google Chrome or Microsoft Edge (playwright-core's `channel`), on Linux, macOS and
 * Windows. A pure function over an injected environment, so the order is testable anywhere.
 */
import { existsSync } from 'node:fs';
import { posix } from 'node:path';

export interface BrowserEnvironment {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  exists(path: string): boolean;
}

/** How to launch it with playwright-core, and a name for messages. */
export type BrowserChoice =
  | { kind: 'path'; executablePath: string; source: string }
  | { kind: 'channel'; channel: 'chrome' | 'msedge'; executablePath: string; source: string };

/** Where playwright-core's `chrome` and `msedge` channels look (its stable-channel paths). */
function channelPaths(
  platform: NodeJS.Platform,
  env: BrowserEnvironment['env'],
): { channel: 'chrome' | 'msedge'; path: string }[] {
  if (platform === 'darwin') {
    return [
      { channel: 'chrome', path: '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome' },
      { channel: 'msedge', path: '/Applications/Microsoft Edge.app/Contents/MacOS/Microsoft Edge' },
    ];
  }
  if (platform === 'win32') {
    const roots = [env.LOCALAPPDATA, env.PROGRAMFILES, env['PROGRAMFILES(X86)']].filter((root): root is string =>
      Boolean(root),
    );
    return [
      ...roots.map((root) => ({
        channel: 'chrome' as const,
        path: `${root}\\Google\\Chrome\\Application\\chrome.exe`,
      })),
      ...roots.map((root) => ({
        channel: 'msedge' as const,
        path: `${root}\\Microsoft\\Edge\\Application\\msedge.exe`,
      })),
    ];
  }
  return [
    { channel: 'chrome', path: '/opt/google/chrome/chrome' },
    { channel: 'msedge', path: '/opt/microsoft/msedge/msedge' },
  ];
}

/** The first browser in lookup order, or undefined when there is none. */
export function findBrowser({ platform, env, exists }: BrowserEnvironment): BrowserChoice | undefined {
  const configured = env.CHROMIUM_PATH;
  // A CHROMIUM_PATH that points nowhere is reported as such, not silently replaced by another browser.
  if (configured)
    return exists(configured) ? { kind: 'path', executablePath: configured, source: 'CHROMIUM_PATH' } : undefined;
  // Windows has no Chromium on PATH by convention; its browsers are found as channels below.
  if (platform !== 'win32') {
    const dirs = (env.PATH ?? '').split(':').filter(Boolean);
    for (const name of ['chromium', 'chromium-browser']) {
      for (const dir of dirs) {
        const path = posix.join(dir, name);
        if (exists(path)) return { kind: 'path', executablePath: path, source: name };
      }
    }
  }
  for (const { channel, path } of channelPaths(platform, env)) {
    if (exists(path))
      return {
        kind: 'channel',
        channel,
        executablePath: path,
        source: channel === 'chrome' ? 'Google Chrome' : 'Microsoft Edge',
      };
  }
  return undefined;
}

/** One line naming what to install (or fix) when findBrowser found nothing. */
export function missingBrowserAdvice({ platform, env }: Pick<BrowserEnvironment, 'platform' | 'env'>): string {
  if (env.CHROMIUM_PATH)
    return `CHROMIUM_PATH is ${env.CHROMIUM_PATH}, which does not exist: point it at a Chromium, Chrome or Edge executable, or unset it.`;
  const setPath = 'or set CHROMIUM_PATH to a Chromium-based browser';
  if (platform === 'darwin')
    return `No browser for the dashboard tests: install Google Chrome (https://www.google.com/chrome/) or Microsoft Edge, ${setPath}.`;
  if (platform === 'win32')
    return `No browser for the dashboard tests: install Google Chrome or Microsoft Edge, ${setPath}.`;
  return `No browser for the dashboard tests: install Chromium (Debian: sudo apt-get install chromium; Ubuntu: sudo apt-get install chromium-browser; Fedora: sudo dnf install chromium), ${setPath}.`;
}

/** This machine's environment. */
export const thisMachine: BrowserEnvironment = { platform: process.platform, env: process.env, exists: existsSync };

/** playwright-core launch options for this machine's browser; throws the one-line advice when there is none. */
export function browserLaunchOptions(): { executablePath: string } | { channel: 'chrome' | 'msedge' } {
  const choice = findBrowser(thisMachine);
  if (!choice) throw new Error(missingBrowserAdvice(thisMachine));
  return choice.kind === 'channel' ? { channel: choice.channel } : { executablePath: choice.executablePath };
}
