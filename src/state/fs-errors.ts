import { dirname } from 'node:path';
import { ExitCode, RunbookError } from '../errors.js';

/**
 * A full disk, a read-only mount or a wrong path is the operator's to fix, not a bug: each becomes
 * a RunbookError naming the path and what to do. "Wrong kind" (a file where a directory belongs, a
 * symlink where a file belongs) exits 2 like any other usage error.
 */
const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is exhausted',
  EROFS: 'the filesystem is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'it is a directory, not a file',
  EMFILE: 'this process has too many open files',
  ENFILE: 'the system has too many open files',
  ELOOP: 'it is a symbolic link',
  EIO: 'an input/output error from the device',
  EEXIST: 'something else already exists there',
  ENAMETOOLONG: 'the path is too long',
};

const WRONG_KIND = new Set(['ENOTDIR', 'EISDIR', 'ELOOP', 'EEXIST', 'ENAMETOOLONG']);

export function isFsError(error: unknown): error is NodeJS.ErrnoException {
  if (!(error instanceof Error)) return false;
  const e = error as NodeJS.ErrnoException;
  return typeof e.code === 'string' && e.code in REASONS && typeof e.syscall === 'string';
}

function hintFor(code: string, path: string): string {
  const dir = dirname(path);
  switch (code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return `Free some space where ${dir} lives (df -h ${dir}), then run the same command again.`;
    case 'EROFS':
      return `Use a writable state directory (--state-dir or MIGRATE_STATE_DIR), or remount ${dir} read-write.`;
    case 'EACCES':
    case 'EPERM':
      return `Check the owner and mode of ${path} and ${dir} (ls -ld); run migrate as the user that owns its state.`;
    case 'ENOTDIR':
    case 'EEXIST':
      return `A file stands where migrate needs a directory on the way to ${path}; point --state-dir elsewhere or move that file.`;
    case 'EISDIR':
      return `Move that directory away or point --state-dir elsewhere.`;
    case 'EMFILE':
    case 'ENFILE':
      return 'Raise the limit of open files (ulimit -n) or close other programs, then run again.';
    case 'ELOOP':
      return `migrate does not follow symbolic links in its state directory; replace the link with the file itself or point --state-dir at the real directory.`;
    default:
      return `Check the device and the path ${path}, then run again.`;
  }
}

/** `doing` completes "cannot …": "save the state file", "take the lock". Other errors pass through. */
export function fsError(error: unknown, doing: string, path?: string): RunbookError | unknown {
  if (!isFsError(error)) return error;
  const where = path ?? error.path ?? '(unknown path)';
  const code = error.code!;
  return new RunbookError('FILESYSTEM', `cannot ${doing} ${where}: ${REASONS[code]} (${code})`, {
    hint: hintFor(code, where),
    exitCode: WRONG_KIND.has(code) ? ExitCode.usage : ExitCode.stepFailed,
    cause: error,
  });
}

/** For main.ts: an errno error nobody wrapped still becomes a message, not "a bug". */
export function describeFsError(error: unknown): RunbookError | undefined {
  if (!isFsError(error)) return undefined;
  const verbs: Record<string, string> = {
    open: 'open',
    write: 'write to',
    read: 'read',
    mkdir: 'create the directory',
    rename: 'rename',
    unlink: 'remove',
    chmod: 'change the mode of',
    link: 'create',
    scandir: 'list',
  };
  return fsError(error, verbs[error.syscall ?? ''] ?? error.syscall ?? 'use', error.path) as RunbookError;
}

/** Throws `error` as a filesystem RunbookError when it is one, unchanged otherwise. */
export function rethrowFs(doing: string, path: string): (error: unknown) => never {
  return (error: unknown) => {
    throw fsError(error, doing, path);
  };
}

export function isRunbookFsError(error: unknown): boolean {
  return error instanceof RunbookError && error.code === 'FILESYSTEM';
}

export function unsafePath(message: string, hint: string): RunbookError {
  return new RunbookError('STATE_UNSAFE', message, { hint });
}
