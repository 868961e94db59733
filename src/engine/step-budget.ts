/**
 * A step's `timeout:` as a budget that runs while the step works and stands still while the
 * operator reads its preview: a slow answer at the prompt is not the step hanging.
 */
export interface StepBudget {
  /** Real milliseconds left, or undefined when the step has no timeout. */
  left(): number | undefined;
  expired(): boolean;
  pause(): void;
  resume(): void;
  clear(): void;
}

export function stepBudget(timeoutMs: number | undefined, onExpire: () => void): StepBudget {
  let remaining = timeoutMs;
  let deadline: number | undefined;
  let timer: NodeJS.Timeout | undefined;
  let spent = false;
  const start = () => {
    if (remaining === undefined) return;
    deadline = Date.now() + remaining;
    timer = setTimeout(() => {
      spent = true;
      onExpire();
    }, remaining);
  };
  const stop = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
  };
  start();
  return {
    left: () => (deadline === undefined ? undefined : Math.max(1, deadline - Date.now())),
    expired: () => spent || (deadline !== undefined && timer !== undefined && Date.now() >= deadline),
    pause() {
      if (deadline === undefined || timer === undefined) return;
      remaining = Math.max(1, deadline - Date.now());
      stop();
      deadline = undefined;
    },
    resume() {
      if (timer === undefined && !spent) start();
    },
    clear: stop,
  };
}

/**
 * The least real time a step's timeout allows under a time scale. The scale shortens the waits a
 * plan measures (TTLs, wait steps), not the calls the step makes: at scale 600 a 30m timeout
 * would leave 3 real seconds for Route 53 round trips on a loaded machine. Never above the
 * unscaled timeout itself.
 */
export const SCALED_TIMEOUT_FLOOR_MS = 60_000;

/** A step's `timeout:` in real milliseconds under the time scale, no lower than the floor. */
export function scaledTimeout(timeoutMs: number | undefined, scale: number): number | undefined {
  if (timeoutMs === undefined) return undefined;
  const scaled = timeoutMs / (scale > 0 ? scale : 1);
  return Math.max(scaled, Math.min(timeoutMs, SCALED_TIMEOUT_FLOOR_MS));
}
