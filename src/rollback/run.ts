import { RunbookError } from '../errors.js';
import { inReadPass, type EngineDeps } from '../engine/deps.js';
import { threeWayLines } from '../engine/diff.js';
import { emptySummary } from '../engine/events.js';
import type { PhaseResult } from '../engine/engine.js';
import { runStep, save } from '../engine/step-runner.js';
import type { ResolvedRunbook } from '../runbook/types.js';
import { judgeUndo } from './drift.js';
import { planRollback } from './plan.js';
import { driftError, readLive, undoStep } from './undo-step.js';

export interface RollbackOptions {
  id: string;
  force: boolean;
  command: string;
  /** The command that runs this rollback again (with `extra` flags), as the operator gave it. */
  resumeCommand?: ((extra?: string) => string) | undefined;
}

/**
 * rollback N: check every target of N and its chain for drift before writing anything, then undo
 * entry by entry (latest step first), run each entry's own steps, and record the entry.
 */
export function runRollback(deps: EngineDeps, resolved: ResolvedRunbook, options: RollbackOptions): Promise<PhaseResult> {
  return deps.dryRun ? inReadPass(deps, () => rollback(deps, resolved, options)) : rollback(deps, resolved, options);
}

async function rollback(deps: EngineDeps, resolved: ResolvedRunbook, options: RollbackOptions): Promise<PhaseResult> {
  const stages = planRollback(resolved, options.id);
  const summary = emptySummary();
  const refs = stages.flatMap((s) => [...s.undo.map((u) => u.ref), ...s.steps.map((f) => f.ref)]);
  const titles = Object.fromEntries(
    stages.flatMap((s) => [...s.undo.map((u) => [u.ref, `undo: ${u.title}`]), ...s.steps.map((f) => [f.ref, f.title])]),
  );
  deps.emit({
    kind: 'run-start',
    command: options.command,
    env: deps.env.name,
    refs,
    titles,
    dryRun: deps.dryRun,
    timeScale: deps.timeScale,
  });
  await deps.audit({ event: deps.dryRun ? 'dry-run-start' : 'rollback-start', detail: `rollback ${stages.map((s) => s.id).join(' -> ')}` });

  let error: RunbookError | undefined;
  const drifted: string[] = [];
  try {
    const lines: string[] = [];
    // Nothing is written until every target has been read: one read pass.
    await inReadPass(deps, async () => {
      for (const step of stages.flatMap((s) => s.undo)) {
        const cp = deps.state.steps[step.ref];
        const live = await readLive(deps, step);
        if (judgeUndo(deps.stepType(cp?.type ?? step.type), cp, live).kind === 'drift' && cp) {
          drifted.push(step.ref);
          const view = threeWayLines(cp.before, cp.after, live);
          lines.push(`${step.ref} (${step.title}):`, ...view.map((l) => `  ${l}`));
          deps.emit({ kind: 'drift', ref: step.ref, lines: view });
        }
      }
    });
    if (drifted.length > 0 && !options.force) throw driftError(drifted, lines, deps.env.name, options.id);

    for (const stage of stages) {
      if (!deps.dryRun) {
        deps.state.rollbacks[stage.id] = { status: 'running', at: new Date().toISOString() };
        await save(deps);
      }
      try {
        for (const step of stage.undo) {
          const outcome = await undoStep(deps, step, { force: options.force, rollbackId: options.id });
          if (outcome === 'rolled-back' || outcome === 'already-undone') summary.rolledBack.push(step.ref);
          else if (outcome === 'would-change') summary.wouldChange.push(step.ref);
          else if (outcome === 'skipped') summary.skipped.push(step.ref);
          else summary.noop.push(step.ref);
        }
        for (const step of stage.steps) {
          const outcome = await runStep(deps, step);
          if (outcome === 'applied' || outcome === 'already-applied') summary.applied.push(step.ref);
          else if (outcome === 'would-change') summary.wouldChange.push(step.ref);
          else if (outcome === 'would-fail') summary.failed.push(step.ref);
          else if (outcome === 'skipped') summary.skipped.push(step.ref);
          else summary.noop.push(step.ref);
        }
      } catch (thrown) {
        if (!deps.dryRun) {
          deps.state.rollbacks[stage.id] = { status: 'failed', at: new Date().toISOString(), error: (thrown as Error).message };
          await save(deps);
        }
        throw thrown;
      }
      if (!deps.dryRun) {
        deps.state.rollbacks[stage.id] = { status: 'applied', at: new Date().toISOString() };
        await save(deps);
        await deps.audit({ event: 'rollback-entry', step: `rollback.${stage.id}`, result: 'applied' });
      }
    }
  } catch (thrown) {
    error = thrown instanceof RunbookError ? thrown : new RunbookError('STEP_FAILED', String(thrown));
    if (error.code === 'ABORTED' || error.code === 'NOT_CONFIRMED') summary.aborted = true;
    else if (error.code !== 'DRIFT') summary.failed.push(options.id);
    const again =
      options.resumeCommand ?? ((extra?: string) => `migrate rollback ${options.id} --env ${deps.env.name}${extra ? ` ${extra}` : ''}`);
    // A drift refusal resumes only by overwriting the hand-made change: say so with the command.
    const what = drifted.length ? drifted.join(', ') : 'the drifted step';
    if (deps.dryRun) summary.resume = undefined;
    else
      summary.resume =
        error.code === 'DRIFT'
          ? `${again('--force')}   # overwrites the hand-made change to ${what} with the checkpoint's before-state`
          : again();
  }
  const ok = !error && summary.failed.length === 0;
  await deps.audit({
    event: deps.dryRun ? 'dry-run-end' : 'rollback-end',
    result: ok ? 'ok' : error?.code === 'DRIFT' ? 'drift' : 'failed',
    detail: error?.message,
  });
  deps.emit({ kind: 'run-end', ok, summary });
  return { ok, summary, error };
}
