import { resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import { selectSteps } from '../engine/select.js';
import { plannedFromEvents, type PlanSource } from '../plan/collect.js';
import { runPhase } from '../engine/engine.js';
import { PHASES } from '../runbook/constants.js';
import { readEvidence } from '../plan/evidence.js';
import { buildPlanFile, readPlanFile, writePlanFile, type PlanFile } from '../plan/file.js';
import { planLines, timingLines } from '../plan/print.js';
import type { EngineEvent } from '../engine/events.js';
import type { EngineDeps } from '../engine/deps.js';
import { loadEnvironment } from './context.js';
import type { PhaseName } from '../runbook/schema.js';
import type { ResolvedStep } from '../runbook/types.js';
import { accountCheckInFlight } from './execute.js';
import { openSession, operatorName, stateRoot, stepTypeOf, type Session } from './context.js';
import type { RunOptions } from './options.js';
import { printJson } from './print.js';
import { formatDuration } from '../util/duration.js';

export function planSource(session: Session): PlanSource {
  return {
    stepType: stepTypeOf,
    previous: (ref) => session.state.steps[ref],
    context: (_step, previous) => session.stepContext(previous, session.signal, () => undefined),
    signal: session.signal,
    readPass: (work) => session.aws.lookups.readPass(work),
  };
}

/** `migrate plan <phase> --out FILE`: the plan, read-only, written down with where it came from. */
export async function savePlanCommand(phase: PhaseName, opts: RunOptions & { out: string }): Promise<number> {
  const session = await openSession(opts, { command: `plan ${phase} --out`, dryRun: true, lock: false });
  try {
    const steps: ResolvedStep[] = selectSteps(session.resolved.phases[phase], { from: opts.from, only: opts.only }, phase);
    if (steps.length === 0) throw new RunbookError('USAGE', `phase "${phase}" has no steps`);
    const ready = accountCheckInFlight(
      session,
      steps.map((s) => s.type),
    );
    // The whole-phase simulation, as `migrate plan` runs it, with its events kept instead of printed.
    const events: EngineEvent[] = [];
    const refuse = async (): Promise<never> => {
      throw new RunbookError('STEP_FAILED', 'internal: a plan asked for a confirmation');
    };
    const deps = session.deps({ confirmStep: refuse, confirmEnvironment: refuse }, (event) => events.push(event));
    await runPhase(deps, steps, {
      command: `migrate plan ${phase}`,
      resumeCommand: () => '',
      runbookSteps: PHASES.flatMap((name) => session.resolved.phases[name]),
      ready,
    });
    const planned = plannedFromEvents(events, (type) => stepTypeOf(type).mutates);
    const evidence = await readEvidence(stateRoot(opts, session.file), session.runbook.name);
    const plan = buildPlanFile({
      runbook: { name: session.runbook.name, file: session.file, digest: session.runbook.digest },
      env: { name: session.env.name, account: session.env.account, region: session.env.region },
      phase,
      planned,
      author: { user: operatorName(), identity: session.aws.identity?.arn ?? null },
      evidence,
    });
    const file = resolve(opts.out);
    const digest = await writePlanFile(file, plan);
    await session.audit.append({
      event: 'plan-saved',
      step: `phase.${phase}`,
      result: 'saved',
      planDigest: digest,
      phase,
      file,
      steps: plan.steps.map((s) => s.ref),
    });
    if (opts.json) printJson({ file, digest, plan });
    else {
      for (const line of planLines(plan, digest, { file })) process.stdout.write(`${line}\n`);
      process.stdout.write(
        `plan saved to ${file}\n  digest ${digest}\n  apply exactly this plan with: migrate run ${phase} --env ${plan.env.name} --plan ${opts.out}\n`,
      );
    }
    return plan.steps.some((s) => s.outcome === 'would-fail') ? 1 : 0;
  } finally {
    await session.close();
  }
}

/** `migrate show FILE`. */
export async function showCommand(file: string, opts: { json?: boolean | undefined }): Promise<number> {
  const { plan, digest } = await readPlanFile(file);
  if (opts.json) printJson({ file: resolve(file), digest, plan });
  else for (const line of planLines(plan, digest, { file })) process.stdout.write(`${line}\n`);
  return 0;
}

export type { PlanFile };

/** After a printed plan: how long the phase should take, from the last rehearsal of this runbook. */
export async function printPlanTiming(
  opts: RunOptions,
  events: EngineEvent[],
  given?: Pick<Session, 'file' | 'runbook' | 'env'>,
): Promise<void> {
  const start = events.find((e) => e.kind === 'run-start');
  if (start?.kind !== 'run-start') return;
  // The plan's own runbook: parsing and validating it again cost as much as its reads.
  const loaded = given ?? (await loadEnvironment(opts));
  const evidence = await readEvidence(stateRoot(opts, loaded.file), loaded.runbook.name);
  // Without a rehearsal the plan prints as it always has.
  if (!evidence) return;
  const planned = start.refs.map((ref) => ({ ref, id: ref, title: '', type: '', mutates: false, change: { noop: true as const } }));
  const plan = buildPlanFile({
    runbook: { name: loaded.runbook.name, file: loaded.file, digest: loaded.runbook.digest },
    env: { ...loaded.env },
    phase: '',
    planned,
    author: { user: '', identity: null },
    evidence,
  });
  const per = plan.steps.filter((s) => s.expectedMs !== undefined).map((s) => `${s.ref} ${formatDuration(s.expectedMs!)}`);
  if (per.length) process.stdout.write(`expected per step: ${per.join(', ')}\n`);
  for (const line of timingLines(plan, Date.now())) process.stdout.write(`${line}\n`);
}

/**
 * During a run, each step's start says how long the rest of the phase should take, from the last
 * rehearsal of this runbook; nothing changes when there is none.
 */
export async function withTimeLeft(deps: EngineDeps, steps: ResolvedStep[], opts: RunOptions, session: Session): Promise<EngineDeps> {
  const evidence = await readEvidence(stateRoot(opts, session.file), session.runbook.name);
  if (!evidence) return deps;
  const left = new Map<string, number>();
  let sum = 0;
  for (const step of [...steps].reverse()) {
    sum += evidence.steps[step.ref]?.expectedMs ?? 0;
    left.set(step.ref, sum);
  }
  const note = evidence.runbookDigest === session.runbook.digest ? 'as rehearsed' : 'as rehearsed with an earlier runbook';
  const emit = deps.emit;
  return {
    ...deps,
    emit(event) {
      emit(event);
      if (event.kind === 'step-start' && left.has(event.ref))
        emit({
          kind: 'step-progress',
          ref: event.ref,
          message: `expected time left for the phase: ${formatDuration(left.get(event.ref)!)} (${note})`,
        });
    },
  };
}
