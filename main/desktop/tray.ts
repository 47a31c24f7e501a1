/**
 * The tray (menu bar) icon and its menu. What the menu holds is decided in tray-menu.ts from the
 * broker's state; here it becomes an Electron Menu, and its actions are carried out.
 */
import { app, Menu, Notification, Tray, type MenuItemConstructorOptions } from 'electron';
import type { ApprovalView } from '../common/admin-api.js';
import type { RunningBroker } from '../core/broker.js';
import { trayIcon } from './icons.js';
import { openExternalSafely } from './security.js';
import { shellLog } from './shell-log.js';
import { buildTrayMenu, type TrayAction, type TrayIconState, type TrayMenuItem, type TrayState } from './tray-menu.js';
import type { DashboardWindow } from './window.js';

/** Windows starts login items with these arguments; the same ones must be passed to read the setting back. */
export const LOGIN_ITEM_ARGS = ['--hidden'];

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
  /** The constructor's icon is the normal one. */
  private icon: TrayIconState = 'normal';
  /** A pending request lapses without an event: the menu is rebuilt when the first one expires. */
  private expiry: NodeJS.Timeout | null = null;

  constructor(
    private readonly broker: RunningBroker,
    private readonly window: DashboardWindow,
    private readonly quit: () => void,
  ) {
    this.tray = new Tray(trayIcon());
    // Windows and most Linux trays: a click opens the dashboard, the menu is on right-click.
    if (process.platform !== 'darwin') this.tray.on('click', () => this.window.show());
    this.rebuild();
  }

  /** Re-reads the broker's state and rebuilds the menu, the icon and its tooltip. */
  rebuild(): void {
    if (this.tray.isDestroyed()) return;
    const state = this.state();
    const menu = buildTrayMenu(state);
    this.tray.setContextMenu(Menu.buildFromTemplate(menu.items.map((item) => this.toElectron(item))));
    this.tray.setToolTip(menu.toolTip);
    if (menu.icon !== this.icon) {
      this.tray.setImage(trayIcon(menu.icon));
      this.icon = menu.icon;
    }
    this.rebuildAtExpiry(state.pendingApprovals);
  }

  destroy(): void {
    if (this.expiry) clearTimeout(this.expiry);
    if (!this.tray.isDestroyed()) this.tray.destroy();
  }

  private rebuildAtExpiry(pending: readonly ApprovalView[]): void {
    if (this.expiry) clearTimeout(this.expiry);
    this.expiry = null;
    if (pending.length === 0) return;
    const first = Math.min(...pending.map((approval) => Date.parse(approval.expires_at)));
    // A second after, so that the broker counts it as expired.
    this.expiry = setTimeout(() => this.rebuild(), Math.max(0, first - Date.now()) + 1000);
    this.expiry.unref();
  }

  providerName(id: string): string {
    return this.safe(() => this.broker.providers(), []).find((p) => p.id === id)?.name ?? id;
  }

  /** The menu must open even when a read fails (a locked keychain, a closing database): that part stays empty. */
  private safe<T>(read: () => T, fallback: T): T {
    try {
      return read();
    } catch (error) {
      shellLog().error({ err: error }, 'tray could not read the broker state');
      return fallback;
    }
  }

  /** The tray's state, with the pending requests as the broker has them (their expiry included). */
  private state(): TrayState & { pendingApprovals: readonly ApprovalView[] } {
    const { authz } = this.broker.core;
    const providers = this.safe(() => this.broker.providers(), []);
    const names = new Map(providers.map((p) => [p.id, p.name]));
    return {
      oauthProviders: providers.filter((p) => p.auth_type === 'oauth2'),
      connections: this.safe(() => this.broker.connections(), []).map((c) => ({
        ...c,
        providerName: names.get(c.provider) ?? c.provider,
      })),
      // approvals.list() is newest first: the tray lists the oldest request first.
      pendingApprovals: this.safe(() => authz.approvals.list(), [])
        .filter((a) => a.status === 'pending')
        .reverse(),
      agents: this.safe(() => authz.agents.list(), []),
      paused: authz.killSwitch.paused,
      startAtLogin: loginItemsSupported ? app.getLoginItemSettings({ args: LOGIN_ITEM_ARGS }).openAtLogin : null,
    };
  }

  private toElectron(item: TrayMenuItem): MenuItemConstructorOptions {
    switch (item.type) {
      case 'separator':
        return { type: 'separator' };
      case 'submenu':
        return { label: item.label, submenu: item.items.map((child) => this.toElectron(child)) };
      case 'checkbox':
        return { label: item.label, type: 'checkbox', checked: item.checked, click: () => this.perform(item.action) };
      case 'item': {
        const action = item.action;
        return {
          label: item.label,
          enabled: item.enabled,
          ...(item.toolTip ? { toolTip: item.toolTip } : {}),
          ...(action?.kind === 'quit' ? { accelerator: 'CommandOrControl+Q' } : {}),
          ...(action ? { click: () => this.perform(action) } : {}),
        };
      }
    }
  }

  private perform(action: TrayAction): void {
    switch (action.kind) {
      case 'open':
        return this.window.show(action.target);
      case 'connect':
        return void this.connect(action.provider, action.providerName);
      case 'pause':
      case 'resume':
        return void this.run(action.kind === 'pause' ? 'pause the agents' : 'resume the agents', () =>
          action.kind === 'pause'
            ? this.broker.core.authz.killSwitch.pause()
            : this.broker.core.authz.killSwitch.resume(),
        );
      case 'revoke-agent':
        return void this.run(`revoke ${action.agentName}`, () => this.broker.core.authz.agents.revoke(action.agentId));
      case 'set-start-at-login':
        app.setLoginItemSettings({ openAtLogin: action.enabled, args: LOGIN_ITEM_ARGS });
        return this.rebuild();
      case 'quit':
        return this.quit();
    }
  }

  /** The broker emits the change and the menu follows; a failure is told to the person. */
  private async run(what: string, change: () => Promise<unknown>): Promise<void> {
    try {
      await change();
    } catch (error) {
      // the person asked for it: a notification is where they see it failed
      notify(`Couldn't ${what}`, errorMessage(error), () => this.window.show());
    }
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
        notify(
          `Set up ${providerName} first`,
          `Enter your ${providerName} OAuth app (client ID) in Latchkey, then connect.`,
        );
        return;
      }
      notify(`Couldn't connect ${providerName}`, errorMessage(error), () => this.window.show({ provider: providerId }));
    }
  }
}
