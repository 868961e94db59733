import { RunbookError } from '../errors.js';
import type { ResolvedStep } from '../runbook/types.js';
import { inReadPass, type EngineDeps } from './deps.js';
import { emptySummary, type RunSummary } from './events.js';
import { guarded } from './guard.js';
import { Simulation } from './simulation.js';
import { runStep } from './step-runner.js';

export interface PhaseRunOptions {
  command: string;
  /**
   * Builds the resume command for a stopped step ("migrate run mid --env prod --from 4"); with
   * `reapply`, the one that writes a drifted step again.
   */
  resumeCommand(stepId: string, reapply?: string): string;
  /** Every step of the runbook, in runbook order (which applied step wrote a resource last). */
  runbookSteps?: readonly ResolvedStep[] | undefined;
  /** --reapply: steps to write again although their checkpoint says applied. */
  reapply?: readonly string[] | undefined;
  /**
   * Awaited before the run is announced and its first step taken (the account check); a dry run's
   * reads are already in flight meanwhile. If it fails, nothing is announced or recorded.
   */
  ready?: Promise<unknown> | undefined;
}

export interface PhaseResult {
  ok: boolean;
  summary: RunSummary;
  error?: RunbookError | undefined;
}

/** Live reads of a dry run at a time: enough to overlap round trips, few enough not to be throttled. */
const READ_CONCURRENCY = 4;

/**
 * A dry run reads the live state of every resource the phase starts from, concurrently: the first
 * step on each key (later steps on it are planned from the predicted state). Each read is taken
 * by its step in runbook order.
 */
function prefetchReads(deps: EngineDeps, steps: ResolvedStep[], sim: Simulation): Map<string, Promise<unknown>> {
  const reads = new Map<string, Promise<unknown>>();
  const seen = new Set<string>();
  const queue: Array<() => void> = [];
  let running = 0;
  const next = () => {
    while (running < READ_CONCURRENCY && queue.length > 0) queue.shift()?.();
  };
  for (const step of steps) {
    const type = deps.stepType(step.type);
    const keys = sim.keysOf(step);
    const first = !keys.some((k) => seen.has(k));
    for (const k of keys) seen.add(k);
    // Reads that depend on what an earlier step did (a manual step's confirmation, a check after a
    // change) are taken when the walk reaches them. A dry run changes nothing, so an assert on AWS
    // (a check that changes nothing itself) reads the same live state now as when it is reached.
    const ahead = type.mutates ? !!type.resources : !!type.usesAws;
    if (!first || !ahead) continue;
    const read = new Promise<unknown>((resolve, reject) => {
      queue.push(() => {
        running += 1;
        const ctx = deps.contextFor(step, deps.state.steps[step.ref], deps.signal);
        guarded(type.read(ctx, step.params), deps.signal, `${step.ref} read`)
          .then(resolve, reject)
          .finally(() => {
            running -= 1;
            next();
          });
      });
    });
    // Awaited later by its step; a read whose step is never reached must not crash the process.
    read.catch(() => undefined);
    reads.set(step.ref, read);
  }
  next();
  return reads;
}

/**
 * Runs the selected steps in order. Stops at the first failure (except in a dry run, which shows
 * everything), leaving state saved and the exact resume command in the summary.
 */
export function runPhase(deps: EngineDeps, steps: ResolvedStep[], options: PhaseRunOptions): Promise<PhaseResult> {
  // A dry run changes nothing, so the whole walk is one read pass: a listing one step made serves the next.
  return deps.dryRun ? inReadPass(deps, () => walkPhase(deps, steps, options)) : walkPhase(deps, steps, options);
}

async function walkPhase(deps: EngineDeps, steps: ResolvedStep[], options: PhaseRunOptions): Promise<PhaseResult> {
  const summary = emptySummary();
  const sim = new Simulation(
    deps.stepType,
    deps.state.steps,
    (options.runbookSteps ?? steps).map((s) => s.ref),
  );
  const reads = deps.dryRun ? prefetchReads(deps, steps, sim) : new Map<string, Promise<unknown>>();
  await options.ready;
  deps.emit({
    kind: 'run-start',
    command: options.command,
    env: deps.env.name,
    refs: steps.map((s) => s.ref),
    titles: Object.fromEntries(steps.map((s) => [s.ref, s.title])),
    dryRun: deps.dryRun,
    timeScale: deps.timeScale,
  });
  await deps.audit({ event: deps.dryRun ? 'dry-run-start' : 'run-start', detail: steps.map((s) => s.ref).join(' ') });
  const reapply = new Set(options.reapply ?? []);
  let error: RunbookError | undefined;
  for (const step of steps) {
    try {
      const outcome = await runStep(deps, step, {
        sim,
        prefetched: reads.get(step.ref),
        reapply: reapply.has(step.ref) || reapply.has(step.id),
        reapplyCommand: (s) => options.resumeCommand(s.id, s.ref),
      });
      if (outcome === 'applied' || outcome === 'already-applied') summary.applied.push(step.ref);
      if (outcome === 'already-applied') summary.alreadyApplied = [...(summary.alreadyApplied ?? []), step.ref];
      else if (outcome === 'noop') summary.noop.push(step.ref);
      else if (outcome === 'skipped') summary.skipped.push(step.ref);
      else if (outcome === 'would-change') summary.wouldChange.push(step.ref);
      else if (outcome === 'would-fail') summary.failed.push(step.ref);
    } catch (thrown) {
      error = thrown instanceof RunbookError ? thrown : new RunbookError('STEP_FAILED', String(thrown));
      if (error.code === 'ABORTED' || error.code === 'NOT_CONFIRMED') summary.aborted = true;
      else summary.failed.push(step.ref);
      // A dry run changed nothing, so there is nothing to resume: it is run again as it was.
      if (!deps.dryRun) summary.resume = options.resumeCommand(step.id, error.code === 'DRIFT' ? step.ref : undefined);
      break;
    }
  }
  const ok = !error && summary.failed.length === 0;
  await deps.audit({
    event: deps.dryRun ? 'dry-run-end' : 'run-end',
    result: ok ? 'ok' : summary.aborted ? 'aborted' : 'failed',
    detail: error?.message,
  });
  deps.emit({ kind: 'run-end', ok, summary });
  return { ok, summary, error };
}
