import { messageOf } from '../errors.js';
import { guarded } from '../engine/guard.js';
import type { CheckResult } from './triggers.js';
import type { WatchSession } from './types.js';

/** A check that hangs has not run; this bounds it (plan time, but never under 30 s of real time). */
const CHECK_TIMEOUT_PLAN_MS = 5 * 60_000;
const CHECK_TIMEOUT_MIN_REAL_MS = 30_000;

/**
 * Runs one check the way a `verify:` gate does: the step type's read, then its plan. A plan that
 * throws is a failure (the service answered wrongly); a read that throws, or whose state says the
 * probe never got an answer, is an error (nothing is known about the service), as Argo Rollouts
 * tells a failed measurement from an errored one.
 */
export async function runCheck(
  session: WatchSession,
  name: string,
  signal: AbortSignal,
  now: () => number = Date.now,
): Promise<CheckResult> {
  const check = session.resolved.checks[name];
  const at = now();
  if (!check) return { ok: false, outcome: 'error', at, detail: `check "${name}" is not defined in the runbook` };
  const timeoutMs = Math.max(CHECK_TIMEOUT_PLAN_MS / session.timeScale, CHECK_TIMEOUT_MIN_REAL_MS);
  let state: unknown;
  let type: ReturnType<WatchSession['stepType']>;
  try {
    type = session.stepType(check.type);
    const ctx = session.checkContext(name, signal, () => undefined);
    state = await guarded(type.read(ctx, check.params), signal, `check ${name}`, timeoutMs);
  } catch (error) {
    if (signal.aborted) throw error;
    return { ok: false, outcome: 'error', at, detail: `could not run: ${messageOf(error)}` };
  }
  const probe = type.probeOutcome?.(state);
  try {
    const change = type.plan(state, check.params);
    return { ok: true, outcome: 'success', at, detail: change.summary };
  } catch (error) {
    return { ok: false, outcome: probe ?? 'failure', at, detail: messageOf(error) };
  }
}
