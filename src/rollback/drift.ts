import type { Checkpoint, StepType } from '../steps/types.js';
import { sameState } from '../engine/step-runner.js';

export type UndoVerdict = { kind: 'never-ran'; reason: string } | { kind: 'already-undone' } | { kind: 'in-place' } | { kind: 'drift' };

/** Pure: what undoing a checkpoint means, given the live state read just now. */
export function judgeUndo(type: StepType, cp: Checkpoint | undefined, live?: unknown): UndoVerdict {
  if (!cp || cp.status === 'pending') return { kind: 'never-ran', reason: 'it never ran' };
  if (cp.status === 'skipped') return { kind: 'never-ran', reason: 'it was skipped, so migrate changed nothing' };
  if (cp.status === 'noop') return { kind: 'never-ran', reason: 'it was already in the desired state, so migrate changed nothing' };
  if (cp.status === 'rolled-back') return { kind: 'already-undone' };
  if (cp.before === undefined) return { kind: 'never-ran', reason: 'it has no recorded before-state' };
  if (sameState(type, live, cp.before)) return { kind: 'already-undone' };
  // An interrupted or failed change has no trustworthy "after": restore from "before" as it is.
  if (cp.status !== 'applied' || cp.after === undefined) return { kind: 'in-place' };
  return sameState(type, live, cp.after) ? { kind: 'in-place' } : { kind: 'drift' };
}

/** Steps need a read before the verdict unless the checkpoint alone decides it. */
export function needsLiveRead(cp: Checkpoint | undefined): boolean {
  return !!cp && ['applied', 'applying', 'failed', 'undoing', 'interrupted'].includes(cp.status) && cp.before !== undefined;
}
