/**
 * The tray (menu bar) icon and its menu: open the dashboard, connect an OAuth provider in the
 * system browser, see connections at a glance, start at login, quit.
 */
import { app, Menu, Notification, Tray, type MenuItemConstructorOptions } from 'electron';
import type { RunningBroker } from '../core/broker.js';
import { trayIcon } from './icons.js';
import { openExternalSafely } from './security.js';
import type { DashboardWindow } from './window.js';

/** Windows starts login items with these arguments; the same ones must be passed to read the setting back. */
export const LOGIN_ITEM_ARGS = ['--hidden'];

const STATUS_LABEL: Record<string, string> = {
  connected: 'connected',
  expired: 'expired',
  needs_reauth: 'needs re-auth',
};

export function notify(title: string, body: string, onClick?: () => void): void {
  if (!Notification.isSupported()) return;
  const notification = new Notification({ title, body });
  if (onClick) notification.on('click', onClick);
  notification.show();
}

function errorCode(error: unknown): string | undefined {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const code = (error as { code: unknown }).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Login items are a macOS and Windows feature of Electron; on Linux the entry is left out. */
const loginItemsSupported = process.platform === 'darwin' || process.platform === 'win32';

export function openedAtLogin(): boolean {
  if (process.argv.includes('--hidden')) return true;
  return process.platform === 'darwin' && app.getLoginItemSettings().wasOpenedAtLogin;
}

export class LatchkeyTray {
  private readonly tray: Tray;

  constructor(
    private readonly broker: RunningBroker,
    private readonly window: DashboardWindow,
    private readonly quit: () => void,
  ) {
    this.tray = new Tray(trayIcon());
    this.tray.setToolTip('Latchkey');
    // Windows and most Linux trays: a click opens the dashboard, the menu is on right-click.
    if (process.platform !== 'darwin') this.tray.on('click', () => this.window.show());
    this.rebuild();
  }

  /** Re-reads providers and connections from the broker. */
  rebuild(): void {
    if (this.tray.isDestroyed()) return;
    this.tray.setContextMenu(Menu.buildFromTemplate(this.template()));
  }

  destroy(): void {
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  providerName(id: string): string {
    return this.safe(() => this.broker.providers(), []).find((p) => p.id === id)?.name ?? id;
  }

  private safe<T>(read: () => T, fallback: T): T {
    try {
      return read();
    } catch (error) {
      console.error('[latchkey] tray could not read the broker state:', error);
      return fallback;
    }
  }

  private template(): MenuItemConstructorOptions[] {
    const oauthProviders = this.safe(() => this.broker.providers(), []).filter((p) => p.auth_type === 'oauth2');
    const connections = this.safe(() => this.broker.connections(), []);

    const connectMenu: MenuItemConstructorOptions[] =
      oauthProviders.length > 0
        ? oauthProviders.map((p) => ({ label: `Connect ${p.name}`, click: () => void this.connect(p.id, p.name) }))
        : [{ label: 'No OAuth providers', enabled: false }];
    connectMenu.push(
      { type: 'separator' },
      { label: 'All providers…', click: () => this.window.show({ view: 'providers' }) },
    );

    const connectionItems: MenuItemConstructorOptions[] =
      connections.length > 0
        ? connections.map((c) => ({
            label: `${c.name} — ${STATUS_LABEL[c.status] ?? c.status}`,
            toolTip: `${this.providerName(c.provider)}: ${STATUS_LABEL[c.status] ?? c.status}`,
            click: () => this.window.show({ view: 'connections' }),
          }))
        : [{ label: 'No connections yet', enabled: false }];

    const template: MenuItemConstructorOptions[] = [
      { label: 'Open Latchkey', click: () => this.window.show() },
      { type: 'separator' },
      { label: 'Connect', submenu: connectMenu },
      { type: 'separator' },
      { label: 'Connections', enabled: false },
      ...connectionItems,
      { type: 'separator' },
    ];
    if (loginItemsSupported) {
      template.push({
        label: 'Start at login',
        type: 'checkbox',
        checked: app.getLoginItemSettings({ args: LOGIN_ITEM_ARGS }).openAtLogin,
        click: (item) => app.setLoginItemSettings({ openAtLogin: item.checked, args: LOGIN_ITEM_ARGS }),
      });
      template.push({ type: 'separator' });
    }
    template.push({ label: 'Quit Latchkey', accelerator: 'CommandOrControl+Q', click: () => this.quit() });
    return template;
  }

  /** Starts a browser connection in the broker and hands the authorize URL to the system browser. */
  private async connect(providerId: string, providerName: string): Promise<void> {
    try {
      const { authorize_url } = await this.broker.startBrowserConnection(providerId);
      if (!(await openExternalSafely(authorize_url))) {
        notify(`Couldn't connect ${providerName}`, 'The sign-in page could not be opened in your browser.');
      }
    } catch (error) {
      if (errorCode(error) === 'client_not_configured') {
        this.window.show({ view: 'providers', provider: providerId });
        notify(`Set up ${providerName} first`, `Enter your ${providerName} OAuth app (client ID) in Latchkey, then connect.`);
        return;
      }
      notify(`Couldn't connect ${providerName}`, errorMessage(error), () => this.window.show({ provider: providerId }));
    }
  }
}
