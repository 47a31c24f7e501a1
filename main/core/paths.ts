import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, win32 } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'latchkey';
const APP_NAME = 'Latchkey';

let cachedRoot: string | undefined;

/**
 * The folder of Latchkey's own package.json: walks up from this module until a
 * package.json says `"name": "latchkey"`. Works from the TypeScript sources
 * (`main/core/paths.ts` under tsx) and from the compiled `dist/main/core/paths.js`.
 */
export function packageRoot(): string {
  if (cachedRoot) return cachedRoot;
  const start = dirname(fileURLToPath(import.meta.url));
  for (let dir = start; ; ) {
    if (readPackageName(join(dir, 'package.json')) === PACKAGE_NAME) return (cachedRoot = dir);
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new Error(`cannot find the "${PACKAGE_NAME}" package root above ${start}`);
}

function readPackageName(file: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, 'utf8'));
    return parsed && typeof parsed === 'object'
      ? ((parsed as { name?: unknown }).name as string | undefined)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The per-user application data folder, the same one Electron's
 * `app.getPath('userData')` gives an app named "Latchkey", so the CLI and the
 * desktop app share their data:
 * - Linux and other Unix: `$XDG_CONFIG_HOME/Latchkey`, else `~/.config/Latchkey`;
 * - macOS: `~/Library/Application Support/Latchkey`;
 * - Windows: `%APPDATA%\Latchkey`, else `~\AppData\Roaming\Latchkey`.
 */
export function defaultDataDir(
  platform: NodeJS.Platform = process.platform,
  env: NodeJS.ProcessEnv = process.env,
): string {
  const home = homedir();
  if (platform === 'win32') {
    const appData = env.APPDATA && win32.isAbsolute(env.APPDATA) ? env.APPDATA : win32.join(home, 'AppData', 'Roaming');
    return win32.join(appData, APP_NAME);
  }
  if (platform === 'darwin') return join(home, 'Library', 'Application Support', APP_NAME);
  // XDG: a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(config, APP_NAME);
}
