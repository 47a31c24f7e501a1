/**
 * Preload of the dashboard window. Sandboxed preloads cannot be ES modules, hence CommonJS
 * (compiled to dist/preload/index.cjs).
 *
 * The bridge is deliberately narrow: it only tells the page that it runs in the desktop app and
 * which version. No IPC: links and sign-in pages use window.open, which the main process turns
 * into the system browser (https or loopback only), so the page works the same in a plain browser.
 */
import electron = require('electron');

const VERSION_ARG = '--latchkey-version=';

function appVersion(): string {
  const arg = process.argv.find((a) => a.startsWith(VERSION_ARG));
  const value = arg ? arg.slice(VERSION_ARG.length) : '';
  return /^[0-9A-Za-z.+-]{1,64}$/.test(value) ? value : 'unknown';
}

electron.contextBridge.exposeInMainWorld(
  'latchkeyDesktop',
  Object.freeze({
    platform: 'desktop' as const,
    version: appVersion(),
  }),
);
