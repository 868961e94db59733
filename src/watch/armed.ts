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
