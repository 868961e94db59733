import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { RunbookError, messageOf } from '../errors.js';
import { ensurePrivateDir, writeFileAtomic } from '../state/fs-safe.js';

/**
 * Progress of `users sync`, so an interrupted sync (Ctrl-C, kill -9, a lost laptop lid) resumes
 * where it stopped. A user is written as `inflight` before its first call and moved to
 * `completed` after its last, so after a crash every user that may be half-done is redone
 * (AdminCreateUser then answers UsernameExists, and the disable and group calls are repeated).
 * Usernames only: no attributes, nothing secret.
 */
export interface SyncCheckpoint {
  version: 1;
  kind: 'migrate.users.sync';
  userPoolId: string;
  exportDigest: string;
  completed: string[];
  inflight: string[];
  updatedAt: string;
}

export interface LoadedCheckpoint {
  completed: Set<string>;
  inflight: Set<string>;
  /** Why an existing file was not used (another export or pool), for a warning line. */
  ignored?: string | undefined;
}

/** Where the checkpoint lives when it is not a local file (the S3 state backend); `file` then only names it. */
export interface CheckpointIo {
  read(): Promise<string | null>;
  write(text: string): Promise<void>;
}

export async function loadCheckpoint(file: string, userPoolId: string, exportDigest: string, io?: CheckpointIo): Promise<LoadedCheckpoint> {
  let text: string;
  try {
    const found = io ? await io.read() : await readFile(file, 'utf8');
    if (found === null) return { completed: new Set(), inflight: new Set() };
    text = found;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { completed: new Set(), inflight: new Set() };
    throw new RunbookError('STATE_CORRUPT', `cannot read the users checkpoint ${file}: ${messageOf(error)}`);
  }
  let doc: Partial<SyncCheckpoint>;
  try {
    doc = JSON.parse(text) as Partial<SyncCheckpoint>;
    if (doc?.kind !== 'migrate.users.sync' || !Array.isArray(doc.completed) || !Array.isArray(doc.inflight))
      throw new Error('not a users sync checkpoint');
  } catch (error) {
    throw new RunbookError('STATE_CORRUPT', `the users checkpoint ${file} cannot be read: ${messageOf(error)}`, {
      hint: 'Move the file aside to start over: users already in Cognito are skipped anyway, and half-done ones are reported by `users diff`.',
    });
  }
  if (doc.userPoolId !== userPoolId || doc.exportDigest !== exportDigest) {
    const why = doc.userPoolId !== userPoolId ? `user pool ${doc.userPoolId}` : 'a different export file';
    return { completed: new Set(), inflight: new Set(), ignored: `the checkpoint ${file} is for ${why}; starting a new one` };
  }
  return { completed: new Set(doc.completed), inflight: new Set(doc.inflight) };
}

export async function saveCheckpoint(
  file: string,
  doc: Omit<SyncCheckpoint, 'version' | 'kind' | 'updatedAt'>,
  io?: CheckpointIo,
): Promise<void> {
  const full: SyncCheckpoint = { version: 1, kind: 'migrate.users.sync', ...doc, updatedAt: new Date().toISOString() };
  if (io) return io.write(`${JSON.stringify(full)}\n`);
  await ensurePrivateDir(dirname(file));
  await writeFileAtomic(file, `${JSON.stringify(full)}\n`);
}
