import { RunbookError, messageOf } from '../errors.js';
import { describeAwsError } from '../aws/errors.js';
import type { ResolvedStep } from '../runbook/types.js';
import { isUnfinished, type Change, type Checkpoint, type StepContext, type StepStatus, type StepType } from '../steps/types.js';
import { deepEqual } from '../util/json.js';
import type { EngineDeps } from './deps.js';
import type { StepEndStatus } from './events.js';
import { diffLines } from './diff.js';
import { guarded } from './guard.js';
import { stepBudget } from './step-budget.js';
import { formatDuration } from '../util/duration.js';

export type StepOutcome = 'applied' | 'already-applied' | 'noop' | 'skipped' | 'would-change' | 'would-fail' | 'failed';

export function sameState(type: StepType, a: unknown, b: unknown): boolean {
  return type.same ? type.same(a, b) : deepEqual(a, b);
}

/** Turns anything a step threw into a RunbookError that names the step and, for AWS, the request. */
export function stepError(step: { ref: string; title: string }, error: unknown): RunbookError {
  if (error instanceof RunbookError) {
    if (['ABORTED', 'STEP_TIMEOUT', 'NOT_CONFIRMED', 'DRY_RUN_WRITE'].includes(error.code)) return error;
    if (error.message.startsWith(`${step.ref} (`)) return error;
    return new RunbookError(error.code, `${step.ref} (${step.title}): ${error.message}`, { hint: error.hint, details: error.details, exitCode: error.exitCode, cause: error });
  }
  const aws = describeAwsError(error);
  if (aws) return new RunbookError('AWS_ERROR', `${step.ref} (${step.title}): ${aws}`, { cause: error, hint: 'AWS refused or failed the call after the SDK\'s retries; the state was saved.' });
  return new RunbookError('STEP_FAILED', `${step.ref} (${step.title}): ${messageOf(error)}`, { cause: error });
}

export async function save(deps: EngineDeps): Promise<void> {
  if (!deps.dryRun) await deps.store.save(deps.state);
}

function record(deps: EngineDeps, step: ResolvedStep, patch: Partial<Checkpoint> & { status: StepStatus }): Checkpoint {
  const prev = deps.state.steps[step.ref];
  const cp: Checkpoint = { ...(prev ?? {}), ref: step.ref, type: step.type, title: step.title, params: step.params, digest: step.digest, at: new Date().toISOString(), ...patch } as Checkpoint;
  if (patch.status !== 'failed') delete cp.error;
  deps.state.steps[step.ref] = cp;
  return cp;
}

/** The pre-migration value survives retries and re-applies: undo must restore what was there first. */
function originalBefore(prev: Checkpoint | undefined): { has: boolean; value?: unknown } {
  if (prev && ['applying', 'interrupted', 'applied', 'failed'].includes(prev.status) && 'before' in prev && prev.before !== undefined) return { has: true, value: prev.before };
  return { has: false };
}

export async function confirmEnvironmentOnce(deps: EngineDeps): Promise<void> {
  if (!deps.env.protected || deps.envConfirmed) return;
  const ok = await deps.prompter.confirmEnvironment(deps.env.name);
  if (!ok) {
    throw new RunbookError('NOT_CONFIRMED', `environment "${deps.env.name}" is protected and its name was not confirmed`, {
      hint: `Type the environment name when asked, or pass --confirm-env ${deps.env.name} with --yes.`,
    });
  }
  deps.envConfirmed = true;
}

export async function runGates(deps: EngineDeps, step: ResolvedStep, ctx: StepContext): Promise<void> {
  for (const name of step.verify) {
    const check = deps.checks[name];
    if (!check) throw new RunbookError('RUNBOOK_INVALID', `check "${name}" is not defined`);
    const type = deps.stepType(check.type);
    deps.emit({ kind: 'step-progress', ref: step.ref, message: `gate: ${name}` });
    const state = await guarded(type.read(ctx, check.params), ctx.signal, `gate ${name}`);
    try {
      type.plan(state, check.params);
    } catch (error) {
      throw new RunbookError('ASSERTION_FAILED', `gate "${name}" failed after ${step.ref}: ${messageOf(error)}`, {
        hint: 'The change was applied and recorded; fix forward, or run the rollback the plan gives for this.',
      });
    }
  }
}

/**
 * One step: read live state -> plan -> confirm -> record intent -> apply -> verify -> checkpoint.
 * Throws (after saving state) when the step fails or the operator aborts.
 */
export async function runStep(deps: EngineDeps, step: ResolvedStep): Promise<StepOutcome> {
  const type = deps.stepType(step.type);
  const prev = deps.state.steps[step.ref];
  const started = Date.now();
  deps.emit({ kind: 'step-start', ref: step.ref, title: step.title, type: step.type, group: step.group });
  const end = (status: StepEndStatus, message?: string, hint?: string) =>
    deps.emit({ kind: 'step-end', ref: step.ref, status, message, hint, durationMs: Date.now() - started });

  const timeoutMs = step.timeoutMs === undefined ? undefined : step.timeoutMs / deps.timeScale;
  const controller = new AbortController();
  const signal = AbortSignal.any([deps.signal, controller.signal]);
  const ctx = deps.contextFor(step, prev, signal);
  const timeout = new RunbookError('STEP_TIMEOUT', `${step.ref} did not finish within ${formatDuration(step.timeoutMs ?? 0)} (its timeout)`, {
    hint: 'The state was saved. Raise the step\'s `timeout:` in the runbook if this wait is expected, or look at why it hangs; then resume.',
  });
  const budget = stepBudget(timeoutMs, () => controller.abort(timeout));
  const left = () => budget.left();
  // The timeout aborts the step's signal, and whatever was waiting on it reports an interruption:
  // that is the timeout (a failure, not an operator's Ctrl-C), told in the runbook's own terms.
  const failure = (error: unknown): RunbookError => {
    const err = stepError(step, error);
    const expired = controller.signal.aborted || budget.expired();
    return (err.code === 'ABORTED' || err.code === 'STEP_TIMEOUT') && expired && !deps.signal.aborted ? timeout : err;
  };

  try {
    if (prev?.status === 'applied' && prev.digest !== step.digest && type.mutates) {
      deps.emit({ kind: 'step-warning', ref: step.ref, message: 'this step was edited in the runbook since it was applied' });
    }
    let change: Change<unknown>;
    try {
      const current = await guarded(type.read(ctx, step.params), deps.signal, `${step.ref} read`, left());
      change = type.plan(current, step.params);
    } catch (error) {
      const err = failure(error);
      if (deps.dryRun && err.code !== 'ABORTED') {
        end('would-fail', err.message, err.hint);
        return 'would-fail';
      }
      throw err;
    }

    if (change.noop) {
      // Sent by a run that was stopped (crash, Ctrl-C) or failed after it (timeout, health gate):
      // migrate made this change, so it stays undoable, and it is checked like a fresh apply.
      const unfinished = isUnfinished(prev?.status) || (prev?.status === 'failed' && prev.before !== undefined);
      if (type.mutates && prev && (prev.status === 'applied' || unfinished)) {
        if (unfinished && !deps.dryRun) {
          deps.emit({ kind: 'step-warning', ref: step.ref, message: `reconciled: the change of a ${prev.status === 'failed' ? 'failed' : 'stopped'} run had taken effect; verifying it` });
          try {
            await guarded(type.verify?.(ctx, step.params, change.current) ?? Promise.resolve(), deps.signal, `${step.ref} verify`, left());
            await runGates(deps, step, ctx);
          } catch (error) {
            const err = failure(error);
            record(deps, step, err.code === 'ABORTED' ? { status: 'interrupted' } : { status: 'failed', error: { code: err.code, message: err.message } });
            await save(deps);
            await deps.audit({ event: 'reconciled', step: step.ref, result: err.code === 'ABORTED' ? 'interrupted' : 'failed', detail: err.message });
            throw err;
          }
          record(deps, step, { status: 'applied', after: change.current });
          await save(deps);
          await deps.audit({ event: 'reconciled', step: step.ref, result: 'applied' });
        }
        end('already-applied', change.summary);
        return 'already-applied';
      }
      if (!deps.dryRun) {
        const orig = originalBefore(prev);
        record(deps, step, type.mutates ? { status: 'noop', before: orig.has ? orig.value : change.current, after: change.current } : { status: 'noop' });
        await save(deps);
      }
      end('noop', change.summary);
      return 'noop';
    }

    const diff = type.mutates ? diffLines(change.before, change.after) : [];
    deps.emit({ kind: 'step-planned', ref: step.ref, noop: false, summary: change.summary, diff });
    if (deps.dryRun) {
      end('would-change', change.summary);
      return 'would-change';
    }

    if (!type.mutates) {
      const after = await guarded(type.apply(ctx, change, step.params), deps.signal, `${step.ref}`, left());
      await guarded(type.verify?.(ctx, step.params, after) ?? Promise.resolve(), deps.signal, `${step.ref} verify`, left());
      record(deps, step, { status: 'applied' });
      await save(deps);
      end('applied', change.summary);
      return 'applied';
    }

    budget.pause();
    await confirmEnvironmentOnce(deps);
    const decision = await deps.prompter.confirmStep({ ref: step.ref, title: step.title, type: step.type, action: 'apply', summary: change.summary, diff });
    budget.resume();
    if (decision === 'abort') throw new RunbookError('ABORTED', `aborted by the operator at ${step.ref}`, { hint: `Nothing was changed by ${step.ref}. Resume later with --from ${step.id}.` });
    if (decision === 'skip') {
      record(deps, step, { status: 'skipped' });
      await save(deps);
      await deps.audit({ event: 'skipped', step: step.ref, result: 'skipped' });
      end('skipped', 'skipped by the operator');
      return 'skipped';
    }

    const orig = originalBefore(prev);
    const cp = record(deps, step, { status: 'applying', before: orig.has ? orig.value : change.before, after: change.after, by: ctx.operator });
    await save(deps);
    await deps.audit({ event: 'apply-start', step: step.ref, detail: change.summary });
    try {
      const after = await guarded(type.apply(ctx, change, step.params), deps.signal, step.ref, left());
      cp.after = after;
      await guarded(type.verify?.(ctx, step.params, after) ?? Promise.resolve(), deps.signal, `${step.ref} verify`, left());
      await runGates(deps, step, ctx);
    } catch (error) {
      const err = failure(error);
      // An interrupted apply is "interrupted", keeping its before and planned after: only live state
      // can tell whether it took effect, and the next run reconciles it like a crashed "applying".
      record(deps, step, err.code === 'ABORTED' ? { status: 'interrupted' } : { status: 'failed', error: { code: err.code, message: err.message } });
      await save(deps);
      await deps.audit({ event: 'apply-end', step: step.ref, result: err.code === 'ABORTED' ? 'interrupted' : 'failed', detail: err.message });
      throw err;
    }
    record(deps, step, { status: 'applied', after: cp.after });
    await save(deps);
    await deps.audit({ event: 'apply-end', step: step.ref, result: 'applied', detail: change.summary });
    end('applied', change.summary);
    return 'applied';
  } catch (error) {
    const err = failure(error);
    // A check or wait stopped by a signal says so in the state too (a change's own record is above).
    if (err.code === 'ABORTED' && deps.signal.aborted && !type.mutates && !deps.dryRun) {
      record(deps, step, { status: 'interrupted' });
      await save(deps).catch(() => undefined);
    }
    end(err.code === 'ABORTED' && deps.signal.aborted ? 'interrupted' : err.code === 'ABORTED' || err.code === 'NOT_CONFIRMED' ? 'skipped' : 'failed', err.message, err.hint);
    throw err;
  } finally {
    budget.clear();
  }
}
