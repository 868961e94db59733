import type { EngineEvent, EventSink } from '../engine/events.js';

type Append = (event: { event: string; step?: string; result?: string; detail?: string; [key: string]: unknown }) => Promise<void>;

/**
 * One audit line per step that ended (its outcome and how long it took), so the change record can
 * show every step, also the asserts, checks and waits that leave no apply-start/apply-end. The
 * engine's events are synchronous and the audit append is not: lines are chained in order and
 * `flush` waits for them before the session closes.
 */
export function auditStepEnds(
  emit: EventSink,
  append: Append,
  options: { dryRun: boolean; waitedMs?: (ref: string) => number },
): { emit: EventSink; audit: Append; flush(): Promise<void> } {
  let chain: Promise<void> = Promise.resolve();
  return {
    // The engine's own lines go through the same chain, so a step's line never lands after run-end.
    audit(event) {
      const next = chain.then(() => append(event));
      chain = next.catch(() => undefined);
      return next;
    },
    emit(event: EngineEvent) {
      emit(event);
      if (options.dryRun || event.kind !== 'step-end') return;
      const waitedMs = options.waitedMs?.(event.ref) ?? 0;
      const line = {
        event: 'step-end',
        step: event.ref,
        result: event.status,
        durationMs: event.durationMs,
        ...(waitedMs > 0 ? { waitedMs } : {}),
        ...(event.message ? { detail: event.message } : {}),
      };
      chain = chain.then(() => append(line)).catch(() => undefined);
    },
    flush: () => chain,
  };
}
