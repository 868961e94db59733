import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { RunbookError, messageOf } from '../errors.js';
import type { HeldLock, LockInfo, LockState } from './lock.js';
import type { S3Io } from './s3-client.js';

/** How long a lock stays live without a heartbeat, in plan time (divided by MIGRATE_TIME_SCALE). */
export const LOCK_LEASE_PLAN_MS = 5 * 60_000;
/** Never shorter than this in real time, so a busy machine's heartbeat is not mistaken for a dead one. */
const MIN_LEASE_MS = 2000;

export function leaseMs(timeScale: number): number {
  return Math.max(MIN_LEASE_MS, Math.round(LOCK_LEASE_PLAN_MS / (timeScale > 0 ? timeScale : 1)));
}

export interface S3LockInfo extends LockInfo {
  lockId: string;
  /** The caller's ARN (STS GetCallerIdentity), when it could be read. */
  identity?: string | undefined;
  /** The lease: after this the lock is stale unless its holder renewed it. */
  expires: string;
  leaseMs: number;
}

export interface S3HeldLock extends HeldLock {
  info: S3LockInfo;
  /** Set when a heartbeat found the lock gone or replaced (unlock --force): stop writing. */
  readonly lost: string | undefined;
}

export function describeS3Holder(info: LockInfo): string {
  const s3 = info as Partial<S3LockInfo>;
  return `${s3.identity ? `${s3.identity}, ` : ''}pid ${info.pid} on ${info.host}, running "${info.command}" since ${info.since}${s3.lockId ? ` (lock id ${s3.lockId})` : ''}`;
}

function parseLock(text: string): S3LockInfo | null {
  try {
    const info = JSON.parse(text) as S3LockInfo;
    if (
      typeof info.lockId !== 'string' ||
      typeof info.expires !== 'string' ||
      typeof info.pid !== 'number' ||
      typeof info.host !== 'string'
    )
      return null;
    return info;
  } catch {
    return null;
  }
}

/**
 * Stale: the lease ran out without a heartbeat. Only the lease counts: machines sharing a bucket
 * may share a host name (containers, CI runners), so a pid seen from here proves nothing.
 */
function isStale(info: S3LockInfo, now: number): boolean {
  const expires = Date.parse(info.expires);
  return Number.isNaN(expires) || now > expires;
}

export class S3Lock {
  constructor(
    private readonly io: S3Io,
    private readonly key: string,
    private readonly env: string,
    private readonly timeScale: number,
    private readonly identity: () => Promise<string | undefined>,
  ) {}

  private async readRaw(): Promise<{ state: LockState & { info?: S3LockInfo | null }; etag?: string }> {
    const object = await this.io.get(this.key);
    if (!object) return { state: { held: false } };
    const info = parseLock(object.text);
    if (!info) return { state: { held: true, info: null, stale: false, unreadable: object.text.slice(0, 200) }, etag: object.etag };
    return { state: { held: true, info, stale: isStale(info, Date.now()) }, etag: object.etag };
  }

  async read(): Promise<LockState> {
    return (await this.readRaw()).state;
  }

  /**
   * Creates lock.json with `If-None-Match: *`: of any number of takers exactly one succeeds. The
   * lease is renewed (If-Match on the lock's own ETag) while the holder runs; a lock whose lease
   * ran out is reported stale with its holder, and only `unlock` releases it.
   */
  async acquire(command: string): Promise<S3HeldLock> {
    const lease = leaseMs(this.timeScale);
    const now = Date.now();
    const info: S3LockInfo = {
      lockId: randomUUID(),
      pid: process.pid,
      host: hostname(),
      since: new Date(now).toISOString(),
      command,
      identity: await this.identity().catch(() => undefined),
      expires: new Date(now + lease).toISOString(),
      leaseMs: lease,
    };
    const where = this.io.url(this.key);
    for (let attempt = 0; ; attempt += 1) {
      const result = await this.io.put(this.key, `${JSON.stringify(info)}\n`, { ifNoneMatch: '*' });
      if (result !== 'conflict') return this.held(info, result);
      const { state, etag } = await this.readRaw();
      // The SDK retried a create that had reached S3 (a timeout on the answer): the lock is ours.
      if (state.held && (state.info as S3LockInfo | null)?.lockId === info.lockId && etag) return this.held(info, etag);
      if (!state.held) {
        if (attempt < 5) continue;
        throw new RunbookError('LOCKED', `environment "${this.env}" is being locked and unlocked by others (${where})`, {
          hint: 'Try again in a moment.',
        });
      }
      if (state.info === null) {
        throw new RunbookError('LOCKED', `environment "${this.env}" is locked (${where} cannot be read)`, {
          hint: `Make sure no other migrate is running, then: migrate unlock --env ${this.env} --force`,
        });
      }
      if (state.stale) {
        throw new RunbookError(
          'LOCK_STALE',
          `environment "${this.env}" has a stale lock: ${describeS3Holder(state.info)}; its lease ran out at ${(state.info as S3LockInfo).expires}`,
          {
            hint: `Check "migrate status --env ${this.env}" for a step left half-done, then release it with: migrate unlock --env ${this.env} --lock-id ${(state.info as S3LockInfo).lockId}`,
          },
        );
      }
      throw new RunbookError('LOCKED', `environment "${this.env}" is locked by ${describeS3Holder(state.info)}`, {
        hint: `Wait for it to finish ("migrate status --env ${this.env}" shows its progress). If that run is really gone, release it with: migrate unlock --env ${this.env} --lock-id ${(state.info as S3LockInfo).lockId}`,
      });
    }
  }

  private held(info: S3LockInfo, firstEtag: string): S3HeldLock {
    let etag = firstEtag;
    let lost: string | undefined;
    let released = false;
    let beating: Promise<void> = Promise.resolve();
    const beat = async () => {
      if (released || lost) return;
      const renewed: S3LockInfo = { ...info, expires: new Date(Date.now() + info.leaseMs).toISOString() };
      try {
        const result = await this.io.put(this.key, `${JSON.stringify(renewed)}\n`, { ifMatch: etag });
        if (result === 'conflict') {
          // A retried renewal that had already landed reads back as ours, exactly as written.
          const current = await this.io.get(this.key);
          const mine = current ? parseLock(current.text) : null;
          if (current && mine?.lockId === info.lockId && mine.expires === renewed.expires) {
            etag = current.etag;
            info.expires = renewed.expires;
          } else lost = `the lock ${this.io.url(this.key)} was released or taken by someone else while this run held it`;
        } else {
          etag = result;
          info.expires = renewed.expires;
        }
      } catch (error) {
        // A heartbeat that fails is tried again at the next beat; the lease has room for a few.
        if (Date.now() > Date.parse(info.expires)) lost = `the lease on ${this.io.url(this.key)} ran out: ${messageOf(error)}`;
      }
    };
    const timer = setInterval(
      () => {
        beating = beating.then(beat);
      },
      Math.max(250, Math.floor(info.leaseMs / 4)),
    );
    timer.unref();
    const io = this.io;
    const key = this.key;
    return {
      info,
      get lost() {
        return lost;
      },
      async release() {
        if (released) return;
        released = true;
        clearInterval(timer);
        await beating.catch(() => undefined);
        if (lost) return;
        // Only our own lock, exactly as we last wrote it: an operator may have forced it away.
        await io.delete(key, etag);
      },
    };
  }

  /**
   * `unlock`: a stale lock, the lock with the given id, or (force) whatever lock there is. The
   * delete carries If-Match on the ETag just read, so a lock taken meanwhile by a new run survives.
   */
  async release(options: { force: boolean; lockId?: string | undefined }): Promise<LockInfo | null> {
    const { state, etag } = await this.readRaw();
    if (!state.held) return null;
    const info = state.info as S3LockInfo | null;
    if (options.lockId && info && info.lockId !== options.lockId) {
      throw new RunbookError(
        'LOCKED',
        `the lock on "${this.env}" has id ${info.lockId}, not ${options.lockId}: it is held by ${describeS3Holder(info)}`,
        {
          hint: 'It is not the lock you meant; look again with "migrate status".',
        },
      );
    }
    const named = !!options.lockId && info?.lockId === options.lockId;
    if (info && !state.stale && !options.force && !named) {
      throw new RunbookError(
        'LOCKED',
        `the lock on "${this.env}" is held by ${describeS3Holder(info)}, and its lease runs until ${info.expires}`,
        {
          hint: `Stop that run first. If you are sure it is gone: migrate unlock --env ${this.env} --lock-id ${info.lockId} (or --force)`,
        },
      );
    }
    if (!info && !options.force) {
      throw new RunbookError('LOCKED', `the lock ${this.io.url(this.key)} cannot be read`, {
        hint: `Release it with: migrate unlock --env ${this.env} --force`,
      });
    }
    const deleted = await this.io.delete(this.key, etag);
    if (deleted === 'conflict') {
      throw new RunbookError(
        'LOCKED',
        `the lock on "${this.env}" changed while it was being released (its holder renewed it, or another run took it)`,
        { hint: 'Look again with "migrate status".' },
      );
    }
    return info ?? { pid: 0, host: 'unknown', since: '', command: '(unreadable lock)' };
  }
}
