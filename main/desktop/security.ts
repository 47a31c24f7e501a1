/**
 * Electron hardening for a window that shows nothing but the broker's own dashboard
 * (http://127.0.0.1:PORT/). Everything not needed is denied: permissions, other origins,
 * new windows, webviews, downloads. Links out go to the system browser, and only when https
 * (or loopback http).
 */
import { app, shell, type Session, type WebContents } from 'electron';
import { DASHBOARD_CSP } from '../common/dashboard-csp.js';
import { isLoopbackHost } from '../core/net.js';
import { shellLog } from './shell-log.js';

let brokerOrigin: string | null = null;

/** Set once the broker listens; until then no http(s) origin is trusted. */
export function setBrokerOrigin(url: string): void {
  brokerOrigin = new URL(url).origin;
}

function parse(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    // not a URL: the callers refuse it
    return null;
  }
}

/** What the log may say about a URL: its origin (a path or query can carry a code or a token). */
function originOf(url: string): string {
  return parse(url)?.origin ?? 'not a URL';
}

export function isBrokerUrl(url: string): boolean {
  const parsed = parse(url);
  return parsed !== null && brokerOrigin !== null && parsed.origin === brokerOrigin;
}

/** What may leave the app for the system browser: https, or http to this machine; never with credentials in the URL. */
export function isSafeExternalUrl(url: string): boolean {
  const parsed = parse(url);
  if (!parsed || parsed.username || parsed.password) return false;
  if (parsed.protocol === 'https:') return parsed.hostname !== '';
  if (parsed.protocol === 'http:') return isLoopbackHost(parsed.hostname);
  return false;
}

export async function openExternalSafely(url: string): Promise<boolean> {
  if (!isSafeExternalUrl(url)) {
    shellLog().warn({ origin: originOf(url) }, 'refused to open a URL outside the app');
    return false;
  }
  try {
    await shell.openExternal(url);
    return true;
  } catch (error) {
    shellLog().warn({ err: error }, 'could not open the system browser');
    return false;
  }
}

/** Requests a page may make: the broker origin, and non-network schemes (data:, blob:, devtools:). */
function isAllowedRequest(url: string): boolean {
  const parsed = parse(url);
  if (!parsed) return false;
  if (['http:', 'https:', 'ws:', 'wss:', 'file:', 'ftp:'].includes(parsed.protocol)) {
    return brokerOrigin !== null && parsed.origin === brokerOrigin;
  }
  return true;
}

const hardened = new WeakSet<Session>();

/** Deny-all permissions, the CSP header on broker responses, no requests to other origins, no downloads. */
export function hardenSession(ses: Session): void {
  if (hardened.has(ses)) return;
  hardened.add(ses);

  ses.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  ses.setPermissionCheckHandler(() => false);
  ses.setDevicePermissionHandler(() => false);

  ses.webRequest.onBeforeRequest((details, callback) => {
    const allowed = isAllowedRequest(details.url);
    if (!allowed) shellLog().warn({ origin: originOf(details.url) }, 'blocked a request to another origin');
    callback({ cancel: !allowed });
  });

  // The dashboard's CSP on every broker response. It is added next to whatever policy the broker
  // sends (all policies are enforced together), so the window never runs under a looser one.
  ses.webRequest.onHeadersReceived((details, callback) => {
    if (!isBrokerUrl(details.url)) {
      callback({});
      return;
    }
    const headers: Record<string, string[]> = {};
    let csp: string[] = [];
    for (const [name, value] of Object.entries(details.responseHeaders ?? {})) {
      const lower = name.toLowerCase();
      if (lower === 'content-security-policy') csp = [...csp, ...value];
      else if (lower !== 'x-content-type-options') headers[name] = value;
    }
    headers['Content-Security-Policy'] = [...csp.filter((policy) => policy !== DASHBOARD_CSP), DASHBOARD_CSP];
    headers['X-Content-Type-Options'] = ['nosniff'];
    callback({ responseHeaders: headers });
  });

  ses.on('will-download', (event, item) => {
    // Only files the dashboard made itself (audit exports fetched with the admin token, saved as blob: URLs).
    if (brokerOrigin === null || !item.getURL().startsWith(`blob:${brokerOrigin}/`)) event.preventDefault();
    else item.setSaveDialogOptions({ defaultPath: item.getFilename() });
  });
}

/** Guards for every webContents the app ever creates (the dashboard window and anything unexpected). */
function guardWebContents(contents: WebContents): void {
  contents.on('will-attach-webview', (event) => event.preventDefault());

  // No new windows: http(s) links go to the system browser (https, or loopback http), the rest nowhere.
  contents.setWindowOpenHandler(({ url }) => {
    void openExternalSafely(url);
    return { action: 'deny' };
  });

  contents.on('will-navigate', (event) => {
    if (isBrokerUrl(event.url)) return;
    event.preventDefault();
    void openExternalSafely(event.url);
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isBrokerUrl(event.url)) event.preventDefault();
  });
  contents.on('will-redirect', (event) => {
    if (!isBrokerUrl(event.url)) event.preventDefault();
  });
}

/** Call before `app.whenReady()`. */
export function hardenApp(): void {
  app.enableSandbox();
  app.on('web-contents-created', (_event, contents) => guardWebContents(contents));
  app.on('session-created', (ses) => hardenSession(ses));
}
