import { RunbookError } from '../errors.js';
import type { ResolvedStep } from '../runbook/types.js';

export interface Selection {
  from?: string | undefined;
  only?: string | undefined;
}

/** Accepts "3", "1a" or "mid.3"; a group id ("1") stands for its sub-steps. */
function matches(step: ResolvedStep, id: string): boolean {
  const bare = id.includes('.') ? id.slice(id.indexOf('.') + 1) : id;
  if (id.includes('.') && !id.startsWith(`${step.phase}.`)) return false;
  return step.id === bare || groupIdOf(step) === bare;
}

function groupIdOf(step: ResolvedStep): string | undefined {
  return step.groupId;
}

/** Pure: which steps of a phase run for --from / --only. */
export function selectSteps(steps: ResolvedStep[], selection: Selection, phase: string): ResolvedStep[] {
  if (selection.from && selection.only) throw new RunbookError('USAGE', '--from and --only cannot be used together');
  const wanted = selection.from ?? selection.only;
  if (!wanted) return steps;
  const index = steps.findIndex((s) => matches(s, wanted));
  if (index < 0) {
    const ids = steps.map((s) => s.id).join(', ');
    throw new RunbookError('USAGE', `phase "${phase}" has no step "${wanted}"`, { hint: `Its steps are: ${ids || '(none)'}` });
  }
  if (selection.from) return steps.slice(index);
  return steps.filter((s) => matches(s, wanted));
}
