import { isProcessAlive } from '../../src/state/lock.js';

/** Gone, or a zombie nobody has reaped yet: either way it no longer serves. */
export function isDead(pid: number): boolean {
  return !isProcessAlive(pid);
}

/** Polls `check` every 100 ms for up to `ms`; the last answer is the result. */
export async function waitFor(check: () => boolean, ms: number): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}
