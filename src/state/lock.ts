import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { ensurePrivateDir } from './fs-safe.js';

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

export type LockState = { held: false } | { held: true; info: LockInfo; stale: boolean } | { held: true; info: null; stale: false; unreadable: string };

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

export async function readLock(dir: string): Promise<LockState> {
  let text: string;
  try {
    text = await readFile(lockPath(dir), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { held: false };
    throw error;
  }
  try {
    const info = JSON.parse(text) as LockInfo;
    const stale = info.host === hostname() && !isProcessAlive(info.pid);
    return { held: true, info, stale };
  } catch {
    return { held: true, info: null, stale: false, unreadable: text.slice(0, 200) };
  }
}

export function describeHolder(info: LockInfo): string {
  return `pid ${info.pid} on ${info.host}, running "${info.command}" since ${info.since}`;
}

/**
 * Takes the environment's lock with O_EXCL, so two runs can never both believe they hold it.
 * A lock left by a dead process is reported, not silently taken over: the dead run may have left
 * a step half-applied, and the operator should look (status) before going on.
 */
export async function acquireLock(dir: string, command: string, env: string): Promise<HeldLock> {
  await ensurePrivateDir(dir);
  const info: LockInfo = { pid: process.pid, host: hostname(), since: new Date().toISOString(), command };
  const file = lockPath(dir);
  try {
    const handle = await open(file, 'wx', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(info)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const state = await readLock(dir);
    if (!state.held) return acquireLock(dir, command, env);
    if (state.info === null) {
      throw new RunbookError('LOCKED', `environment "${env}" is locked (${file} cannot be read)`, {
        hint: `Make sure no other migrate is running, then: migrate unlock --env ${env} --force`,
      });
    }
    if (state.stale) {
      throw new RunbookError('LOCK_STALE', `environment "${env}" has a stale lock: ${describeHolder(state.info)}, and that process is gone`, {
        hint: `Check "migrate status --env ${env}" for a step left half-done, then release it with: migrate unlock --env ${env}`,
      });
    }
    throw new RunbookError('LOCKED', `environment "${env}" is locked by ${describeHolder(state.info)}`, {
      hint: `Wait for it to finish. If that run is really gone (another host), release it with: migrate unlock --env ${env} --force`,
    });
  }
  let released = false;
  return {
    info,
    async release() {
      if (released) return;
      released = true;
      const current = await readLock(dir);
      // Only remove the lock if it is still ours: an operator may have forced it away meanwhile.
      if (current.held && current.info?.pid === info.pid && current.info.since === info.since) await unlink(file).catch(() => undefined);
    },
  };
}

export async function releaseLock(dir: string, env: string, force: boolean): Promise<LockInfo | null> {
  const state = await readLock(dir);
  if (!state.held) return null;
  if (state.info && !state.stale && !force) {
    const sameHost = state.info.host === hostname();
    throw new RunbookError('LOCKED', `the lock on "${env}" is held by ${describeHolder(state.info)}${sameHost ? ', which is still running' : ' (another host: cannot tell whether it still runs)'}`, {
      hint: `Stop that run first. If you are sure it is gone: migrate unlock --env ${env} --force`,
    });
  }
  await unlink(lockPath(dir)).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'ENOENT') throw error;
  });
  return state.info;
}
