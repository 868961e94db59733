import { readFile, stat } from 'node:fs/promises';
import { RunbookError } from '../errors.js';
import { MAX_RUNBOOK_BYTES } from './constants.js';

/** The runbook's bytes, refused before reading when too big. No yaml here: the fast path reads with it. */
export async function readRunbookBytes(file: string): Promise<Buffer> {
  let bytes: Buffer;
  try {
    // Refused before it is read: a 55 MB runbook once took minutes and gigabytes to reject.
    const size = (await stat(file)).size;
    if (size > MAX_RUNBOOK_BYTES) throw tooBig(file, size);
    bytes = await readFile(file);
  } catch (error) {
    if (error instanceof RunbookError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'runbook not found'
        : code === 'EISDIR'
          ? 'runbook is a directory, not a file'
          : 'cannot read the runbook';
    throw new RunbookError('RUNBOOK_NOT_FOUND', `${why}: ${file}`, {
      hint: 'Give the runbook with --runbook FILE or MIGRATE_RUNBOOK (default: runbooks/cognito-migration.yaml).',
      cause: error,
    });
  }
  return bytes;
}

export function tooBig(file: string, size: number): RunbookError {
  const mb = (n: number) => `${(n / (1024 * 1024)).toFixed(n < 10 * 1024 * 1024 ? 1 : 0)} MB`;
  return new RunbookError(
    'RUNBOOK_INVALID',
    `${file}: the runbook is ${mb(size)}, over the limit of ${mb(MAX_RUNBOOK_BYTES)}; it was not read`,
    {
      hint: 'A runbook is a plan of steps, a few kB. Is this the right file?',
    },
  );
}
