import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `file` through a temp file in the same folder (created with `mode`, fsynced) and a
 * rename, then fsyncs the folder so the rename itself survives a power loss: a reader (or a
 * crash) never sees half a file. The folder is created when missing, with `dirMode` (default:
 * the umask's). Errors are rethrown as they came, after the temp file was removed.
 */
export async function writeFileAtomic(
  file: string,
  content: string,
  mode: number,
  options: { dirMode?: number } = {},
): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true, ...(options.dirMode === undefined ? {} : { mode: options.dirMode }) });
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    await chmod(temp, mode); // the umask may have narrowed the mode open() was given
    await rename(temp, file);
  } catch (error) {
    // Closing twice (after the close above) fails harmlessly; the write's own error is what matters.
    await handle.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dir);
}

/** Makes a rename in `dir` durable. Not possible on every platform (Windows cannot open a folder): best effort there. */
async function syncDirectory(dir: string): Promise<void> {
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch {
    // The file is already in place; only the durability of the rename across a power loss is not ensured here.
    return;
  }
  try {
    await handle.sync();
  } catch {
    // Some file systems refuse fsync on a folder (EINVAL/EISDIR): the data was renamed already, as above.
  } finally {
    await handle.close();
  }
}
