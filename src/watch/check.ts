import { messageOf } from '../errors.js';
import { guarded } from '../engine/guard.js';
import type { CheckResult } from './triggers.js';
import type { WatchSession } from './types.js';

/** A check that hangs is failing; this bounds it (plan time, but never under 30 s of real time). */
const CHECK_TIMEOUT_PLAN_MS = 5 * 60_000;
const CHECK_TIMEOUT_MIN_REAL_MS = 30_000;

/**
 * Runs one check the way a `verify:` gate does: the step type's read, then its plan; a plan that
 * throws (or a read that fails) is a failing check, with the message as its detail.
 */
export async function runCheck(session: WatchSession, name: string, signal: AbortSignal, now: () => number = Date.now): Promise<CheckResult> {
  const check = session.resolved.checks[name];
  const at = now();
  if (!check) return { ok: false, at, detail: `check "${name}" is not defined in the runbook` };
  const timeoutMs = Math.max(CHECK_TIMEOUT_PLAN_MS / session.timeScale, CHECK_TIMEOUT_MIN_REAL_MS);
  try {
    const type = session.stepType(check.type);
    const ctx = session.checkContext(name, signal, () => undefined);
    const state = await guarded(type.read(ctx, check.params), signal, `check ${name}`, timeoutMs);
    const change = type.plan(state, check.params);
    return { ok: true, at, detail: change.summary };
  } catch (error) {
    if (signal.aborted) throw error;
    return { ok: false, at, detail: messageOf(error) };
  }
}
