import { RunbookError } from '../errors.js';
import { runPhase } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { selectSteps } from '../engine/select.js';
import { PHASES, type PhaseName } from '../runbook/constants.js';
import type { ResolvedStep } from '../runbook/types.js';
import { getStepType } from '../steps/index.js';
import { accountCheckInFlight, checkAccountFirst, execute, type Executed } from './execute.js';
import type { Session } from './context.js';
import type { RunOptions } from './options.js';
import { refuseWithoutTty } from './render.js';
import { printJson } from './print.js';
import { globalFlags, runResume, shellWord } from './resume.js';

function phaseOf(name: string): PhaseName {
  if ((PHASES as readonly string[]).includes(name)) return name as PhaseName;
  throw new RunbookError('USAGE', `unknown phase "${name}"`, {
    hint: `Phases are: ${PHASES.join(', ')}. Rollbacks run with "migrate rollback N".`,
  });
}

function approvalsRequired(session: Session): number {
  return session.runbook.environments[session.env.name]?.approvals?.required ?? 0;
}

/** A phase from open to close; `migrate run`, `migrate plan` and `migrate rehearse` all come here. */
export function executePhase(phaseName: string, opts: RunOptions): Promise<Executed> {
  const phase = phaseOf(phaseName);
  const dryRun = !!opts.dryRun;
  const label = `${dryRun ? 'plan' : 'run'} ${phase}`;
  return execute(opts, { label, dryRun, yes: opts.yes, confirmEnv: opts.confirmEnv }, async (session, engineDeps) => {
    let deps = engineDeps;
    const required = dryRun ? 0 : approvalsRequired(session);
    if (required > 0 && !opts.plan) {
      await deps.audit({
        event: 'run-refused',
        step: `phase.${phase}`,
        result: 'no-approved-plan',
        detail: `env ${session.env.name} needs ${required} approval(s) of a saved plan`,
      });
      throw new RunbookError(
        'NOT_CONFIRMED',
        `env ${session.env.name} needs an approved plan: ${required} approval${required === 1 ? '' : 's'} by someone other than its author and its runner`,
        {
          hint: `Save the plan (migrate plan ${phase} --env ${session.env.name} --out ${phase}.plan), have a second person approve it (migrate approve ${phase}.plan), then: migrate run ${phase} --env ${session.env.name} --plan ${phase}.plan. --yes never replaces an approval.`,
        },
      );
    }
    const saved = opts.plan ? await (await import('./run-plan.js')).openSavedPlan(opts.plan, session, phase, opts) : undefined;
    const steps: ResolvedStep[] = saved
      ? saved.steps
      : selectSteps(session.resolved.phases[phase], { from: opts.from, only: opts.only }, phase);
    if (steps.length === 0) throw new RunbookError('USAGE', `phase "${phase}" has no steps`);
    for (const id of opts.reapply ?? []) {
      if (!steps.some((s) => s.ref === id || s.id === id)) {
        throw new RunbookError('USAGE', `--reapply ${id}: not a step of this run`, {
          hint: `The steps this run covers: ${steps.map((s) => s.ref).join(', ')}`,
        });
      }
    }
    if (!dryRun && steps.some((s) => getStepType(s.type)?.mutates)) refuseWithoutTty(`migrate run ${phase}`, opts.yes);
    // A run confirms the account before anything else; a plan reads alongside the check.
    const types = steps.map((s) => s.type);
    const ready = dryRun && !saved ? accountCheckInFlight(session, types) : undefined;
    if (!ready) await checkAccountFirst(session, types);
    if (saved) {
      await saved.checkBeforeRun(required, deps.audit);
      deps = saved.watch(deps);
    }
    if (!dryRun) deps = await (await import('./saved-plan.js')).withTimeLeft(deps, steps, opts, session);
    const flags = globalFlags(opts, session.env.name, Object.keys(session.runbook.environments).length);
    const all = PHASES.flatMap((name) => session.resolved.phases[name]);
    return runPhase(deps, steps, {
      command: `migrate ${label}`,
      // A saved plan resumes as it started: the same plan (what it already wrote is not stale).
      resumeCommand: (id, reapply) =>
        opts.plan
          ? `migrate run ${phase}${flags} --plan ${shellWord(opts.plan)}${reapply ? ` --reapply ${shellWord(reapply)}` : ''}`
          : runResume(phase, flags, { only: opts.only }, id, reapply),
      runbookSteps: all,
      reapply: opts.reapply,
      ready,
    });
  });
}

/**
 * Per step, what the plan predicts: its status, the before and after states, and where the before
 * came from ("live", "predicted" by an earlier step `by`, or "recorded" in `by`'s checkpoint).
 */
function planOf(events: EngineEvent[]): Array<Record<string, unknown>> {
  return events.flatMap((e) =>
    e.kind === 'step-end'
      ? [
          {
            ref: e.ref,
            status: e.status,
            ...(e.plan
              ? { before: e.plan.before, after: e.plan.after, source: e.plan.source, ...(e.plan.by ? { by: e.plan.by } : {}) }
              : {}),
            ...(e.message && e.status !== 'applied' ? { message: e.message } : {}),
          },
        ]
      : [],
  );
}

export async function runCommand(phaseName: string, opts: RunOptions): Promise<number> {
  if (opts.dryRun && opts.out) return (await import('./saved-plan.js')).savePlanCommand(phaseOf(phaseName), { ...opts, out: opts.out });
  const { result, events, env, loaded } = await executePhase(phaseName, opts);
  if (opts.dryRun && !opts.json) await (await import('./saved-plan.js')).printPlanTiming(opts, events, loaded);
  if (opts.json)
    printJson({
      command: `${opts.dryRun ? 'plan' : 'run'} ${phaseName}`,
      env,
      dryRun: !!opts.dryRun,
      ok: result.ok,
      summary: result.summary,
      plan: planOf(events),
      events,
    });
  if (result.error) throw result.error;
  return result.ok ? 0 : 1;
}
