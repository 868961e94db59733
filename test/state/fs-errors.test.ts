import { describe, expect, it } from 'vitest';
import { describeFsError, fsError } from '../../src/state/fs-errors.js';
import { RunbookError } from '../../src/errors.js';

const errno = (code: string, syscall = 'open', path = '/state/local/state.json') =>
  Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), { code, syscall, path });

/** Issue 11: each filesystem error an operator can meet is a message naming the path and what to do. */
describe('filesystem errors', () => {
  it.each([
    ['ENOSPC', 1, 'no space left on the device (ENOSPC)', /^Free some space where \/state\/local lives \(df -h \/state\/local\)/],
    ['EROFS', 1, 'the filesystem is read-only (EROFS)', /^Use a writable state directory \(--state-dir or MIGRATE_STATE_DIR\)/],
    ['EACCES', 1, 'permission denied (EACCES)', /^Check the owner and mode of \/state\/local\/state\.json and \/state\/local \(ls -ld\)/],
    ['EMFILE', 1, 'this process has too many open files (EMFILE)', /ulimit -n/],
    ['ENOTDIR', 2, 'a part of the path is not a directory (ENOTDIR)', /A file stands where migrate needs a directory/],
    ['EISDIR', 2, 'it is a directory, not a file (EISDIR)', /Move that directory away/],
  ])('%s: exit %d', (code, exit, reason, hint) => {
    const error = fsError(errno(code), 'save the state file', '/state/local/state.json') as RunbookError;
    expect(error).toBeInstanceOf(RunbookError);
    expect(error.message).toBe(`cannot save the state file /state/local/state.json: ${reason}`);
    expect(error.exitCode).toBe(exit);
    expect(error.hint).toMatch(hint);
  });

  it('an errno error nobody wrapped still names its path and never says "bug"', () => {
    const error = describeFsError(errno('ENOSPC', 'write', '/state/local/users-sync.json'));
    expect(error?.message).toBe('cannot write to /state/local/users-sync.json: no space left on the device (ENOSPC)');
    expect(describeFsError(new Error('plain'))).toBeUndefined();
  });

  it('anything else passes through unchanged', () => {
    const plain = new Error('power cut');
    expect(fsError(plain, 'save', '/x')).toBe(plain);
  });
});
