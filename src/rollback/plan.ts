import { RunbookError } from '../errors.js';
import type { ResolvedRunbook, ResolvedStep } from '../runbook/types.js';

export interface RollbackStage {
  id: string;
  title: string;
  when?: string | undefined;
  /** Steps to undo, latest first. */
  undo: ResolvedStep[];
  /** Steps the entry runs forward after its undo (a manual step, a restriction put back). */
  steps: ResolvedStep[];
}

/**
 * Pure: the entries rollback N runs, in order: N itself, then what it chains (`then`), depth first,
 * each entry once. Undo targets within an entry come latest-applied first.
 */
export function planRollback(resolved: ResolvedRunbook, id: string): RollbackStage[] {
  const byId = new Map(resolved.rollback.map((r) => [r.id, r]));
  if (!byId.has(id)) {
    const known = resolved.rollback.map((r) => `${r.id} (${r.title})`).join(', ');
    throw new RunbookError('USAGE', `the runbook has no rollback ${id}`, {
      hint: known ? `Rollbacks: ${known}` : 'This runbook defines no rollback entries.',
    });
  }
  const order = new Map<string, number>();
  const all = [...resolved.phases.pre, ...resolved.phases.mid, ...resolved.phases.post];
  for (const [i, s] of all.entries()) order.set(s.ref, i);
  const stepByRef = new Map(all.map((s) => [s.ref, s]));

  const stages: RollbackStage[] = [];
  const seen = new Set<string>();
  const visit = (entryId: string) => {
    if (seen.has(entryId)) return;
    seen.add(entryId);
    const entry = byId.get(entryId);
    if (!entry) throw new RunbookError('RUNBOOK_INVALID', `rollback ${id} chains rollback ${entryId}, which does not exist`);
    const undo = expandRefs(entry.undo, all, stepByRef).sort((a, b) => (order.get(b.ref) ?? 0) - (order.get(a.ref) ?? 0));
    stages.push({ id: entry.id, title: entry.title, when: entry.when, undo, steps: entry.steps });
    for (const next of entry.then) visit(next);
  };
  visit(id);
  return stages;
}

/** "mid.5" names a step, or a group whose sub-steps are all undone. */
function expandRefs(refs: string[], all: ResolvedStep[], byRef: Map<string, ResolvedStep>): ResolvedStep[] {
  const out: ResolvedStep[] = [];
  for (const ref of refs) {
    const direct = byRef.get(ref);
    if (direct) {
      out.push(direct);
      continue;
    }
    const [phase, groupId] = ref.split('.');
    const members = all.filter((s) => s.phase === phase && s.groupId === groupId);
    if (members.length === 0) throw new RunbookError('RUNBOOK_INVALID', `rollback names ${ref}, which is not a step of the runbook`);
    out.push(...members);
  }
  return out;
}
