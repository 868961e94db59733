import { RunbookError } from '../errors.js';
import { formatDuration } from '../util/duration.js';

/**
 * Races a step's promise against Ctrl-C and its timeout. The losing promise may still finish in
 * the background; that is why a change is recorded as intent before it is sent.
 */
export function guarded<T>(work: Promise<T>, signal: AbortSignal, what: string, timeoutMs?: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(onTimeout, timeoutMs);
    function cleanup() {
      if (timer) clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
    }
    function onAbort() {
      cleanup();
      reject(
        new RunbookError('ABORTED', `interrupted during ${what}`, { hint: 'The state was saved; run the same command again to resume.' }),
      );
    }
    function onTimeout() {
      cleanup();
      reject(
        new RunbookError('STEP_TIMEOUT', `${what} did not finish within ${formatDuration(timeoutMs ?? 0)}`, {
          hint: "Raise the step's `timeout:` in the runbook if this wait is expected, or look at why it hangs.",
        }),
      );
    }
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (v) => {
        cleanup();
        resolve(v);
      },
      (e: unknown) => {
        cleanup();
        reject(e);
      },
    );
  });
}
