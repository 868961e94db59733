import { constants, type Stats } from 'node:fs';
import { chmod, lstat, mkdir, open, readdir, rename, unlink, type FileHandle } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { fsError, isFsError, unsafePath } from './fs-errors.js';
import { warn } from './warnings.js';

const O_NOFOLLOW = constants.O_NOFOLLOW ?? 0;

const mode = (st: Stats) => `0${(st.mode & 0o777).toString(8)}`;

function symlinkRefusal(path: string, what: string) {
  return unsafePath(
    `${path} is a symbolic link; migrate does not follow links for its ${what}`,
    `Replace the link with the real ${what === 'state directory' ? 'directory' : 'file'}, or point --state-dir at the real location. Nothing was read or written through it.`,
  );
}

/**
 * Checks a state directory without following a symlink: refused when it is one (or not a
 * directory at all), narrowed to 0700 with a warning when others can read it. Returns false when
 * it does not exist.
 */
export async function checkPrivateDir(dir: string): Promise<boolean> {
  let st: Stats;
  try {
    st = await lstat(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw fsError(error, 'open the state directory', dir);
  }
  if (st.isSymbolicLink()) throw symlinkRefusal(dir, 'state directory');
  if (!st.isDirectory())
    throw fsError(
      Object.assign(new Error('not a directory'), { code: 'ENOTDIR', syscall: 'lstat', path: dir }),
      'use the state directory',
      dir,
    );
  await makePrivate(dir, st, 'open to', 0o700, (m) => chmod(dir, m));
  return true;
}

/**
 * What others may reach is narrowed to its owner with a warning; on a read-only filesystem it is
 * only reported, and any other failure is refused with the chmod that fixes it.
 */
async function makePrivate(
  path: string,
  st: Stats,
  others: 'open to' | 'readable by',
  wanted: number,
  change: (mode: number) => Promise<void>,
): Promise<void> {
  if (!(st.mode & 0o077)) return;
  const octal = wanted.toString(8);
  try {
    await change(wanted);
    warn(`${path} was ${others} other users (mode ${mode(st)}); made it 0${octal}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EROFS')
      warn(`${path} is ${others} other users (mode ${mode(st)}) and on a read-only filesystem, so it stays so`);
    else
      throw unsafePath(
        `${path} is ${others} other users (mode ${mode(st)}) and migrate cannot make it private (${(error as NodeJS.ErrnoException).code})`,
        `Run: chmod ${octal} ${path} (as its owner).`,
      );
  }
}

/** Creates the state directory private to its owner: checkpoints name real infrastructure. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  if (await checkPrivateDir(dir)) return;
  try {
    await mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw fsError(error, 'create the state directory', dir);
  }
  await checkPrivateDir(dir);
}

/** A file others can read is made 0600 with a warning, or refused when that is impossible. */
async function narrowMode(handle: FileHandle, st: Stats, path: string): Promise<void> {
  await makePrivate(path, st, 'readable by', 0o600, (m) => handle.chmod(m));
}

async function openNoFollow(path: string, flags: number, what: string, doing: string, fileMode = 0o600): Promise<FileHandle | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(path, flags | O_NOFOLLOW, fileMode);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw symlinkRefusal(path, what);
    throw fsError(error, doing, path);
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw fsError(Object.assign(new Error('not a file'), { code: 'EISDIR', syscall: 'open', path }), doing, path);
    await narrowMode(handle, st, path);
    return handle;
  } catch (error) {
    await handle.close().catch(() => undefined);
    throw error;
  }
}

/** The text of a state file, undefined when it does not exist; never through a symlink. */
export async function readPrivateFile(path: string, what: string): Promise<string | undefined> {
  const handle = await openNoFollow(path, constants.O_RDONLY, what, `read the ${what}`);
  if (!handle) return undefined;
  try {
    return await handle.readFile('utf8');
  } catch (error) {
    throw fsError(error, `read the ${what}`, path);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** What stands at `path` now, without following a link; undefined when nothing does. */
async function lstatOrNothing(path: string): Promise<Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw fsError(error, 'open', path);
  }
}

/**
 * Writes a new private file that must not exist yet, whole and fsynced; on any failure the file
 * is removed again. Returns its inode (the lock's identity).
 */
export async function writeNewFile(path: string, data: string, doing: string, shown = path): Promise<number> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'wx', 0o600);
  } catch (error) {
    throw fsError(error, doing, shown);
  }
  try {
    await handle.writeFile(data, 'utf8');
    await handle.sync();
    const { ino } = await handle.stat();
    await handle.close();
    return ino;
  } catch (error) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    throw fsError(error, doing, shown);
  }
}

/**
 * Removes the temp files a killed writer of `file` left beside it (`.<name>.<pid>.<random>.tmp`
 * whose process is gone). Called under the lock, by the only writer of `file`.
 */
export async function sweepDeadTemps(file: string, isAlive: (pid: number) => boolean): Promise<string[]> {
  const dir = dirname(file);
  const prefix = `.${basename(file)}.`;
  const names = await readdir(dir).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix) || !name.endsWith('.tmp')) continue;
    const pid = Number(name.slice(prefix.length).split('.')[0]);
    if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid || isAlive(pid)) continue;
    await unlink(join(dir, name)).then(
      () => removed.push(name),
      () => undefined,
    );
  }
  return removed;
}

export function tempName(file: string): string {
  return join(dirname(file), `.${basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
}

/**
 * Replaces `file` so that a reader (or a crash) sees either the old bytes or the new ones, never a
 * mix: write a temp file beside it, fsync it, rename over, fsync the directory. A symlink at
 * `file` is refused rather than replaced; the temp file never outlives a failure.
 */
export async function writeFileAtomic(file: string, data: string, hooks: { beforeRename?: () => void; what?: string } = {}): Promise<void> {
  const what = hooks.what ?? 'file';
  const existing = await lstatOrNothing(file);
  if (existing?.isSymbolicLink()) throw symlinkRefusal(file, what);
  if (existing && !existing.isFile())
    throw fsError(Object.assign(new Error('not a file'), { code: 'EISDIR', syscall: 'rename', path: file }), `save the ${what}`, file);
  const temp = tempName(file);
  await writeNewFile(temp, data, `save the ${what}`, file);
  try {
    hooks.beforeRename?.();
    await rename(temp, file);
  } catch (error) {
    await unlink(temp).catch(() => undefined);
    throw fsError(error, `save the ${what}`, file);
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

/**
 * Appends one line and fsyncs it: an audit line that was reported written survives a crash.
 * When the file ends in a partial line (a crash or a full disk cut the last append short), the
 * new line starts on a fresh one and `onTornTail` gets the partial line first.
 */
export async function appendLineDurable(
  file: string,
  line: string,
  options: { what?: string; onTornTail?: (partial: string) => Promise<string | undefined> } = {},
): Promise<void> {
  const what = options.what ?? 'file';
  const handle = (await openNoFollow(file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, what, `append to the ${what}`))!;
  try {
    let text = line.endsWith('\n') ? line : `${line}\n`;
    const partial = await tornTail(handle);
    if (partial !== undefined) {
      const note = await options.onTornTail?.(partial);
      text = `\n${note ? `${note}\n` : ''}${text}`;
    }
    await handle.appendFile(text, 'utf8');
    await handle.sync();
  } catch (error) {
    throw fsError(error, `append to the ${what}`, file);
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/** The last line when it lacks its newline (up to 64 KiB of it), else undefined. */
async function tornTail(handle: FileHandle): Promise<string | undefined> {
  const { size } = await handle.stat();
  if (size === 0) return undefined;
  const last = Buffer.alloc(1);
  await handle.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return undefined;
  const length = Math.min(size, 64 * 1024);
  const buffer = Buffer.alloc(length);
  await handle.read(buffer, 0, length, size - length);
  if (buffer[length - 1] === 0x0a) return undefined;
  const start = buffer.lastIndexOf(0x0a);
  return buffer.subarray(start + 1).toString('utf8');
}

export { isFsError };
