import { hostname, userInfo } from 'node:os';
import { RunbookError } from '../errors.js';
import { createAwsSession, type AwsSession } from '../aws/clients.js';
import { createClock, timeScaleFromEnv } from '../engine/clock.js';
import type { EngineDeps } from '../engine/deps.js';
import type { EventSink } from '../engine/events.js';
import type { Prompter } from '../engine/prompter.js';
import { pickEnvironment } from '../runbook/environment.js';
import { loadRunbookFast } from '../runbook/fast.js';
import { resolveRunbookFast } from '../runbook/resolve-fast.js';
import { loadTerraformOutputs } from '../runbook/terraform.js';
import type { ResolvedRunbook, Runbook } from '../runbook/types.js';
import { openBackend, type AuditSink, type StateBackend, type StateChoice } from '../state/backend.js';
import type { HeldLock } from '../state/lock.js';
import type { StateFile, StateStore } from '../state/types.js';
import { onOutputClosed } from '../output/streams.js';
import { getStepType } from '../steps/index.js';
import { loadStepPlugins } from '../steps/plugins.js';
import type { Checkpoint, EnvironmentInfo, StepContext, StepType } from '../steps/types.js';
import type { GlobalOptions } from './options.js';
import { isInteractive } from './render.js';
import { placeEnvironment, runbookPath } from './locate.js';

export { runbookPath, stateRoot } from './locate.js';

export interface LoadedEnvironment {
  file: string;
  runbook: Runbook;
  env: EnvironmentInfo;
  envDir: string;
  /** Local folder or S3 (--state, MIGRATE_STATE, the environment's state:). */
  stateChoice: StateChoice;
}

export interface Loaded extends LoadedEnvironment {
  resolved: ResolvedRunbook;
}

/**
 * Runbook and environment without resolving step parameters: status, log and unlock must work
 * even when the shell lacks the ${env.X} a run needs.
 */
export async function loadEnvironment(opts: GlobalOptions, options: { cached?: boolean } = {}): Promise<LoadedEnvironment> {
  const file = runbookPath(opts);
  await loadStepPlugins();
  const runbook = await loadRunbookFast(file, options);
  const name = pickEnvironment(runbook, opts.env, process.env);
  return { file, runbook, ...placeEnvironment(opts, file, name, runbook.environments[name]!) };
}

/** The environment's state backend (opened lazily: S3's SDK loads only when it is used). */
export function backendFor(loaded: {
  runbook: { name: string };
  env: EnvironmentInfo;
  envDir: string;
  stateChoice: StateChoice;
}): Promise<StateBackend> {
  return openBackend({
    choice: loaded.stateChoice,
    envDir: loaded.envDir,
    runbook: loaded.runbook.name,
    env: loaded.env,
    timeScale: timeScaleFromEnv(),
  });
}

/** Runbook, environment and state directory: what every command but validate starts from. */
export async function loadForCommand(opts: GlobalOptions, options: { cached?: boolean } = {}): Promise<Loaded> {
  const loaded = await loadEnvironment(opts, options);
  const tf = await loadTerraformOutputs(loaded.runbook, loaded.env.name, { profile: loaded.env.profile });
  return { ...loaded, resolved: await resolveRunbookFast(loaded.runbook, loaded.env.name, process.env, tf) };
}

/** On a terminal, a profile whose role needs MFA asks for the code, as the AWS CLI does. */
export function mfaPrompt(): { mfaCodeProvider?: (serial: string) => Promise<string> } {
  if (!isInteractive()) return {};
  return { mfaCodeProvider: async (serial) => (await import('../output/mfa-prompt.js')).askMfaCode(serial) };
}

/** "as arn:aws:sts::…:assumed-role/Ops/jane · profile tis-prod": for the header of a run or plan. */
export function callerLine(aws: AwsSession): string | undefined {
  const profile = aws.profile.source === 'default' ? '' : `profile ${aws.profile.name}`;
  if (!aws.identity) return profile || undefined;
  return `as ${aws.identity.arn}${profile ? ` · ${profile}` : ''}`;
}

export function operatorName(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    user = process.env.USER ?? 'unknown';
  }
  return `${user}@${hostname()}`;
}

/** What stops a run cleanly: Ctrl-C, a kill or a pipeline's cancel, a closed terminal. */
export const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export interface Session extends Loaded {
  command: string;
  dryRun: boolean;
  state: StateFile;
  store: StateStore;
  audit: AuditSink;
  backend: StateBackend;
  aws: AwsSession;
  timeScale: number;
  signal: AbortSignal;
  lock?: HeldLock | undefined;
  /** Plan time each step spent in the clock's sleeps (TTL waits, wait steps): rehearsal timing scales these to real length. */
  waited: Map<string, number>;
  deps(prompter: Prompter, emit: EventSink): EngineDeps;
  /** The context a step (or a check) runs in: this session's AWS clients, clock and operator. */
  stepContext(previous: Checkpoint | undefined, signal: AbortSignal, progress: (message: string) => void): StepContext;
  close(): Promise<void>;
}

export function stepTypeOf(name: string): StepType {
  const type = getStepType(name);
  if (!type) throw new RunbookError('RUNBOOK_INVALID', `unknown step type "${name}"`);
  return type;
}

/**
 * Everything a run needs, opened in the order that keeps failures harmless: runbook (may be
 * invalid), lock (may be held), state (may be corrupt). SIGINT (Ctrl-C), SIGTERM and SIGHUP (the
 * terminal or SSH session closed) abort the run's signal: the step in flight is recorded as
 * interrupted, the lock released, exit 4. A second signal leaves at once (exit 130), still
 * releasing the lock. A run that changes things stops the same way when its stdout goes away.
 */
export async function openSession(
  opts: GlobalOptions,
  options: { command: string; dryRun: boolean; lock: boolean; signal?: AbortSignal | undefined },
): Promise<Session> {
  // A command that changes nothing may take the runbook as this build last validated it (the same bytes).
  const loaded = await loadForCommand(opts, { cached: options.dryRun });
  const timeScale = timeScaleFromEnv();
  const backend = await backendFor(loaded);
  const lock = options.lock && !options.dryRun ? await backend.acquireLock(options.command) : undefined;
  const controller = new AbortController();
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    interrupts += 1;
    if (interrupts === 1) {
      controller.abort(new RunbookError('ABORTED', `interrupted (${signal})`));
      return;
    }
    void (lock?.release() ?? Promise.resolve()).finally(() => process.exit(130));
  };
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  const offClosed = lock ? onOutputClosed((why) => controller.abort(new RunbookError('ABORTED', `interrupted (${why})`))) : undefined;
  const close = async () => {
    for (const name of STOP_SIGNALS) process.off(name, onSignal);
    offClosed?.();
    await lock?.release();
  };
  const signal = options.signal ? AbortSignal.any([controller.signal, options.signal]) : controller.signal;
  try {
    const store = backend.store(() => {
      if (lock?.lost)
        throw new RunbookError('LOCKED', `${lock.lost}; this run stopped writing`, {
          hint: `Check "migrate status --env ${loaded.env.name}" and "migrate log" to see who took it.`,
        });
    });
    const state = await store.load();
    const aws = createAwsSession({ env: loaded.env, dryRun: options.dryRun, timeScale, ...mfaPrompt() });
    const operator = operatorName();
    const audit = backend.audit(
      { user: operator, command: options.command, env: loaded.env.name, dryRun: options.dryRun },
      () => aws.identity?.arn,
    );
    const session: Session = {
      ...loaded,
      command: options.command,
      dryRun: options.dryRun,
      state,
      store,
      audit,
      backend,
      aws,
      timeScale,
      signal,
      lock,
      close,
      waited: new Map(),
      stepContext(previous, stepSignal, progress) {
        return {
          env: loaded.env,
          // A session that only reads reads alongside the account check (answers held until it passes).
          aws: options.dryRun ? aws.readAhead : aws,
          dryRun: options.dryRun,
          clock: createClock(timeScale, stepSignal, progress),
          signal: stepSignal,
          operator: aws.identity ? `${operator} (${aws.identity.arn})` : operator,
          previous,
          progress,
        };
      },
      deps(prompter, emit) {
        const checks: EngineDeps['checks'] = {};
        for (const [name, check] of Object.entries(loaded.resolved.checks)) checks[name] = { type: check.type, params: check.params };
        return {
          state,
          store,
          prompter,
          emit: (event) => emit(event.kind === 'run-start' ? { ...event, caller: callerLine(aws) } : event),
          audit: (event) => audit.append(event),
          stepType: stepTypeOf,
          checks,
          env: { name: loaded.env.name, protected: loaded.env.protected },
          dryRun: options.dryRun,
          timeScale,
          signal,
          readPass: (work) => aws.lookups.readPass(work),
          contextFor(step, previous, stepSignal): StepContext {
            const ctx = session.stepContext(previous, stepSignal, (message) => emit({ kind: 'step-progress', ref: step.ref, message }));
            const sleep = ctx.clock.sleep.bind(ctx.clock);
            const clock = {
              ...ctx.clock,
              sleep: (ms: number, label?: string) => {
                session.waited.set(step.ref, (session.waited.get(step.ref) ?? 0) + ms);
                return sleep(ms, label);
              },
            };
            return { ...ctx, clock };
          },
        };
      },
    };
    return session;
  } catch (error) {
    await close();
    throw error;
  }
}
