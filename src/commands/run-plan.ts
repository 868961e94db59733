import { relative } from 'node:path';
import { ExitCode, RunbookError } from '../errors.js';
import { diffLines } from '../engine/diff.js';
import type { PhaseName } from '../runbook/schema.js';
import type { ResolvedStep } from '../runbook/types.js';
import { approvalsOf, countApprovals } from '../plan/approvals.js';
import { staleError, staleSteps } from '../plan/collect.js';
import { readPlanFile, type PlanFile, type PlannedStep } from '../plan/file.js';
import { redact } from '../plan/fingerprint.js';
import type { EngineDeps } from '../engine/deps.js';
import { sameState } from '../engine/step-runner.js';
import type { StepType } from '../steps/types.js';
import type { Session } from './context.js';
import type { RunOptions } from './options.js';
import { planSource } from './saved-plan.js';

export interface OpenedPlan {
  plan: PlanFile;
  digest: string;
  /** Exactly the plan's steps, resolved from today's (identical) runbook. */
  steps: ResolvedStep[];
  /** After the account check, before the first step: approvals, then every fingerprint against live state. */
  checkBeforeRun(
    required: number,
    audit: (event: { event: string; step?: string; result?: string; detail?: string; [key: string]: unknown }) => Promise<void>,
  ): Promise<void>;
  /** The engine's deps, with every planned step's run-time change compared with the plan's. */
  watch(deps: EngineDeps): EngineDeps;
}

/**
 * `run <phase> --plan FILE`: the plan must be for this environment, phase and runbook (byte for
 * byte); the run applies its steps and no other.
 */
export async function openSavedPlan(file: string, session: Session, phase: PhaseName, opts: RunOptions): Promise<OpenedPlan> {
  if (opts.from || opts.only)
    throw new RunbookError('USAGE', '--plan applies exactly the saved plan: --from and --only cannot narrow it', {
      hint: `Save a plan of just those steps: migrate plan ${phase} --only <id> --out FILE`,
    });
  const { plan, digest } = await readPlanFile(file);
  const replan = `migrate plan ${phase} --env ${session.env.name} --out ${file}`;
  if (plan.env.name !== session.env.name || plan.phase !== phase) {
    throw new RunbookError(
      'USAGE',
      `${file} is a plan of "${plan.phase}" for env ${plan.env.name}, not of "${phase}" for env ${session.env.name}`,
      { hint: `Run it as: migrate run ${plan.phase} --env ${plan.env.name} --plan ${file}` },
    );
  }
  if (plan.runbook.digest !== session.runbook.digest) {
    throw staleError(
      file,
      `the runbook changed since it was planned`,
      [
        `runbook:`,
        `    planned against: ${plan.runbook.file} sha256 ${plan.runbook.digest.slice(0, 16)} at ${plan.createdAt}`,
        `    now:             ${relative(process.cwd(), session.file) || session.file} sha256 ${session.runbook.digest.slice(0, 16)}`,
      ],
      replan,
    );
  }
  const byRef = new Map(session.resolved.phases[phase].map((s) => [s.ref, s]));
  const steps = plan.steps.map((p) => byRef.get(p.ref));
  if (steps.some((s) => !s)) throw staleError(file, 'it names steps the runbook no longer has', [], replan);

  return {
    plan,
    digest,
    steps: steps as ResolvedStep[],
    watch(deps) {
      const byParams = new WeakMap<object, PlannedStep>();
      steps.forEach((step, i) => {
        if (step?.params && typeof step.params === 'object') byParams.set(step.params as object, plan.steps[i]!);
      });
      const wrapped = new Map<string, StepType>();
      return {
        ...deps,
        stepType(name) {
          const inner = deps.stepType(name);
          // Inherits rather than copies: a copy would read every getter, and the built-in step
          // types build their parameter schemas (and load zod) only when one is asked for.
          if (!wrapped.has(name))
            wrapped.set(
              name,
              Object.assign(Object.create(inner) as StepType, {
                plan: (current: unknown, p: unknown) =>
                  checkDeviation(deps, inner, inner.plan(current, p), byParams.get(p as object), digest),
              }),
            );
          return wrapped.get(name)!;
        },
      };
    },
    async checkBeforeRun(required, audit) {
      if (required > 0) {
        const runner = (await session.aws.ensureIdentity()).arn;
        const given = approvalsOf(await session.backend.readAudit(), digest);
        const { counted, ignored } = countApprovals(given, plan, runner);
        if (counted.length < required) {
          await audit({
            event: 'run-refused',
            step: `phase.${phase}`,
            result: 'not-approved',
            planDigest: digest,
            detail: `${counted.length} of ${required} approvals`,
          });
          throw new RunbookError(
            'NOT_CONFIRMED',
            `the plan ${file} has ${counted.length} of the ${required} approval${required === 1 ? '' : 's'} env ${session.env.name} needs`,
            {
              details: [
                `plan digest ${digest}`,
                ...ignored.map((i) => `not counted: ${i.approval.identity} at ${i.approval.time} (${i.why})`),
              ],
              hint: `A second person (another AWS identity than the author's and yours) approves it with: migrate approve ${file} --env ${session.env.name}. --yes never replaces an approval.`,
            },
          );
        }
        await audit({
          event: 'approval-checked',
          step: `phase.${phase}`,
          result: 'approved',
          planDigest: digest,
          detail: counted.map((a) => a.identity).join(', '),
        });
      }
      // A step a run of this plan already wrote (a resumed run, after a failure or an interrupt) is
      // explained by its checkpoint, not stale: the engine reconciles it from live state.
      const applied = (ref: string) => {
        const cp = session.state.steps[ref];
        return !!cp && ['applied', 'applying', 'failed'].includes(cp.status) && cp.at > plan.createdAt;
      };
      const stale = await staleSteps(
        planSource(session),
        plan.steps.filter((p) => !applied(p.ref)),
        session.resolved.phases[phase],
      );
      if (stale.length) {
        await audit({
          event: 'plan-stale',
          step: `phase.${phase}`,
          result: 'refused',
          planDigest: digest,
          detail: stale.map((s) => s.ref).join(' '),
        });
        throw staleError(
          file,
          `live state changed since it was planned (${stale.map((s) => s.ref).join(', ')})`,
          stale.flatMap((s) => [`${s.ref}:`, ...s.lines.map((l) => `  ${l}`)]),
          replan,
        );
      }
      await audit({
        event: 'run-plan',
        step: `phase.${phase}`,
        result: 'fresh',
        planDigest: digest,
        detail: plan.steps.map((s) => s.ref).join(' '),
      });
    },
  };
}

/**
 * A step whose change at run time is not the one the plan showed. The fingerprints matched and the
 * simulation threads each step's predicted state into the next on the same resource, so this means
 * the plan no longer says what the run does: the step is refused before it writes (exit 5), after
 * the steps before it, which did what the plan said.
 */
function checkDeviation<C extends { noop: boolean }>(
  deps: EngineDeps,
  type: StepType,
  change: C,
  planned: PlannedStep | undefined,
  digest: string,
): C {
  if (!planned || !type.mutates) return change;
  const now = change as unknown as { noop: boolean; after?: unknown; summary?: string };
  const deviates =
    planned.outcome === 'noop'
      ? !now.noop
      : planned.outcome === 'change' && !now.noop && !sameState(type, redact(now.after), planned.after);
  if (!deviates) return change;
  const message =
    planned.outcome === 'noop'
      ? `the saved plan predicted no change for ${planned.ref}; the run would: ${now.summary ?? ''}`
      : `the saved plan predicted another after-state for ${planned.ref}`;
  void deps.audit({ event: 'plan-deviation', step: planned.ref, result: 'refused', planDigest: digest, detail: message } as Parameters<
    EngineDeps['audit']
  >[0]);
  throw new RunbookError('STEP_FAILED', `${message}: stopped before writing it`, {
    exitCode: ExitCode.drift,
    details: planned.outcome === 'change' ? diffLines(planned.after, redact(now.after)).map((l) => `planned after -> now: ${l}`) : [],
    hint: 'The steps before it did what the plan said. Review what changed, then plan the rest of the phase again and have it approved.',
  });
}
