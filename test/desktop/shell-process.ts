/**
 * The desktop shell (the built dist/main/desktop/main.js) as a child process on the Electron
 * stand-in: its records arrive over IPC, commands go the other way.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
const LOADER = join(REPO, 'test', 'desktop', 'electron-stand-in-loader.mjs');
export const SHELL_MAIN = join(REPO, 'dist', 'main', 'desktop', 'main.js');

export interface ShellRecord {
  api: string;
  [key: string]: unknown;
}

/** A menu item as the stand-in describes it. */
export interface MenuEntry {
  type: string;
  label?: string;
  enabled?: boolean;
  checked?: boolean;
  submenu?: MenuEntry[];
}

export class ShellProcess {
  readonly records: ShellRecord[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly waiters = new Set<() => void>();
  private readonly replies = new Map<number, (reply: { result?: unknown; error?: string }) => void>();
  private nextId = 1;

  private constructor(readonly child: ChildProcess) {
    child.on('message', (message: { type: string; id?: number; api?: string; result?: unknown; error?: string }) => {
      if (message.type === 'record') {
        const { type: _type, ...record } = message;
        this.records.push(record as ShellRecord);
        for (const wake of this.waiters) wake();
      } else if (message.type === 'reply' && message.id !== undefined) {
        this.replies.get(message.id)?.(message);
        this.replies.delete(message.id);
      }
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => this.stderr.push(chunk));
    child.stdout?.resume();
    this.exited = once(child, 'exit').then(([code]) => code as number | null);
  }

  static start(env: NodeJS.ProcessEnv): ShellProcess {
    const child = spawn(process.execPath, ['--import', LOADER, SHELL_MAIN], {
      cwd: REPO,
      env,
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    return new ShellProcess(child);
  }

  /** The first record from index `from` on that matches, waiting up to `timeoutMs` for it. */
  async waitFor(
    what: string,
    match: (record: ShellRecord) => boolean,
    options: { from?: number; timeoutMs?: number } = {},
  ): Promise<ShellRecord> {
    const from = options.from ?? 0;
    const find = () => this.records.slice(from).find(match);
    const found = find();
    if (found) return found;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(
          new Error(
            `timed out waiting for ${what}; last records: ${JSON.stringify(this.records.slice(-5)).slice(0, 2000)}\nstderr: ${this.stderr.join('').slice(-2000)}`,
          ),
        );
      }, options.timeoutMs ?? 20_000);
      const check = (): void => {
        const hit = find();
        if (!hit) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(hit);
      };
      this.waiters.add(check);
    });
  }

  /** The latest tray menu that satisfies `match`, from index `from` on. */
  async waitForMenu(what: string, match: (menu: MenuEntry[]) => boolean, from = 0): Promise<MenuEntry[]> {
    const record = await this.waitFor(
      `a tray menu where ${what}`,
      (r) => r.api === 'Tray.setContextMenu' && match(r.menu as MenuEntry[]),
      { from },
    );
    return record.menu as MenuEntry[];
  }

  lastMenu(): MenuEntry[] {
    const record = this.records.findLast((r) => r.api === 'Tray.setContextMenu');
    if (!record) throw new Error('no tray menu yet');
    return record.menu as MenuEntry[];
  }

  /** Sends a command to the stand-in; resolves with its result, rejects with its error. */
  async command(cmd: string, args: Record<string, unknown> = {}): Promise<any> {
    const id = this.nextId++;
    const reply = new Promise<{ result?: unknown; error?: string }>((resolve) => this.replies.set(id, resolve));
    this.child.send({ type: 'command', id, cmd, ...args });
    const { result, error } = await reply;
    if (error) throw new Error(`stand-in command ${cmd}: ${error}`);
    return result;
  }

  /** Records since index `from` for an API. */
  since(from: number, api: string): ShellRecord[] {
    return this.records.slice(from).filter((r) => r.api === api);
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export const labels = (menu: MenuEntry[]): string[] =>
  menu.map((item) => (item.type === 'separator' ? '---' : (item.label ?? '')));

export function submenuOf(menu: MenuEntry[], label: string): MenuEntry[] {
  const item = menu.find((entry) => entry.label === label);
  if (!item?.submenu) throw new Error(`no submenu "${label}" in ${JSON.stringify(labels(menu))}`);
  return item.submenu;
}
