/**
 * Latchkey desktop: a thin Electron shell around the broker. It starts the broker, shows its
 * dashboard in one hardened window, and puts a tray menu in front of it. No business logic here.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { app, dialog, Menu, session } from 'electron';
import { startBroker, type RunningBroker } from '../core/broker.js';
import { LatchkeyError } from '../core/errors.js';
import { defaultDataDir } from '../core/paths.js';
import { createLogger } from '../core/log.js';
import { rotatingLogFile } from '../core/log-file.js';
import { hardenApp, hardenSession, setBrokerOrigin } from './security.js';
import { setShellLog, shellLog } from './shell-log.js';
import { LatchkeyTray, notify, openedAtLogin } from './tray.js';
import { DashboardWindow } from './window.js';

const DEFAULT_PORT = 7317;
const CLOSE_TIMEOUT_MS = 5000;
const PRELOAD = fileURLToPath(new URL('../../preload/index.cjs', import.meta.url));

/**
 * LATCHKEY_PORT moves the broker off 7317 (redirect URIs registered with providers name the port);
 * LATCHKEY_KEYCHAIN_SERVICE keeps secrets under another keychain service (tests use their own).
 */
function brokerSettings(env: NodeJS.ProcessEnv): { port: number; keychainService: string | undefined } {
  const port = env.LATCHKEY_PORT === undefined || env.LATCHKEY_PORT === '' ? DEFAULT_PORT : Number(env.LATCHKEY_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new LatchkeyError(
      'invalid_option',
      `LATCHKEY_PORT must be a port number 0–65535, not "${env.LATCHKEY_PORT}"`,
    );
  }
  return { port, keychainService: env.LATCHKEY_KEYCHAIN_SERVICE || undefined };
}

function describeStartupError(error: unknown): string {
  const code =
    typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : '';
  const message = error instanceof Error ? error.message : String(error);
  const hints: Record<string, string> = {
    data_dir_in_use:
      'Another Latchkey is already using its data directory — probably `latchkey serve` in a terminal. Stop it, then open Latchkey again.',
    keychain_unavailable:
      'Latchkey keeps secrets in the system keychain, and it could not be reached. On Linux, make sure a Secret Service keyring (GNOME Keyring, KWallet) is running and unlocked.',
    port_in_use: `Another program is using Latchkey's port on the loopback interface — perhaps \`latchkey serve\` in a terminal. Stop it, then open Latchkey again.`,
  };
  const hint = hints[code];
  const details = code ? `${message} (${code})` : message;
  return hint ? `${hint}\n\n${details}` : details;
}

// ---- before ready ------------------------------------------------------------------------------

app.setName('Latchkey');
// One data directory for the app and `latchkey serve`: Electron's userData must be core's defaultDataDir
// (in development `electron .` would otherwise name it after package.json's "name").
const dataDir = defaultDataDir();
if (path.resolve(app.getPath('userData')) !== path.resolve(dataDir)) app.setPath('userData', dataDir);
// Chromium's own profile (cache, local storage…) goes in a subfolder, away from the broker's files.
app.setPath('sessionData', path.join(dataDir, 'electron-session'));
if (process.platform === 'win32') app.setAppUserModelId('dev.latchkey.app');

hardenApp();

if (!app.requestSingleInstanceLock()) {
  // Another Latchkey runs: it got our 'second-instance' and shows its window.
  app.quit();
} else {
  void run();
}

async function run(): Promise<void> {
  let broker: RunningBroker | null = null;
  let window: DashboardWindow | null = null;
  let tray: LatchkeyTray | null = null;
  let closing = false;
  let closed = false;

  app.on('second-instance', () => window?.show());
  app.on('activate', () => window?.show()); // macOS: Dock icon or relaunch
  // A tray app keeps running with no window.
  app.on('window-all-closed', () => {});

  app.on('before-quit', (event) => {
    window?.allowClose();
    const running = broker;
    if (!running || closed) return;
    event.preventDefault();
    if (closing) return;
    closing = true;
    void (async () => {
      try {
        await Promise.race([running.close(), new Promise((resolve) => setTimeout(resolve, CLOSE_TIMEOUT_MS).unref())]);
      } catch (error) {
        shellLog().error({ err: error }, 'closing the broker failed');
      } finally {
        closed = true;
        tray?.destroy();
        app.quit();
      }
    })();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => app.quit());

  await app.whenReady();
  hardenSession(session.defaultSession);
  if (process.platform === 'darwin') {
    app.dock?.hide(); // LSUIElement does this for the packaged app; this covers `electron .`
    // Keep the standard Edit menu so copy and paste shortcuts work in the dashboard's fields.
    Menu.setApplicationMenu(
      Menu.buildFromTemplate([{ role: 'appMenu' }, { role: 'editMenu' }, { role: 'windowMenu' }]),
    );
  } else {
    Menu.setApplicationMenu(null);
  }

  const logger = createLogger({
    destination: rotatingLogFile(path.join(app.getPath('userData'), 'logs', 'latchkey.log')),
  });
  setShellLog(logger);
  try {
    const settings = brokerSettings(process.env);
    broker = await startBroker({
      dataDir: app.getPath('userData'),
      port: settings.port,
      secretStore: 'keychain',
      keychainService: settings.keychainService,
      logger,
    });
  } catch (error) {
    logger.fatal({ err: error }, 'the broker could not start');
    dialog.showErrorBox('Latchkey could not start', describeStartupError(error));
    app.exit(1);
    return;
  }

  const running = broker;
  setBrokerOrigin(running.url);
  const dashboard = new DashboardWindow({
    dashboardUrl: running.dashboardUrl,
    preload: PRELOAD,
    version: app.getVersion(),
  });
  window = dashboard;
  const menu = new LatchkeyTray(running, dashboard, () => app.quit());
  tray = menu;

  const { events } = running;
  for (const name of ['agent-changed', 'approval-decided', 'paused-changed'] as const)
    events.on(name, () => menu.rebuild());
  events.on('connection-changed', (change) => {
    menu.rebuild();
    if (change.status === 'needs_reauth') {
      notify(
        `Reconnect ${change.name}`,
        `${menu.providerName(change.provider)} no longer accepts Latchkey's token: agents cannot use it until you connect it again.`,
        () => dashboard.show({ view: 'connections' }),
      );
    }
  });
  events.on('approval-requested', (request) => {
    menu.rebuild();
    const [title, body] =
      request.kind === 'call'
        ? [
            `${request.agent_name} wants to ${request.summary ?? 'make a call'}`,
            'The call waits for your answer in Latchkey: allow it or deny it.',
          ]
        : [
            `${request.agent_name} asks for access`,
            'Review the request in Latchkey: nothing is granted until you approve it.',
          ];
    notify(title, body, () => dashboard.show({ view: 'approvals' }));
  });
  events.on('flow-finished', (event) => {
    menu.rebuild();
    const name = menu.providerName(event.provider);
    if (event.status === 'connected') {
      notify(`Connected to ${name}`, 'Agents can now ask for access to it.', () =>
        dashboard.show({ view: 'connections' }),
      );
    } else {
      notify(`Couldn't connect to ${name}`, event.error ?? 'The sign-in did not complete.', () =>
        dashboard.show({ provider: event.provider }),
      );
    }
  });
  // Providers may have been added in the dashboard: refresh the menu when it goes away.
  dashboard.onHide(() => menu.rebuild());

  if (!openedAtLogin()) dashboard.show();
}
