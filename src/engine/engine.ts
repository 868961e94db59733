import { RunbookError } from '../errors.js';
import type { ResolvedStep } from '../runbook/types.js';
import type { EngineDeps } from './deps.js';
import { emptySummary, type RunSummary } from './events.js';
import { runStep } from './step-runner.js';

export interface PhaseRunOptions {
  command: string;
  /** Builds the resume command for a failed step id ("migrate run mid --env prod --from 4"). */
  resumeCommand(stepId: string): string;
}

export interface PhaseResult {
  ok: boolean;
  summary: RunSummary;
  error?: RunbookError | undefined;
}

/**
 * Runs the selected steps in order. Stops at the first failure (except in a dry run, which shows
 * everything), leaving state saved and the exact resume command in the summary.
 */
export async function runPhase(deps: EngineDeps, steps: ResolvedStep[], options: PhaseRunOptions): Promise<PhaseResult> {
  const summary = emptySummary();
  deps.emit({ kind: 'run-start', command: options.command, env: deps.env.name, refs: steps.map((s) => s.ref), titles: Object.fromEntries(steps.map((s) => [s.ref, s.title])), dryRun: deps.dryRun, timeScale: deps.timeScale });
  await deps.audit({ event: deps.dryRun ? 'dry-run-start' : 'run-start', detail: steps.map((s) => s.ref).join(' ') });
  let error: RunbookError | undefined;
  for (const step of steps) {
    try {
      const outcome = await runStep(deps, step);
      if (outcome === 'applied' || outcome === 'already-applied') summary.applied.push(step.ref);
      else if (outcome === 'noop') summary.noop.push(step.ref);
      else if (outcome === 'skipped') summary.skipped.push(step.ref);
      else if (outcome === 'would-change') summary.wouldChange.push(step.ref);
      else if (outcome === 'would-fail') summary.failed.push(step.ref);
    } catch (thrown) {
      error = thrown instanceof RunbookError ? thrown : new RunbookError('STEP_FAILED', String(thrown));
      if (error.code === 'ABORTED' || error.code === 'NOT_CONFIRMED') summary.aborted = true;
      else summary.failed.push(step.ref);
      summary.resume = options.resumeCommand(step.id);
      break;
    }
  }
  const ok = !error && summary.failed.length === 0;
  await deps.audit({ event: deps.dryRun ? 'dry-run-end' : 'run-end', result: ok ? 'ok' : summary.aborted ? 'aborted' : 'failed', detail: error?.message });
  deps.emit({ kind: 'run-end', ok, summary });
  return { ok, summary, error };
}
