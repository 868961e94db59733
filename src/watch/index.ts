import { runWatch, type WatchOptions } from './loop.js';
import type { WatchOutcome, WatchView } from './types.js';

export { runWatch, HEARTBEAT_MS, RESUME_WITHIN_PLAN_MS, type WatchOptions } from './loop.js';
export { WatchStore, watcherRunning, type WatchFile, type Watcher } from './store.js';
export * from './triggers.js';
export type * from './types.js';

export type WatchUntilOptions = Omit<WatchOptions, 'until'> & {
  /** Ends the watch as soon as it holds, looked at every tick (200 ms of real time). */
  until: (view: WatchView) => boolean;
};

/**
 * The watch, in-process, until a condition holds (or `forMs` of plan time passes, or `signal`
 * aborts). For a rehearsal: "watch with auto-rollback until rollback 4 has fired and the estate
 * is back":
 *
 *   const session = await openWatchSession(opts);            // src/commands/context.ts
 *   try {
 *     const outcome = await watchUntil({
 *       session, autoRollback: true, forMs: 3 * 3_600_000, signal,
 *       until: rolledBackAndHealthy('4', ['reval', 'admins-ui']),
 *     });
 *     if (outcome.reason !== 'until') throw ...;              // 'for': it never fired or never recovered
 *   } finally { await session.close(); }
 */
export function watchUntil(options: WatchUntilOptions): Promise<WatchOutcome> {
  return runWatch(options);
}

/**
 * True once this watch has run rollback `id` to the end and every named check has passed since
 * the rollback ended.
 */
export function rolledBackAndHealthy(id: string, checks: string[]): (view: WatchView) => boolean {
  return (view) => {
    const done = view.fired.filter((f) => f.rollback === id && f.result === 'ok').at(-1);
    if (!done) return false;
    return checks.every((name) => {
      const record = view.checks[name];
      return record?.ok === true && record.lastCheckedAt !== null && record.lastCheckedAt >= done.endedAt;
    });
  };
}
