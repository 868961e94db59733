import { RunbookError } from '../errors.js';

export interface LimiterClock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const realClock: LimiterClock = {
  now: () => performance.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(abortError());
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

export function abortError(): RunbookError {
  return new RunbookError('ABORTED', 'interrupted');
}

/**
 * A token bucket kept as a schedule (GCRA): each caller reserves the next free slot, so waiters
 * are served in arrival order without a timer per token, and a burst never exceeds `burst`.
 *
 * With `windowMs`, no window of that length ever holds more than `rate * windowMs / 1000` starts,
 * however large the burst: Cognito's quota is requests per second, and the sandbox enforces it as
 * a sliding one-second window. The burst then only lets the run catch up on slots it missed
 * (every request in flight answering late, the process not scheduled for a moment) without ever
 * going over the quota, where a schedule of burst 1 loses each missed slot for good.
 */
export class TokenBucket {
  private readonly interval: number;
  private readonly burstWindow: number;
  /** The next slot of the schedule (GCRA's theoretical arrival time). */
  private next = -Infinity;
  /** The last `perWindow` start times, oldest at `oldest` (a ring). */
  private readonly starts: number[] = [];
  private oldest = 0;
  private readonly perWindow: number;
  /** Starts with no burst in hand: only slots missed after the first take are caught up on. */
  private drained = false;
  /** Tokens handed out so far. */
  taken = 0;

  constructor(
    readonly rate: number,
    burst = 1,
    private readonly clock: LimiterClock = realClock,
    private readonly windowMs = 0,
  ) {
    if (!(rate > 0)) throw new RangeError('rate must be above 0');
    this.interval = 1000 / rate;
    this.burstWindow = (Math.max(1, burst) - 1) * this.interval;
    this.perWindow = windowMs > 0 ? Math.max(1, Math.floor((rate * windowMs) / 1000)) : 0;
  }

  /**
   * What `users sync` paces Cognito with: never more than `rate` requests in any second, with a
   * quarter of a second of slots to catch up on.
   */
  static forQuota(rate: number, clock: LimiterClock = realClock): TokenBucket {
    const bucket = new TokenBucket(rate, Math.max(1, Math.round(rate / 4)), clock, 1000);
    bucket.drained = true;
    return bucket;
  }

  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    if (this.drained && this.next === -Infinity) this.next = now + this.burstWindow;
    let start = Math.max(this.next - this.burstWindow, now);
    if (this.perWindow > 0) {
      if (this.starts.length < this.perWindow) this.starts.push(start);
      else {
        start = Math.max(start, this.starts[this.oldest]! + this.windowMs);
        this.starts[this.oldest] = start;
        this.oldest = (this.oldest + 1) % this.perWindow;
      }
    }
    this.next = Math.max(this.next, start) + this.interval;
    this.taken++;
    const wait = start - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
  }
}

/** At most `limit` tasks at once; acquire() resolves when a place is free. */
export class Semaphore {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly idle: (() => void)[] = [];

  constructor(readonly limit: number) {}

  async acquire(): Promise<void> {
    if (this.active < this.limit) {
      this.active++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else {
      this.active--;
      if (this.active === 0) for (const done of this.idle.splice(0)) done();
    }
  }

  /** Resolves once nothing is running. */
  async drain(): Promise<void> {
    if (this.active === 0) return;
    await new Promise<void>((resolve) => this.idle.push(resolve));
  }
}
