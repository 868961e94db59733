import { needsLiveRead } from '../rollback/drift.js';
import type { RollbackDef, StepDef } from '../runbook/types.js';
import type { Checkpoint } from '../steps/types.js';

type Steps = Pick<StepDef, 'ref' | 'phase' | 'groupId'>[];

/**
 * The rollback entries that have something to undo: a step they name was applied, or failed or was
 * interrupted half-way. A trigger whose rollback has nothing to undo (mid.4 never ran, or was
 * rolled back already) does not fire: there is nothing for it to put back.
 */
export function armedRollbacks(
  runbook: { phases: Record<string, Steps>; rollback: Pick<RollbackDef, 'id' | 'undo'>[] },
  steps: Record<string, Checkpoint>,
): Set<string> {
  const all = Object.values(runbook.phases).flat();
  const armed = new Set<string>();
  for (const entry of runbook.rollback) {
    // "mid.5" names a step, or every sub-step of group 5 (as planRollback reads it).
    const targets = entry.undo.flatMap((ref) => {
      if (all.some((s) => s.ref === ref)) return [ref];
      const [phase, groupId] = ref.split('.');
      return all.filter((s) => s.phase === phase && s.groupId === groupId).map((s) => s.ref);
    });
    if (targets.length === 0 || targets.some((ref) => needsLiveRead(steps[ref]))) armed.add(entry.id);
  }
  return armed;
}

/** A step whose change is (or may be) in place: applied, found already so, or failed half-way. */
export function inEffect(cp: Checkpoint | undefined): boolean {
  return !!cp && ['applied', 'noop', 'applying', 'failed', 'interrupted', 'undoing'].includes(cp.status);
}

/**
 * Whether a check or trigger holds now: after its activeAfter step took effect and before its
 * activeUntil step did. A rolled-back step is no longer in effect, so the window opens (or closes)
 * again as the estate goes back.
 */
export function windowActive(
  window: { activeAfter?: string | undefined; activeUntil?: string | undefined },
  steps: Record<string, Checkpoint>,
): boolean {
  if (window.activeAfter && !inEffect(steps[window.activeAfter])) return false;
  if (window.activeUntil && inEffect(steps[window.activeUntil])) return false;
  return true;
}

/** Per rollback id: when state.json recorded it applied (by the watch, an operator or a chain). */
export function appliedRollbacks(rollbacks: Record<string, { status: string; at: string }>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [id, rec] of Object.entries(rollbacks)) if (rec.status === 'applied') out[id] = rec.at;
  return out;
}

/** Rollback ids whose trigger, or the check it judges, is outside its active window now. */
export function inactiveTriggers(
  triggers: { rollback: string; check: string; activeAfter?: string | undefined; activeUntil?: string | undefined }[],
  checks: Record<string, { activeAfter?: string | undefined; activeUntil?: string | undefined }> | undefined,
  steps: Record<string, Checkpoint>,
): Set<string> {
  const out = new Set<string>();
  for (const t of triggers) if (!windowActive(t, steps) || !windowActive(checks?.[t.check] ?? {}, steps)) out.add(t.rollback);
  return out;
}
