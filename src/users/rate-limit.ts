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
 */
export class TokenBucket {
  private readonly interval: number;
  private readonly burstWindow: number;
  private next = -Infinity;
  /** Tokens handed out so far. */
  taken = 0;

  constructor(
    readonly rate: number,
    burst = 1,
    private readonly clock: LimiterClock = realClock,
  ) {
    if (!(rate > 0)) throw new RangeError('rate must be above 0');
    this.interval = 1000 / rate;
    this.burstWindow = (Math.max(1, burst) - 1) * this.interval;
  }

  async take(signal?: AbortSignal): Promise<void> {
    const now = this.clock.now();
    const due = Math.max(this.next, now);
    this.next = due + this.interval;
    this.taken++;
    const wait = due - this.burstWindow - now;
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
