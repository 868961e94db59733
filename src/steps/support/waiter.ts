import { RunbookError } from '../../errors.js';
import { formatDuration } from '../../util/duration.js';
import type { StepContext } from '../types.js';

export interface WaiterTiming {
  maxWaitTime: number;
  minDelay: number;
  maxDelay: number;
  abortSignal: AbortSignal;
}

/**
 * An SDK waiter's timing (seconds) with every duration divided by the time scale, none below 50 ms
 * (the SDK takes fractions): a sandbox at scale 600 polls every 50 ms instead of every half
 * minute, so a change held PENDING for 20 s of plan time costs about as much plan time as it says,
 * not a whole real second (10 minutes of plan time) per poll.
 */
export function waiterTiming(ctx: StepContext, maxWaitMs: number, minDelaySeconds: number, maxDelaySeconds: number): WaiterTiming {
  const scale = ctx.clock.scale > 0 ? ctx.clock.scale : 1;
  const minDelay = Math.max(0.05, minDelaySeconds / scale);
  const maxDelay = Math.max(minDelay, maxDelaySeconds / scale);
  const maxWaitTime = Math.max(minDelay * 2, maxWaitMs / 1000 / scale);
  return { maxWaitTime, minDelay, maxDelay, abortSignal: ctx.signal };
}

/**
 * Runs an SDK waiter, saying what it waits for and how long is left (in plan time), and turns the
 * waiter's own errors into RunbookErrors that say what did not happen.
 */
export async function waitWithProgress<T>(
  ctx: StepContext,
  what: string,
  maxWaitMs: number,
  run: () => Promise<T>,
  hint?: string,
): Promise<T> {
  const scale = ctx.clock.scale > 0 ? ctx.clock.scale : 1;
  const started = Date.now();
  ctx.progress(`waiting for ${what} (up to ${formatDuration(maxWaitMs)})`);
  const timer = setInterval(
    () => {
      const left = maxWaitMs - (Date.now() - started) * scale;
      ctx.progress(`waiting for ${what}, ${formatDuration(Math.max(0, left))} left`);
    },
    Math.max(1000, 10_000 / scale),
  );
  timer.unref();
  try {
    return await run();
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TimeoutError') {
      throw new RunbookError('STEP_TIMEOUT', `${what}: not done after ${formatDuration(maxWaitMs)}`, {
        hint,
        cause: error,
        details: observed(error),
      });
    }
    if (name === 'AbortError' || ctx.signal.aborted)
      throw new RunbookError('ABORTED', `stopped while waiting for ${what}`, { cause: error });
    throw error;
  } finally {
    clearInterval(timer);
  }
}

/** The waiter's error message is its result as JSON; its observed responses say what AWS kept answering. */
function observed(error: unknown): string[] {
  try {
    const result = JSON.parse((error as Error).message) as { observedResponses?: Record<string, number> };
    return Object.entries(result.observedResponses ?? {}).map(([answer, n]) => `  ${n}x ${answer}`);
  } catch {
    return [];
  }
}
