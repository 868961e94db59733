import { RunbookError, messageOf } from '../errors.js';
import { describeAwsError } from '../aws/errors.js';
import type { ResolvedStep } from '../runbook/types.js';
import { IN_FLIGHT_STATUSES, type Change, type Checkpoint, type StepContext, type StepStatus, type StepType } from '../steps/types.js';
import { deepEqual } from '../util/json.js';
import type { EngineDeps } from './deps.js';
import type { StepEndStatus } from './events.js';
import { diffLines, threeWayLines } from './diff.js';
import { guarded } from './guard.js';
import { scaledTimeout, stepBudget } from './step-budget.js';
import type { PlannedState, Simulation, StepPrediction } from './simulation.js';
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
    return new RunbookError(error.code, `${step.ref} (${step.title}): ${error.message}`, {
      hint: error.hint,
      details: error.details,
      exitCode: error.exitCode,
      cause: error,
    });
  }
  const aws = describeAwsError(error);
  if (aws)
    return new RunbookError('AWS_ERROR', `${step.ref} (${step.title}): ${aws}`, {
      cause: error,
      hint: "AWS refused or failed the call after the SDK's retries; the state was saved.",
    });
  return new RunbookError('STEP_FAILED', `${step.ref} (${step.title}): ${messageOf(error)}`, { cause: error });
}

export async function save(deps: EngineDeps): Promise<void> {
  if (!deps.dryRun) await deps.store.save(deps.state);
}

function record(deps: EngineDeps, step: ResolvedStep, patch: Partial<Checkpoint> & { status: StepStatus }): Checkpoint {
  const prev = deps.state.steps[step.ref];
  const cp: Checkpoint = {
    ...(prev ?? {}),
    ref: step.ref,
    type: step.type,
    title: step.title,
    params: step.params,
    digest: step.digest,
    at: new Date().toISOString(),
    ...patch,
  } as Checkpoint;
  if (patch.status !== 'failed') delete cp.error;
  deps.state.steps[step.ref] = cp;
  return cp;
}

/**
 * Whether the change a checkpoint records may be live (applied, or stopped or failed part-way
 * either way): its before is then the pre-migration value that undo must restore, and is kept.
 */
export function mayBeLive(prev: Checkpoint | undefined): prev is Checkpoint & { before: unknown } {
  if (!prev || prev.before === undefined) return false;
  return prev.status === 'applied' || prev.status === 'failed' || IN_FLIGHT_STATUSES.includes(prev.status);
}

/** The pre-migration value survives retries and re-applies: undo must restore what was there first. */
function originalBefore(prev: Checkpoint | undefined): { has: boolean; value?: unknown } {
  return mayBeLive(prev) ? { has: true, value: prev.before } : { has: false };
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

export interface StepRunOptions {
  /** The whole-phase plan this step is part of. */
  sim?: Simulation | undefined;
  /** A live read started ahead of time (a dry run reads the phase's resources concurrently). */
  prefetched?: Promise<unknown> | undefined;
  /** --reapply: write again although the checkpoint says applied. */
  reapply?: boolean | undefined;
  /** The exact command that re-applies a drifted step, for the refusal's hint. */
  reapplyCommand?: ((step: ResolvedStep) => string) | undefined;
}

function describeApplied(cp: Checkpoint): string {
  return `applied ${cp.at}${cp.by ? ` by ${cp.by}` : ''}, still in place`;
}

/**
 * One step: read live state (or take what an earlier step of the phase leaves) -> reconcile a
 * checkpoint left in flight -> plan -> confirm -> record intent -> apply -> verify -> checkpoint.
 * Throws (after saving state) when the step fails or the operator aborts.
 */
export async function runStep(deps: EngineDeps, step: ResolvedStep, options: StepRunOptions = {}): Promise<StepOutcome> {
  const type = deps.stepType(step.type);
  let prev = deps.state.steps[step.ref];
  const sim = options.sim;
  const started = Date.now();
  deps.emit({ kind: 'step-start', ref: step.ref, title: step.title, type: step.type, group: step.group });
  let prediction: StepPrediction | undefined;
  const end = (status: StepEndStatus, message?: string, hint?: string) =>
    deps.emit({
      kind: 'step-end',
      ref: step.ref,
      status,
      message,
      hint,
      durationMs: Date.now() - started,
      ...(prediction ? { plan: prediction } : {}),
    });

  const timeoutMs = scaledTimeout(step.timeoutMs, deps.timeScale);
  const controller = new AbortController();
  const signal = AbortSignal.any([deps.signal, controller.signal]);
  const ctx = deps.contextFor(step, prev, signal);
  const timeout = new RunbookError(
    'STEP_TIMEOUT',
    `${step.ref} did not finish within ${formatDuration(step.timeoutMs ?? 0)} (its timeout)`,
    {
      hint: "The state was saved. Raise the step's `timeout:` in the runbook if this wait is expected, or look at why it hangs; then resume.",
    },
  );
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
    const edited = prev?.status === 'applied' && prev.digest !== step.digest && type.mutates;
    if (edited) deps.emit({ kind: 'step-warning', ref: step.ref, message: 'this step was edited in the runbook since it was applied' });

    let from: PlannedState;
    let change: Change<unknown> | undefined;
    try {
      // A dry run cannot write, so a later step on the same resource is planned against what the
      // earlier steps of the phase would leave, not against today's live value (DESIGN.md).
      const predicted = deps.dryRun ? sim?.predictedFor(step) : undefined;
      if (predicted) from = predicted;
      else {
        const live = await guarded(options.prefetched ?? type.read(ctx, step.params), deps.signal, `${step.ref} read`, left());
        from = { state: live, source: 'live' };
        const recorded = type.mutates ? sim?.lastApplied(step) : undefined;
        if (recorded && recorded.ref.split('.')[0] !== step.phase && sameState(type, live, recorded.after))
          from = { state: live, source: 'recorded', by: recorded.ref };
      }
      const current = from.state;

      // An undo that was stopped or failed: live state says whether it took effect. If it did, the
      // step is rolled back (its deploy or answer check finished as the undo would have); if not,
      // the change is still live and the checkpoint, before-state and all, stays as it is.
      if (type.mutates && prev?.status === 'undoing' && prev.before !== undefined && sameState(type, current, prev.before)) {
        if (!deps.dryRun) {
          const undoneCtx = deps.contextFor(step, { ...prev, status: 'applying', before: prev.after }, signal);
          await guarded(type.verify?.(undoneCtx, prev.params, current) ?? Promise.resolve(), deps.signal, `${step.ref} verify`, left());
          prev = record(deps, step, {
            status: 'rolled-back',
            rolledBackAt: new Date().toISOString(),
            params: prev.params,
            digest: prev.digest,
          });
          await save(deps);
          await deps.audit({
            event: 'reconciled',
            step: step.ref,
            result: 'rolled-back',
            detail: 'the undo of a stopped rollback had taken effect',
          });
        } else prev = { ...prev, status: 'rolled-back' };
        deps.emit({ kind: 'step-warning', ref: step.ref, message: 'reconciled: the undo of a stopped rollback had taken effect' });
      }

      // Applied and not edited: a re-run writes nothing while live state is what the runbook says
      // it should be now, unless an earlier step of this run changes the resource again. Live
      // state another applied step on the resource left (one re-applied since) is planned as usual.
      if (sim && type.mutates && prev?.status === 'applied' && !edited && !options.reapply && !sim.changedEarlier(step)) {
        const applied = sim.appliedOn(step);
        const last = applied.at(-1);
        if (sameState(type, current, prev.after) || (last && sameState(type, current, last.after))) {
          prediction = { before: current, after: current, source: from.source, by: from.by };
          sim.leaves(step, current, false);
          end('already-applied', describeApplied(prev));
          return 'already-applied';
        }
        if (!applied.some((cp) => cp.ref !== step.ref && sameState(type, current, cp.after))) {
          const lines = threeWayLines(prev.before, last?.after ?? prev.after, current);
          deps.emit({ kind: 'drift', ref: step.ref, lines });
          throw new RunbookError(
            'DRIFT',
            `${step.ref} was applied ${prev.at}${prev.by ? ` by ${prev.by}` : ''}, but its resource has changed since and no step of the runbook explains it`,
            {
              details: lines,
              hint: `Look at the difference above. To write the runbook's value again over it: ${options.reapplyCommand?.(step) ?? `migrate run ${step.phase} --only ${step.id} --reapply ${step.ref}`}`,
            },
          );
        }
      }
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
      prediction = type.mutates ? { before: change.current, after: change.current, source: from.source, by: from.by } : undefined;
      sim?.leaves(step, change.current, false);
      // Sent by a run that was stopped (crash, Ctrl-C) or failed after it (timeout, health gate),
      // or an undo that did not take effect: migrate made this change, so it stays undoable (its
      // original before kept), and it is checked like a fresh apply.
      const unfinished = mayBeLive(prev) && prev.status !== 'applied';
      if (type.mutates && prev && (prev.status === 'applied' || unfinished)) {
        if (unfinished && !deps.dryRun) {
          deps.emit({
            kind: 'step-warning',
            ref: step.ref,
            message: `reconciled: the change of a ${prev.status === 'failed' ? 'failed' : 'stopped'} ${prev.status === 'undoing' ? 'rollback is still live' : 'run had taken effect'}; verifying it`,
          });
          try {
            await guarded(type.verify?.(ctx, step.params, change.current) ?? Promise.resolve(), deps.signal, `${step.ref} verify`, left());
            await runGates(deps, step, ctx);
          } catch (error) {
            const err = failure(error);
            record(
              deps,
              step,
              err.code === 'ABORTED' ? { status: 'interrupted' } : { status: 'failed', error: { code: err.code, message: err.message } },
            );
            await save(deps);
            await deps.audit({
              event: 'reconciled',
              step: step.ref,
              result: err.code === 'ABORTED' ? 'interrupted' : 'failed',
              detail: err.message,
            });
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
        record(
          deps,
          step,
          type.mutates ? { status: 'noop', before: orig.has ? orig.value : change.current, after: change.current } : { status: 'noop' },
        );
        await save(deps);
      }
      end('noop', change.summary);
      return 'noop';
    }

    prediction = type.mutates ? { before: change.before, after: change.after, source: from.source, by: from.by } : undefined;
    const diff = type.mutates ? diffLines(change.before, change.after) : [];
    // A run's before is always live; a dry run says where each before comes from.
    deps.emit({
      kind: 'step-planned',
      ref: step.ref,
      noop: false,
      summary: change.summary,
      diff,
      ...(deps.dryRun && type.resources ? { source: from.source, by: from.by } : {}),
    });
    if (deps.dryRun) {
      sim?.leaves(step, change.after, true);
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
    const decision = await deps.prompter.confirmStep({
      ref: step.ref,
      title: step.title,
      type: step.type,
      action: 'apply',
      summary: change.summary,
      diff,
    });
    budget.resume();
    if (decision === 'abort')
      throw new RunbookError('ABORTED', `aborted by the operator at ${step.ref}`, {
        hint: `Nothing was changed by ${step.ref}. Resume later with the "to resume" command printed with the outcome.`,
      });
    if (decision === 'skip') {
      // A checkpoint whose change may be live stays what it is: it is what a rollback restores from.
      if (!mayBeLive(prev)) {
        record(deps, step, { status: 'skipped' });
        await save(deps);
      }
      sim?.leaves(step, change.before, false);
      await deps.audit({
        event: 'skipped',
        step: step.ref,
        result: 'skipped',
        detail: prev && mayBeLive(prev) ? `kept as ${prev.status}` : undefined,
      });
      end('skipped', 'skipped by the operator');
      return 'skipped';
    }

    const orig = originalBefore(prev);
    const cp = record(deps, step, {
      status: 'applying',
      before: orig.has ? orig.value : change.before,
      after: change.after,
      by: ctx.operator,
    });
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
      record(
        deps,
        step,
        err.code === 'ABORTED' ? { status: 'interrupted' } : { status: 'failed', error: { code: err.code, message: err.message } },
      );
      await save(deps);
      await deps.audit({
        event: 'apply-end',
        step: step.ref,
        result: err.code === 'ABORTED' ? 'interrupted' : 'failed',
        detail: err.message,
      });
      throw err;
    }
    record(deps, step, { status: 'applied', after: cp.after });
    sim?.leaves(step, cp.after, true);
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
    end(
      err.code === 'ABORTED' && deps.signal.aborted
        ? 'interrupted'
        : err.code === 'ABORTED' || err.code === 'NOT_CONFIRMED'
          ? 'skipped'
          : 'failed',
      err.message,
      err.hint,
    );
    throw err;
  } finally {
    budget.clear();
  }
}
