import { formatDuration } from '../util/duration.js';
import type { Clock } from '../steps/types.js';

/**
 * The real clock, divided by MIGRATE_TIME_SCALE. Long sleeps report what they wait for and how
 * long is left (in plan time) about once a second of real time.
 */
export function createClock(scale: number, signal: AbortSignal, report: (message: string) => void): Clock {
  if (!(scale > 0)) throw new Error(`time scale must be a positive number, got ${scale}`);
  return {
    scale,
    now: () => Date.now(),
    async sleep(ms, label = 'waiting') {
      const realMs = ms / scale;
      const end = Date.now() + realMs;
      while (!signal.aborted) {
        const left = end - Date.now();
        if (left <= 0) return;
        if (realMs >= 1500) report(`${label}: ${formatDuration(left * scale)} left${scale !== 1 ? ` (time scale ${scale})` : ''}`);
        await delay(Math.min(left, 1000), signal);
      }
      throw signal.reason instanceof Error ? signal.reason : new Error('aborted');
    },
  };
}

/** Resolves after `ms`, or at once when `signal` aborts (never rejects: the caller checks the signal). */
export function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

export function timeScaleFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.MIGRATE_TIME_SCALE;
  if (raw === undefined || raw === '') return 1;
  const n = Number(raw);
  if (!(n > 0)) throw new Error(`MIGRATE_TIME_SCALE must be a positive number, got "${raw}"`);
  return n;
}
