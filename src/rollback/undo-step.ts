import { RunbookError } from '../errors.js';
import type { EngineDeps } from '../engine/deps.js';
import { diffLines, threeWayLines } from '../engine/diff.js';
import { guarded } from '../engine/guard.js';
import { confirmEnvironmentOnce, sameState, save, stepError } from '../engine/step-runner.js';
import type { ResolvedStep } from '../runbook/types.js';
import { judgeUndo, needsLiveRead } from './drift.js';

export type UndoOutcome = 'rolled-back' | 'already-undone' | 'nothing-to-undo' | 'would-change' | 'skipped';

/** Reads the live state behind a checkpoint (with the parameters it was applied with). */
export async function readLive(deps: EngineDeps, step: ResolvedStep): Promise<unknown> {
  const cp = deps.state.steps[step.ref];
  if (!needsLiveRead(cp) || !cp) return undefined;
  const type = deps.stepType(cp.type);
  const ctx = deps.contextFor(step, cp, deps.signal);
  return guarded(type.read(ctx, cp.params), deps.signal, `${step.ref} read`);
}

export function driftError(refs: string[], lines: string[], env: string, id: string): RunbookError {
  return new RunbookError(
    'DRIFT',
    `${refs.join(', ')} changed since migrate applied ${refs.length > 1 ? 'them' : 'it'}: rollback stopped before writing anything`,
    {
      details: lines,
      hint: `Someone changed the resource by hand. Look at the difference above; to restore the checkpoint anyway: migrate rollback ${id} --env ${env} --force`,
    },
  );
}

/**
 * Undo one step from its checkpoint: the mirror of runStep, with the same confirm -> intent ->
 * write -> verify -> record sequence, so an interrupted rollback resumes the same way a run does.
 */
export async function undoStep(
  deps: EngineDeps,
  step: ResolvedStep,
  options: { force: boolean; rollbackId: string },
): Promise<UndoOutcome> {
  const started = Date.now();
  const cp = deps.state.steps[step.ref];
  const type = deps.stepType(cp?.type ?? step.type);
  deps.emit({ kind: 'step-start', ref: step.ref, title: `undo: ${step.title}`, type: step.type, group: step.group });
  const end = (
    status: 'rolled-back' | 'already-undone' | 'nothing-to-undo' | 'would-change' | 'skipped' | 'failed',
    message?: string,
    hint?: string,
  ) => deps.emit({ kind: 'step-end', ref: step.ref, status, message, hint, durationMs: Date.now() - started });
  try {
    const live = await readLive(deps, step);
    const verdict = judgeUndo(type, cp, live);
    if (verdict.kind === 'never-ran') {
      end('nothing-to-undo', `${step.ref} has nothing to undo: ${verdict.reason}`);
      return 'nothing-to-undo';
    }
    if (!cp || !type.undo) throw new RunbookError('STEP_FAILED', `${step.ref} (${step.type}) cannot be undone`);
    if (verdict.kind === 'already-undone') {
      if (cp.status !== 'rolled-back' && !deps.dryRun) {
        if (cp.status === 'undoing') {
          // An undo stopped after its write took effect may have missed what follows the write:
          // the deploy that makes an API change take effect, the DNS answer check. The step's
          // verify finishes that, told that the state the undo left behind is the checkpoint's after.
          const ctx = deps.contextFor(step, { ...cp, status: 'applying', before: cp.after }, deps.signal);
          await guarded(type.verify?.(ctx, cp.params, live) ?? Promise.resolve(), deps.signal, `${step.ref} verify`);
        }
        cp.status = 'rolled-back';
        cp.rolledBackAt = new Date().toISOString();
        await save(deps);
        await deps.audit({ event: 'undo-end', step: step.ref, result: 'already-undone' });
      }
      end('already-undone', "live state already equals the checkpoint's before-state");
      return 'already-undone';
    }
    if (verdict.kind === 'drift') {
      const lines = threeWayLines(cp.before, cp.after, live);
      deps.emit({ kind: 'drift', ref: step.ref, lines });
      if (!options.force) throw driftError([step.ref], lines, deps.env.name, options.rollbackId);
      deps.emit({
        kind: 'step-warning',
        ref: step.ref,
        message: 'drift overridden by --force: restoring the checkpoint over a hand-made change',
      });
    }
    const diff = diffLines(live, cp.before);
    const summary = `restore ${step.ref} to its state before migrate`;
    deps.emit({ kind: 'step-planned', ref: step.ref, noop: false, summary, diff });
    if (deps.dryRun) {
      end('would-change', summary);
      return 'would-change';
    }
    await confirmEnvironmentOnce(deps);
    const decision = await deps.prompter.confirmStep({ ref: step.ref, title: step.title, type: step.type, action: 'undo', summary, diff });
    if (decision === 'abort')
      throw new RunbookError('ABORTED', `rollback aborted by the operator at ${step.ref}`, {
        hint: `Run "migrate rollback ${options.rollbackId}" again to continue.`,
      });
    if (decision === 'skip') {
      await deps.audit({ event: 'undo-skipped', step: step.ref, result: 'skipped' });
      end('skipped', 'skipped by the operator');
      return 'skipped';
    }
    cp.status = 'undoing';
    await save(deps);
    await deps.audit({ event: 'undo-start', step: step.ref, detail: summary });
    const ctx = deps.contextFor(step, cp, deps.signal);
    await guarded(type.undo(ctx, cp), deps.signal, `${step.ref} undo`);
    const now = await guarded(type.read(ctx, cp.params), deps.signal, `${step.ref} read`);
    if (!sameState(type, now, cp.before)) {
      throw new RunbookError('STEP_FAILED', `${step.ref}: undo finished but the live state does not equal the checkpoint's before-state`, {
        details: diffLines(cp.before, now),
      });
    }
    cp.status = 'rolled-back';
    cp.rolledBackAt = new Date().toISOString();
    delete cp.error;
    await save(deps);
    await deps.audit({ event: 'undo-end', step: step.ref, result: 'rolled-back' });
    end('rolled-back', summary);
    return 'rolled-back';
  } catch (error) {
    const err = stepError(step, error);
    await deps
      .audit({ event: 'undo-end', step: step.ref, result: err.code === 'ABORTED' ? 'interrupted' : 'failed', detail: err.message })
      .catch(() => undefined);
    end('failed', err.message, err.hint);
    throw err;
  }
}
