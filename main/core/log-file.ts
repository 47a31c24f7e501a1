import { renameSync, rmSync } from 'node:fs';
import { pino, type DestinationStream } from 'pino';

export interface LogFileOptions {
  /** Rotate once the file passes this size (default 5 MiB). */
  maxBytes?: number;
  /** Older files kept beside it as FILE.1 … FILE.N (default 3). */
  keep?: number;
}

/**
 * A log file that rotates by size, for the desktop app (headless mode writes to stderr and
 * leaves rotation to whoever collects it). Written without a library because pino-roll's
 * worker-thread transport would add a thread to a tray app for a few renames. The file is
 * created 0600: log lines never hold secrets, but they do name the person's accounts.
 */
export function rotatingLogFile(path: string, options: LogFileOptions = {}): DestinationStream & { end(): void } {
  const maxBytes = options.maxBytes ?? 5 * 1024 * 1024;
  const keep = options.keep ?? 3;
  const file = pino.destination({ dest: path, mkdir: true, sync: true, mode: 0o600 });
  let written = 0;
  const rotate = (): void => {
    rmSync(`${path}.${keep}`, { force: true });
    for (let n = keep - 1; n >= 1; n--) {
      try {
        renameSync(`${path}.${n}`, `${path}.${n + 1}`);
      } catch (error) {
        // A generation that does not exist yet is the normal case for a young log.
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      }
    }
    renameSync(path, `${path}.1`);
    file.reopen();
    written = 0;
  };
  return {
    write(line: string): void {
      file.write(line);
      written += Buffer.byteLength(line);
      if (written >= maxBytes) rotate();
    },
    end: () => file.end(),
  };
}
