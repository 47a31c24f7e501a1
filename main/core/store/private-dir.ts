import { statSync } from 'node:fs';
import { LatchkeyError } from '../errors.js';

/** A path as one shell word, so the fix in the message can be pasted (macOS's data dir has a space). */
const shellWord = (path: string): string => (/^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replace(/'/g, `'\\''`)}'`);

/**
 * Refuses a data dir that another user could tamper with: one that is group- or
 * world-writable (anyone could swap the database, the control socket or a provider
 * definition) or owned by another user. Windows is not checked: mode bits and uids do not
 * describe NTFS ACLs there, and the default %APPDATA% folder is private to the user.
 */
export function assertPrivateDir(
  dir: string,
  stats: { mode: number; uid: number } = statSync(dir),
  uid: number | undefined = process.getuid?.(),
): void {
  if (process.platform === 'win32' || uid === undefined) return;
  if (stats.uid !== uid) {
    throw new LatchkeyError(
      'data_dir_not_owned',
      `${dir} belongs to another user (uid ${stats.uid}, you are uid ${uid}); use a data dir of your own (--data-dir), or take this one over: chown ${uid} ${shellWord(dir)} && chmod 700 ${shellWord(dir)}`,
      500,
      { fix: `chown ${uid} ${shellWord(dir)} && chmod 700 ${shellWord(dir)}` },
    );
  }
  if ((stats.mode & 0o022) !== 0) {
    throw new LatchkeyError(
      'data_dir_insecure',
      `${dir} can be written by other users (mode ${(stats.mode & 0o7777).toString(8)}); fix it with: chmod 700 ${shellWord(dir)}`,
      500,
      { fix: `chmod 700 ${shellWord(dir)}` },
    );
  }
}
