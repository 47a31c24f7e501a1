import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/**
 * Replaces `file` through a temp file in the same folder and a rename, so a reader (or a
 * crash) never sees half a file; the result has `mode`.
 */
export async function writeFileAtomic(file: string, content: string, mode: number): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const temp = join(dir, `.${basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content, 'utf8');
    await handle.sync();
    await handle.close();
    await chmod(temp, mode);
    await rename(temp, file);
  } catch (error) {
    await handle.close().catch(() => undefined); // already closed on the rename path
    await rm(temp, { force: true });
    throw error;
  }
}
