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
