import { readFileSync } from 'node:fs';
import { link, readFile, rename, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { fsError } from './fs-errors.js';
import { ensurePrivateDir, readPrivateFile, tempName, writeNewFile } from './fs-safe.js';
import { warn } from './warnings.js';

export interface LockInfo {
  pid: number;
  host: string;
  since: string;
  command: string;
}

export interface HeldLock {
  info: LockInfo;
  release(): Promise<void>;
}

/** `raw` is the lock's exact text, so that removing it never removes a newer lock. */
export type LockState =
  | { held: false }
  | { held: true; info: LockInfo; stale: boolean; raw?: string }
  | { held: true; info: null; stale: false; unreadable: string; raw?: string };

export function lockPath(dir: string): string {
  return join(dir, 'lock');
}

/** A lock is stale when it was taken on this host by a process that no longer exists. */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  return !isZombie(pid);
}

/** A killed run whose parent has not reaped it yet still answers kill(0); on Linux /proc tells. */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/** Why a lock's text is not a lock, or undefined when it is one. */
function unreadableReason(text: string, parsed: unknown): string | undefined {
  if (!text.trim()) return 'it is empty';
  if (parsed === undefined) return 'it is not JSON';
  const v = parsed as Partial<Record<keyof LockInfo, unknown>> | null;
  if (!v || typeof v !== 'object' || Array.isArray(v)) return 'it is not a JSON object';
  if (!Number.isInteger(v.pid) || (v.pid as number) <= 0 || typeof v.host !== 'string' || !v.host)
    return 'it names no process (pid and host)';
  if (typeof v.since !== 'string' || typeof v.command !== 'string') return 'it lacks the time or the command of its holder';
  return undefined;
}

export async function readLock(dir: string): Promise<LockState> {
  const text = await readPrivateFile(lockPath(dir), 'lock');
  if (text === undefined) return { held: false };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  const reason = unreadableReason(text, parsed);
  if (reason) return { held: true, info: null, stale: false, unreadable: reason, raw: text };
  const info = parsed as LockInfo;
  const stale = info.host === hostname() && !isProcessAlive(info.pid);
  return { held: true, info: { pid: info.pid, host: info.host, since: info.since, command: info.command }, stale, raw: text };
}

export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host}, running "${info.command}" since ${info.since}`;
}

/**
 * Removes the lock file only if it still holds `raw`: it is renamed aside first (atomic), checked,
 * then deleted, or linked back when a newer lock had taken its place.
 */
async function removeIfSame(file: string, raw: string | undefined): Promise<'removed' | 'gone' | 'replaced'> {
  const aside = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.removing`;
  try {
    await rename(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw fsError(error, 'remove the lock', file);
  }
  const text = await readFile(aside, 'utf8').catch(() => undefined);
  if (raw === undefined || text === raw) {
    await unlink(aside).catch(() => undefined);
    return 'removed';
  }
  await link(aside, file).catch(() => undefined);
  await unlink(aside).catch(() => undefined);
  return 'replaced';
}

/**
 * Takes the environment's lock. The lock is written whole to a temp file and then hard-linked
 * into place: link() fails if a lock exists, and a lock that exists is always complete, so no
 * reader (an `unlock`, a second run) ever sees an empty or half-written one.
 * A lock left by a dead process is reported, not silently taken over: the dead run may have left
 * a step half-applied, and the operator should look (status) before going on.
 */
export async function acquireLock(dir: string, command: string, env: string, attempt = 0): Promise<HeldLock> {
  await ensurePrivateDir(dir);
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  const file = lockPath(dir);
  const temp = tempName(file);
  const raw = `${JSON.stringify(info)}\n`;
  let exists = false;
  try {
    await writeNewFile(temp, raw, 'take the lock', file);
    try {
      await link(temp, file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error, 'take the lock', file);
      exists = true;
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
  if (exists) {
    const state = await readLock(dir);
    // Released between our link and our read: try again, a few times at most.
    if (!state.held && attempt < 5) return acquireLock(dir, command, env, attempt + 1);
    throw lockedError(state, env, file);
  }
  let released = false;
  return {
    info,
    async release() {
      if (released) return;
      released = true;
      // Only our own lock file: an operator may have forced it away (and another run taken it).
      try {
        await removeIfSame(file, raw);
      } catch (error) {
        warn(
          `the lock ${file} could not be removed (${(error as Error).message}); once this run has ended, release it with: migrate unlock --env ${env} --force`,
        );
      }
    },
  };
}

function lockedError(state: LockState, env: string, file: string): RunbookError {
  if (!state.held)
    return new RunbookError('LOCKED', `environment "${env}" is locked (${file} keeps changing)`, {
      hint: 'Another migrate is starting and ending runs on it; wait and try again.',
    });
  if (state.info === null) {
    return new RunbookError('LOCKED', `environment "${env}" is locked by a lock file that cannot be read: ${file} (${state.unreadable})`, {
      hint: `Make sure no other migrate is running on "${env}", then remove it with: migrate unlock --env ${env} --force`,
    });
  }
  if (state.stale) {
    return new RunbookError(
      'LOCK_STALE',
      `environment "${env}" has a stale lock: ${describeHolder(state.info)}, and that process is gone`,
      {
        hint: `Check "migrate status --env ${env}" for a step left half-done, then release it with: migrate unlock --env ${env}`,
      },
    );
  }
  return new RunbookError('LOCKED', `environment "${env}" is locked by ${describeHolder(state.info)}`, {
    hint: `Wait for it to finish. If that run is really gone (another host), release it with: migrate unlock --env ${env} --force`,
  });
}

/** What `unlock` removed: the holder, or the unreadable file it was. */
export type Released = { info: LockInfo; file: string } | { info: null; file: string; unreadable: string };

/**
 * Plain `unlock` removes only a lock whose process is known to be gone; a live holder, one on
 * another host and an unreadable lock file all need --force, which names what it removes.
 */
export async function releaseLock(dir: string, env: string, force: boolean): Promise<Released | null> {
  const file = lockPath(dir);
  const state = await readLock(dir);
  if (!state.held) return null;
  if (!force && state.info === null) {
    throw new RunbookError('LOCKED', `the lock on "${env}" cannot be read: ${file} (${state.unreadable})`, {
      hint: `It may belong to a run that is still going. If you are sure no migrate is running on "${env}": migrate unlock --env ${env} --force`,
    });
  }
  if (!force && state.info && !state.stale) {
    const sameHost = state.info.host === hostname();
    throw new RunbookError(
      'LOCKED',
      `the lock on "${env}" is held by ${describeHolder(state.info)}${sameHost ? ', which is still running' : ' (another host: cannot tell whether it still runs)'}`,
      {
        hint: `Stop that run first. If you are sure it is gone: migrate unlock --env ${env} --force`,
      },
    );
  }
  const outcome = await removeIfSame(file, state.raw);
  if (outcome === 'gone') return null;
  if (outcome === 'replaced') {
    throw new RunbookError('LOCKED', `the lock on "${env}" was taken by another run while unlock looked at it; it was left in place`, {
      hint: `See who holds it: migrate status --env ${env}`,
    });
  }
  return state.info ? { info: state.info, file } : { info: null, file, unreadable: state.unreadable };
}
