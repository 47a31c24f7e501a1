/**
 * The one dashboard window. It shows the broker's dashboard (http://127.0.0.1:PORT/#admin=TOKEN);
 * closing it only hides it, the tray app keeps running.
 */
import { app, BrowserWindow, Menu, nativeTheme, type MenuItemConstructorOptions } from 'electron';
import { windowIcon } from './icons.js';
import { shellLog } from './shell-log.js';

/** The dashboard's views (renderer/src/session.ts reads them from the fragment). */
export type DashboardView = 'connections' | 'providers' | 'agents' | 'approvals' | 'audit';

export interface DashboardTarget {
  view?: DashboardView;
  /** Open and scroll to this provider's card (implies the Providers view). */
  provider?: string;
}

export interface DashboardWindowOptions {
  /** The broker's dashboard URL with the admin token in the fragment. */
  dashboardUrl: string;
  /** Absolute path of the compiled preload (dist/preload/index.cjs). */
  preload: string;
  /** Passed to the preload as `--latchkey-version=`; the page sees it as `window.latchkeyDesktop.version`. */
  version: string;
}

/**
 * The dashboard reads `view` and `provider` from the fragment next to the token, then strips it.
 * Loading a URL that differs only in the fragment is a same-document navigation: the page gets a
 * `hashchange` and switches view without reloading.
 */
export function dashboardUrlFor(dashboardUrl: string, target: DashboardTarget | undefined): string {
  if (!target || (!target.view && !target.provider)) return dashboardUrl;
  const url = new URL(dashboardUrl);
  const params = new URLSearchParams(url.hash.replace(/^#/, ''));
  params.set('view', target.view ?? 'providers');
  if (target.provider) params.set('provider', target.provider);
  url.hash = params.toString();
  return url.toString();
}

export class DashboardWindow {
  private window: BrowserWindow | null = null;
  private quitting = false;
  private readonly hideListeners: (() => void)[] = [];

  constructor(private readonly options: DashboardWindowOptions) {}

  /** Shows (creating it if needed) and focuses the window, optionally on a view or provider. */
  show(target?: DashboardTarget): void {
    const url = dashboardUrlFor(this.options.dashboardUrl, target);
    let win = this.window;
    if (!win || win.isDestroyed()) {
      win = this.create();
      this.window = win;
      this.load(win, url);
      win.once('ready-to-show', () => this.reveal(win as BrowserWindow));
      return;
    }
    if (target) this.load(win, url);
    this.reveal(win);
  }

  isVisible(): boolean {
    return this.window !== null && !this.window.isDestroyed() && this.window.isVisible();
  }

  /** From now on 'close' really closes (Quit). */
  allowClose(): void {
    this.quitting = true;
  }

  onHide(listener: () => void): void {
    this.hideListeners.push(listener);
  }

  private reveal(win: BrowserWindow): void {
    if (win.isMinimized()) win.restore();
    win.show();
    win.focus();
    if (process.platform === 'darwin') app.focus({ steal: true });
  }

  private load(win: BrowserWindow, url: string): void {
    win.loadURL(url).catch((error: unknown) => {
      // ERR_ABORTED when a newer load replaces this one: harmless.
      if (!String(error).includes('ERR_ABORTED')) shellLog().error({ err: error }, 'could not load the dashboard');
    });
  }

  private create(): BrowserWindow {
    const win = new BrowserWindow({
      width: 1120,
      height: 780,
      minWidth: 720,
      minHeight: 520,
      show: false,
      title: 'Latchkey',
      icon: process.platform === 'linux' ? windowIcon() : undefined,
      backgroundColor: nativeTheme.shouldUseDarkColors ? '#1c1c1e' : '#f5f5f7',
      autoHideMenuBar: true,
      webPreferences: {
        preload: this.options.preload,
        contextIsolation: true,
        sandbox: true,
        nodeIntegration: false,
        nodeIntegrationInWorker: false,
        nodeIntegrationInSubFrames: false,
        webSecurity: true,
        allowRunningInsecureContent: false,
        webviewTag: false,
        experimentalFeatures: false,
        navigateOnDragDrop: false,
        safeDialogs: true,
        spellcheck: false,
        devTools: !app.isPackaged,
        additionalArguments: [`--latchkey-version=${this.options.version}`],
      },
    });

    win.on('close', (event) => {
      if (this.quitting) return;
      event.preventDefault();
      win.hide();
    });
    win.on('hide', () => this.hideListeners.forEach((listener) => listener()));
    win.on('closed', () => {
      if (this.window === win) this.window = null;
    });

    // A crashed renderer: show the dashboard again instead of a blank window.
    win.webContents.on('render-process-gone', (_event, details) => {
      shellLog().error({ reason: details.reason }, 'dashboard renderer gone');
      if (!this.quitting && details.reason !== 'clean-exit' && !win.isDestroyed())
        this.load(win, this.options.dashboardUrl);
    });

    // Electron has no default context menu: offer cut/copy/paste for fields and selections (pasting a client secret…).
    win.webContents.on('context-menu', (_event, params) => {
      const items: MenuItemConstructorOptions[] = [];
      if (params.isEditable) {
        items.push(
          { role: 'cut', enabled: params.editFlags.canCut },
          { role: 'copy', enabled: params.editFlags.canCopy },
          { role: 'paste', enabled: params.editFlags.canPaste },
          { type: 'separator' },
          { role: 'selectAll', enabled: params.editFlags.canSelectAll },
        );
      } else if (params.selectionText.trim()) {
        items.push({ role: 'copy' });
      }
      if (items.length > 0) Menu.buildFromTemplate(items).popup({ window: win });
    });

    return win;
  }
}
