import { createHash } from 'node:crypto';
import { join, resolve } from 'node:path';

/**
 * The local control channel of the broker running on `dataDir`: a Unix socket in the data
 * dir (a named pipe on Windows). A module of its own so the CLI can find it without
 * loading the broker.
 */
export function controlSocketPath(dataDir: string): string {
  if (process.platform === 'win32')
    return `\\\\.\\pipe\\latchkey-${createHash('sha256').update(resolve(dataDir)).digest('hex').slice(0, 16)}`;
  return join(resolve(dataDir), 'control.sock');
}
