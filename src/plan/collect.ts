import { RunbookError, messageOf } from '../errors.js';
import { flatten } from '../engine/diff.js';
import { inReadPass } from '../engine/deps.js';
import { guarded } from '../engine/guard.js';
import { sameState } from '../engine/step-runner.js';
import type { ResolvedStep } from '../runbook/types.js';
import type { Checkpoint, StepContext, StepType } from '../steps/types.js';
import { fingerprint } from './fingerprint.js';
import type { PlannedInput, PlannedStep } from './file.js';
import type { EngineEvent } from '../engine/events.js';

/** What the collector needs from a session: the step types and a context to read live state in. */
export interface PlanSource {
  stepType(name: string): StepType;
  context(step: ResolvedStep, previous: Checkpoint | undefined): StepContext;
  previous(ref: string): Checkpoint | undefined;
  signal: AbortSignal;
  /** One read pass (see EngineDeps.readPass): the steps' reads share the answers they have in common. */
  readPass?<T>(work: () => Promise<T>): Promise<T>;
}

/**
 * A saved plan is the whole-phase simulation's output, written down: the dry run's events (each
 * step's outcome, its predicted before/after, where the before came from) become the planned
 * steps. A mutating step planned against live state (or state a checkpoint recorded) carries the
 * fingerprint of what it read; a step planned against an earlier step's prediction reads nothing
 * itself, and the fingerprint of that earlier step covers its resource.
 */
export function plannedFromEvents(events: EngineEvent[], mutates: (type: string) => boolean): PlannedInput[] {
  const out: PlannedInput[] = [];
  const starts = new Map<string, { title: string; type: string }>();
  const summaries = new Map<string, string>();
  for (const e of events) {
    if (e.kind === 'step-start') starts.set(e.ref, { title: e.title, type: e.type });
    if (e.kind === 'step-planned') summaries.set(e.ref, e.summary);
    if (e.kind !== 'step-end') continue;
    const start = starts.get(e.ref) ?? { title: e.ref, type: '' };
    const base = {
      ref: e.ref,
      id: e.ref.split('.').slice(1).join('.'),
      title: start.title,
      type: start.type,
      mutates: mutates(start.type),
      source: e.plan?.source,
      by: e.plan?.by,
    };
    const fp = e.plan && base.mutates && e.plan.source !== 'predicted' ? fingerprint(e.ref, e.plan.before) : undefined;
    if (e.status === 'would-fail') out.push({ ...base, error: e.message ?? 'would fail', fingerprint: fp });
    else if (e.status === 'would-change') {
      out.push({
        ...base,
        current: e.plan?.before,
        change: { noop: false, before: e.plan?.before, after: e.plan?.after, summary: summaries.get(e.ref) ?? e.message ?? '' },
        fingerprint: fp,
      });
    } else
      out.push({
        ...base,
        current: e.plan?.before,
        change: { noop: true, summary: e.status === 'already-applied' ? `already applied: ${e.message ?? ''}` : e.message },
        fingerprint: fp,
      });
  }
  return out;
}

/** Live reads at a time while a saved plan is checked: as many as a plan itself reads ahead. */
const READ_CONCURRENCY = 4;

/** Each given step's live state, read-only (a few at a time), in the order given. */
export async function readLiveStates(
  source: PlanSource,
  steps: ResolvedStep[],
): Promise<{ ref: string; current?: unknown; error?: string }[]> {
  const out: { ref: string; current?: unknown; error?: string }[] = new Array(steps.length);
  let next = 0;
  const worker = async () => {
    while (next < steps.length) {
      const i = next++;
      const step = steps[i] as ResolvedStep;
      const type = source.stepType(step.type);
      const ctx = source.context(step, source.previous(step.ref));
      try {
        out[i] = { ref: step.ref, current: await guarded(type.read(ctx, step.params), source.signal, `${step.ref} read`) };
      } catch (error) {
        if (source.signal.aborted) throw error;
        out[i] = { ref: step.ref, error: messageOf(error) };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(READ_CONCURRENCY, steps.length) }, worker));
  return out;
}

/**
 * Before run --plan writes anything: every fingerprint of the plan against live state now.
 * A difference that the step type ignores (deployment ids, timestamps) is not staleness.
 */
export async function staleSteps(
  source: PlanSource,
  planned: PlannedStep[],
  steps: ResolvedStep[],
): Promise<{ ref: string; lines: string[] }[]> {
  const byRef = new Map(steps.map((s) => [s.ref, s]));
  const stale: { ref: string; lines: string[] }[] = [];
  const targets = planned.filter((p) => p.fingerprint);
  // Nothing writes while the plan is checked: one read pass, over before the run's first step.
  const live = await inReadPass(source, () =>
    readLiveStates(
      source,
      targets.map((p) => byRef.get(p.ref)!),
    ),
  );
  targets.forEach((p, i) => {
    const now = live[i]!;
    const fp = fingerprint(p.ref, now.current);
    if (fp.sha256 === p.fingerprint!.sha256) return;
    const type = source.stepType(p.type);
    if (now.current !== undefined && sameState(type, p.fingerprint!.state, fp.state)) return;
    stale.push({
      ref: p.ref,
      lines: planThreeWay(p.fingerprint!.state, p.outcome === 'change' ? p.after : p.fingerprint!.state, fp.state),
    });
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
    lines.push(
      `${key}:`,
      `    planned against: ${a.get(key) ?? '(none)'}`,
      `    plan would set:  ${b.get(key) ?? '(none)'}`,
      `    live now:        ${c.get(key) ?? '(none)'}`,
    );
  }
  return lines;
}
