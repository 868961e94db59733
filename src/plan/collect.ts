import { RunbookError, messageOf } from '../errors.js';
import { flatten } from '../engine/diff.js';
import { guarded } from '../engine/guard.js';
import { sameState } from '../engine/step-runner.js';
import type { ResolvedStep } from '../runbook/types.js';
import type { Checkpoint, StepContext, StepType } from '../steps/types.js';
import { fingerprint } from './fingerprint.js';
import type { PlannedInput, PlannedStep } from './file.js';

/** What the collector needs from a session: the step types and a context to read live state in. */
export interface PlanSource {
  stepType(name: string): StepType;
  context(step: ResolvedStep, previous: Checkpoint | undefined): StepContext;
  previous(ref: string): Checkpoint | undefined;
  signal: AbortSignal;
}

/**
 * The planner's output for a saved plan: each step read and planned against live state, in
 * order, read-only. THIS is the integration point for the whole-phase simulation (h10a): when the
 * planner threads predicted `after` values per resource key, it returns the same PlannedInput
 * list, with `current` the predicted state and `fingerprint` built from its live reads of each key.
 */
export async function collectPlannedSteps(source: PlanSource, steps: ResolvedStep[]): Promise<PlannedInput[]> {
  const out: PlannedInput[] = [];
  for (const step of steps) {
    const type = source.stepType(step.type);
    const base = { ref: step.ref, id: step.id, title: step.title, type: step.type, mutates: type.mutates };
    const ctx = source.context(step, source.previous(step.ref));
    let current: unknown;
    try {
      current = await guarded(type.read(ctx, step.params), source.signal, `${step.ref} read`);
    } catch (error) {
      if (source.signal.aborted) throw error;
      out.push({ ...base, error: messageOf(error) });
      continue;
    }
    const fp = type.mutates ? fingerprint(step.ref, current) : undefined;
    try {
      const change = type.plan(current, step.params);
      out.push({ ...base, current, change: change.noop ? { noop: true, summary: change.summary } : { noop: false, before: change.before, after: change.after, summary: change.summary }, fingerprint: fp });
    } catch (error) {
      out.push({ ...base, current, error: messageOf(error), fingerprint: fp });
    }
  }
  return out;
}

/**
 * Before run --plan writes anything: every fingerprint of the plan against live state now.
 * A difference that the step type ignores (deployment ids, timestamps) is not staleness.
 */
export async function staleSteps(source: PlanSource, planned: PlannedStep[], steps: ResolvedStep[]): Promise<{ ref: string; lines: string[] }[]> {
  const byRef = new Map(steps.map((s) => [s.ref, s]));
  const stale: { ref: string; lines: string[] }[] = [];
  const targets = planned.filter((p) => p.fingerprint);
  const live = await collectPlannedSteps(source, targets.map((p) => byRef.get(p.ref)!));
  targets.forEach((p, i) => {
    const now = live[i]!;
    const fp = fingerprint(p.ref, now.current);
    if (fp.sha256 === p.fingerprint!.sha256) return;
    const type = source.stepType(p.type);
    if (now.current !== undefined && sameState(type, p.fingerprint!.state, fp.state)) return;
    stale.push({ ref: p.ref, lines: planThreeWay(p.fingerprint!.state, p.outcome === 'change' ? p.after : p.fingerprint!.state, fp.state) });
  });
  return stale;
}

export function staleError(file: string, why: string, details: string[], replan: string): RunbookError {
  return new RunbookError('DRIFT', `the saved plan ${file} is stale: ${why}; nothing was changed`, {
    details,
    hint: `Review what changed, then plan again: ${replan}`,
  });
}

/** For each field that moved since the plan: what the plan read, what it would leave, what is live now. */
export function planThreeWay(planned: unknown, after: unknown, live: unknown): string[] {
  const a = flatten(planned);
  const b = flatten(after);
  const c = flatten(live);
  const lines: string[] = [];
  for (const key of [...new Set([...a.keys(), ...b.keys(), ...c.keys()])].sort()) {
    if (a.get(key) === c.get(key)) continue;
    lines.push(`${key}:`, `    planned against: ${a.get(key) ?? '(none)'}`, `    plan would set:  ${b.get(key) ?? '(none)'}`, `    live now:        ${c.get(key) ?? '(none)'}`);
  }
  return lines;
}
