/**
 * A stand-in for the `electron` module, for running the real desktop shell (dist/main/desktop/main.js)
 * under plain Node where the Electron binary cannot be downloaded. It implements the part of the
 * API the shell uses, with Electron's event semantics where the shell relies on them
 * (preventable before-quit and close, web-contents-created, will-navigate, the window open
 * handler, single-instance lock with second-instance), and nothing else.
 *
 * Every call the shell makes that a test asserts on is sent to the parent over the IPC channel
 * as `{ type: 'record', api, ...data }`; the parent drives it with `{ type: 'command', id, cmd, ... }`
 * (a click on a tray item, a navigation, a window.open, a click on a notification) and gets
 * `{ type: 'reply', id, result | error }`. It needs to be spawned with an 'ipc' stdio channel.
 */
import { createHash } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';

if (typeof process.send !== 'function') throw new Error('the electron stand-in must be spawned with an IPC channel');

function record(api, data = {}) {
  process.send({ type: 'record', api, ...data });
}

function preventable(extra = {}) {
  return {
    defaultPrevented: false,
    preventDefault() {
      this.defaultPrevented = true;
    },
    ...extra,
  };
}

// ---- nativeImage ---------------------------------------------------------------------------------

const PNG_BASE64 = 'data:image/png;base64,';

/** Width and height from a PNG's IHDR chunk. */
function pngSize(dataURL) {
  if (!dataURL.startsWith(PNG_BASE64))
    throw new Error(`stand-in nativeImage reads PNG data URLs only, not ${dataURL.slice(0, 30)}`);
  const bytes = Buffer.from(dataURL.slice(PNG_BASE64.length), 'base64');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

class NativeImage {
  representations = [];
  template = false;

  getSize() {
    const first = this.representations[0];
    return first ? { width: first.width, height: first.height } : { width: 0, height: 0 };
  }

  /** The stand-in does not decode PNG pixels: an opaque white bitmap of the right size stands for them. */
  toBitmap() {
    const { width, height } = this.getSize();
    return Buffer.alloc(width * height * 4, 0xff);
  }

  addRepresentation(options) {
    if (options.dataURL !== undefined) {
      this.representations.push({
        scaleFactor: options.scaleFactor ?? 1,
        ...pngSize(options.dataURL),
        source: 'png',
        digest: digest(options.dataURL),
      });
    } else {
      if (options.buffer.length !== options.width * options.height * 4)
        throw new Error('stand-in nativeImage: bitmap size does not match width × height');
      this.representations.push({
        scaleFactor: options.scaleFactor ?? 1,
        width: options.width,
        height: options.height,
        source: 'bitmap',
        digest: digest(options.buffer),
      });
    }
  }

  setTemplateImage(template) {
    this.template = template;
  }

  isEmpty() {
    return this.representations.length === 0;
  }

  /** What the records carry: enough to tell two icons apart. */
  describe() {
    return { template: this.template, representations: this.representations };
  }
}

function digest(data) {
  return createHash('sha256').update(data).digest('hex').slice(0, 16);
}

export const nativeImage = {
  createEmpty: () => new NativeImage(),
  createFromDataURL(dataURL) {
    const image = new NativeImage();
    image.addRepresentation({ scaleFactor: 1, dataURL });
    return image;
  },
};

// ---- Menu ----------------------------------------------------------------------------------------

class MenuItem {
  constructor(options) {
    Object.assign(this, { type: options.submenu ? 'submenu' : 'normal', enabled: true, checked: false, ...options });
    if (options.submenu && !(options.submenu instanceof Menu)) this.submenu = Menu.buildFromTemplate(options.submenu);
  }
}

/** A menu as plain data for the records: what a person would see. */
function describeMenu(menu) {
  return menu.items.map((item) => {
    if (item.type === 'separator') return { type: 'separator' };
    return {
      type: item.type,
      label: item.label ?? item.role ?? '',
      enabled: item.enabled !== false,
      ...(item.type === 'checkbox' ? { checked: Boolean(item.checked) } : {}),
      ...(item.accelerator ? { accelerator: item.accelerator } : {}),
      ...(item.submenu ? { submenu: describeMenu(item.submenu) } : {}),
    };
  });
}

export class Menu {
  items = [];

  static buildFromTemplate(template) {
    const menu = new Menu();
    menu.items = template.map((options) => new MenuItem(options));
    return menu;
  }

  static setApplicationMenu(menu) {
    record('Menu.setApplicationMenu', { menu: menu ? describeMenu(menu) : null });
  }

  popup() {
    record('Menu.popup', { menu: describeMenu(this) });
  }
}

// ---- Tray ----------------------------------------------------------------------------------------

let currentTray = null;

export class Tray extends EventEmitter {
  #destroyed = false;
  menu = null;

  constructor(image) {
    super();
    currentTray = this;
    record('Tray.new', { image: image.describe() });
  }

  setToolTip(toolTip) {
    record('Tray.setToolTip', { toolTip });
  }

  setImage(image) {
    record('Tray.setImage', { image: image.describe() });
  }

  setContextMenu(menu) {
    this.menu = menu;
    record('Tray.setContextMenu', { menu: describeMenu(menu) });
  }

  isDestroyed() {
    return this.#destroyed;
  }

  destroy() {
    this.#destroyed = true;
    record('Tray.destroy');
  }
}

// ---- Notification --------------------------------------------------------------------------------

const notifications = [];

export class Notification extends EventEmitter {
  static isSupported() {
    return true;
  }

  constructor(options) {
    super();
    this.title = options.title;
    this.body = options.body;
  }

  show() {
    notifications.push(this);
    record('Notification.show', { title: this.title, body: this.body });
  }
}

// ---- BrowserWindow and webContents ----------------------------------------------------------------

class WebContents extends EventEmitter {
  windowOpenHandler = null;

  setWindowOpenHandler(handler) {
    this.windowOpenHandler = handler;
  }
}

const windows = [];

export class BrowserWindow extends EventEmitter {
  #destroyed = false;
  #visible = false;
  #loads = 0;

  constructor(options = {}) {
    super();
    this.webContents = new WebContents();
    windows.push(this);
    record('BrowserWindow.new', { options: { ...options, icon: options.icon?.describe() } });
    app.emit('web-contents-created', preventable(), this.webContents);
  }

  /** Loads like a browser would ask the broker for the page (without the fragment), then ready-to-show once. */
  async loadURL(url) {
    record('BrowserWindow.loadURL', { url });
    const response = await fetch(url.split('#')[0]);
    const body = await response.text();
    record('BrowserWindow.loaded', {
      url,
      status: response.status,
      contentType: response.headers.get('content-type'),
      html: body.includes('<div id="root">'),
    });
    if (this.#loads++ === 0) this.emit('ready-to-show');
  }

  show() {
    this.#visible = true;
    record('BrowserWindow.show');
  }

  hide() {
    this.#visible = false;
    record('BrowserWindow.hide');
    this.emit('hide');
  }

  focus() {
    record('BrowserWindow.focus');
  }

  isMinimized() {
    return false;
  }

  restore() {}

  isVisible() {
    return this.#visible;
  }

  isDestroyed() {
    return this.#destroyed;
  }

  /** Electron: 'close' may be prevented; otherwise the window goes and 'closed' follows. */
  close() {
    const event = preventable();
    this.emit('close', event);
    if (event.defaultPrevented) return false;
    this.#destroyed = true;
    this.#visible = false;
    windows.splice(windows.indexOf(this), 1);
    this.emit('closed');
    return true;
  }
}

// ---- session, shell, dialog, nativeTheme -----------------------------------------------------------

class Session extends EventEmitter {
  handlers = {};
  webRequest = {
    onBeforeRequest: (handler) => {
      this.handlers.beforeRequest = handler;
    },
    onHeadersReceived: (handler) => {
      this.handlers.headersReceived = handler;
    },
  };

  setPermissionRequestHandler(handler) {
    this.handlers.permissionRequest = handler;
  }
  setPermissionCheckHandler(handler) {
    this.handlers.permissionCheck = handler;
  }
  setDevicePermissionHandler(handler) {
    this.handlers.devicePermission = handler;
  }
}

export const session = { defaultSession: new Session() };

export const shell = {
  async openExternal(url) {
    record('shell.openExternal', { url });
  },
};

export const dialog = {
  showErrorBox(title, content) {
    record('dialog.showErrorBox', { title, content });
  },
};

export const nativeTheme = { shouldUseDarkColors: false };

// ---- app -----------------------------------------------------------------------------------------

const packageJson = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'));

class App extends EventEmitter {
  #name = packageJson.name;
  #paths = new Map();
  #ready = false;
  #quitting = false;
  #singleton = null;
  /** Work to finish before the process exits (telling the first instance about this one). */
  #pending = [];
  isPackaged = false;
  dock = undefined;

  constructor() {
    super();
    setImmediate(() => {
      this.#ready = true;
      record('app.ready');
      this.emit('ready');
    });
  }

  setName(name) {
    this.#name = name;
  }
  getName() {
    return this.#name;
  }
  getVersion() {
    return packageJson.version;
  }
  setAppUserModelId() {}
  focus() {}
  enableSandbox() {
    record('app.enableSandbox');
  }

  /** Linux defaults: userData is $XDG_CONFIG_HOME/<name>; sessionData follows userData. */
  getPath(name) {
    const set = this.#paths.get(name);
    if (set) return set;
    const config = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
    if (name === 'userData' || name === 'sessionData') return this.#paths.get('userData') ?? join(config, this.#name);
    throw new Error(`stand-in app.getPath does not know "${name}"`);
  }

  setPath(name, path) {
    this.#paths.set(name, path);
    record('app.setPath', { name, path });
  }

  whenReady() {
    return this.#ready ? Promise.resolve() : new Promise((resolve) => this.once('ready', () => resolve()));
  }

  isReady() {
    return this.#ready;
  }

  getLoginItemSettings() {
    return { openAtLogin: false, wasOpenedAtLogin: false };
  }
  setLoginItemSettings(settings) {
    record('app.setLoginItemSettings', { settings });
  }

  /**
   * Like Electron's: a lock in userData, and a socket over which a later instance hands its argv to
   * the first one, which gets 'second-instance'.
   */
  requestSingleInstanceLock() {
    const dir = this.getPath('userData');
    mkdirSync(dir, { recursive: true });
    const lock = join(dir, 'SingletonLock');
    const socket = join(dir, 'SingletonSocket');
    const holder = existsSync(lock) ? Number(readFileSync(lock, 'utf8')) : 0;
    if (holder && holder !== process.pid && isAlive(holder)) {
      record('app.requestSingleInstanceLock', { acquired: false });
      this.#pending.push(
        new Promise((resolve) => {
          const client = net.connect(socket, () =>
            client.end(JSON.stringify({ argv: process.argv, cwd: process.cwd() })),
          );
          client.on('close', resolve);
          client.on('error', resolve);
        }),
      );
      return false;
    }
    writeFileSync(lock, String(process.pid));
    rmSync(socket, { force: true });
    const server = net.createServer((connection) => {
      let text = '';
      connection.on('data', (chunk) => {
        text += chunk;
      });
      connection.on('end', () => {
        const { argv, cwd } = JSON.parse(text);
        record('app.second-instance', { argv });
        this.emit('second-instance', preventable(), argv, cwd);
      });
    });
    server.listen(socket);
    server.unref();
    this.#singleton = { lock, socket, server };
    record('app.requestSingleInstanceLock', { acquired: true });
    return true;
  }

  /** Electron: before-quit (preventable), the windows close (each preventable), will-quit, quit, exit. */
  quit() {
    if (this.#quitting) return;
    const event = preventable();
    this.emit('before-quit', event);
    if (event.defaultPrevented) {
      record('app.quit', { prevented: true });
      return;
    }
    for (const window of [...windows])
      if (!window.close()) return void record('app.quit', { prevented: true, by: 'window' });
    const willQuit = preventable();
    this.emit('will-quit', willQuit);
    if (willQuit.defaultPrevented) return;
    this.#quitting = true;
    record('app.quit', { prevented: false });
    this.emit('quit', preventable(), 0);
    this.exit(0);
  }

  exit(code = 0) {
    this.#quitting = true;
    if (this.#singleton) {
      this.#singleton.server.close();
      rmSync(this.#singleton.socket, { force: true });
      rmSync(this.#singleton.lock, { force: true });
    }
    void Promise.all(this.#pending).then(() =>
      process.send({ type: 'record', api: 'app.exit', code }, () => process.exit(code)),
    );
  }
}

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

export const app = new App();

// ---- the parent's commands -----------------------------------------------------------------------

function findItem(items, path) {
  const [label, ...rest] = path;
  const item = items.find((candidate) => candidate.label === label);
  if (!item) throw new Error(`no menu item "${label}"`);
  return rest.length > 0 ? findItem(item.submenu.items, rest) : item;
}

const commands = {
  /** A click on a tray menu item, by its labels from the top ("Agents", "Revoke cursor"). */
  'click-tray-item'({ path }) {
    if (!currentTray?.menu) throw new Error('no tray menu');
    const item = findItem(currentTray.menu.items, path);
    if (item.enabled === false) throw new Error(`menu item "${path.join(' ▸ ')}" is disabled`);
    if (item.type === 'checkbox') item.checked = !item.checked;
    item.click?.(item, undefined, {});
    return true;
  },
  /** The page (or a link in it) navigates the window's top frame. */
  navigate({ url }) {
    const event = preventable({ url });
    windows[0].webContents.emit('will-navigate', event, url);
    return { prevented: event.defaultPrevented };
  },
  /** The page calls window.open(url). */
  'window-open'({ url }) {
    const handler = windows[0].webContents.windowOpenHandler;
    if (!handler) return { action: 'allow', note: 'no window open handler' };
    return handler({
      url,
      frameName: '',
      features: '',
      disposition: 'new-window',
      referrer: { url: '', policy: 'default' },
    });
  },
  /** The person clicks the latest notification with this title. */
  'click-notification'({ title }) {
    const notification = notifications.findLast((candidate) => candidate.title === title);
    if (!notification) throw new Error(`no notification "${title}"`);
    notification.emit('click', preventable());
    return true;
  },
  /** What the session's request filter decides for a URL the page asks for. */
  'session-request'({ url }) {
    let decision;
    session.defaultSession.handlers.beforeRequest({ url }, (result) => {
      decision = result;
    });
    return decision;
  },
};

process.on('message', (message) => {
  if (message?.type !== 'command') return;
  try {
    const command = commands[message.cmd];
    if (!command) throw new Error(`unknown command ${message.cmd}`);
    process.send({ type: 'reply', id: message.id, result: command(message) ?? null });
  } catch (error) {
    process.send({ type: 'reply', id: message.id, error: error.message });
  }
});
// The IPC channel must not keep a quitting app alive; the app's own handles (server, sockets) do that.
process.channel?.unref();
