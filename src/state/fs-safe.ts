import { open, rename, mkdir, chmod, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';

/** Creates the state directory private to its owner: checkpoints name real infrastructure. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Replaces `file` so that a reader (or a crash) sees either the old bytes or the new ones, never a
 * mix: write a temp file beside it, fsync it, rename over, fsync the directory.
 */
export async function writeFileAtomic(file: string, data: string, hooks: { beforeRename?: () => void } = {}): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const handle = await open(temp, 'w', 0o600);
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    hooks.beforeRename?.();
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDir(dirname(file));
}

async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => undefined);
  if (!handle) return;
  try {
    await handle.sync();
  } catch {
    // Some filesystems refuse fsync on a directory; the rename itself is still atomic there.
  } finally {
    await handle.close();
  }
}

/** Appends one line and fsyncs it: an audit line that was reported written survives a crash. */
export async function appendLineDurable(file: string, line: string): Promise<void> {
  const handle = await open(file, 'a', 0o600);
  try {
    await handle.appendFile(line.endsWith('\n') ? line : `${line}\n`, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
}
