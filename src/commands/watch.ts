import { runCommand } from '../notify/index.js';
import { ExitCode, RunbookError } from '../errors.js';
import { TtyPrompter } from '../output/tty-prompter.js';
import { plainWatchView, ttyWatchView, type WatchRenderer } from '../output/watch-view.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import { runWatch } from '../watch/loop.js';
import type { TriggerStatus } from '../watch/triggers.js';
import type { DueContext, DueDecision, WatchEvent, WatchOutcome, WatchSink } from '../watch/types.js';
import { describeCost } from '../rollback/cost.js';
import type { NotifyMessage } from '../notify/index.js';
import { notifyHook } from './notify.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';
import { isInteractive } from './render.js';
import { openWatchSession } from './watch-session.js';

export interface WatchCommandOptions extends GlobalOptions {
  autoRollback?: boolean | undefined;
  for?: string | undefined;
  notifyCommand?: string | undefined;
  yes?: boolean | undefined;
  confirmEnv?: string | undefined;
  maxAutoRollbacks?: string | undefined;
}

/** A notify command that hangs must not hold the watch up. */
const NOTIFY_TIMEOUT_MS = 30_000;

function parseFor(text: string): number {
  try {
    return parseDuration(text);
  } catch {
    throw new RunbookError('USAGE', `--for ${text} is not a duration`, {
      hint: 'For example --for 2h or --for 90m (plan time: divided by MIGRATE_TIME_SCALE, like the trigger windows).',
    });
  }
}

export async function watchCommand(opts: WatchCommandOptions): Promise<number> {
  const forMs = opts.for === undefined ? undefined : parseFor(opts.for);
  const autoRollback = !!opts.autoRollback;
  const maxAutoRollbacks = opts.maxAutoRollbacks === undefined ? 1 : Number(opts.maxAutoRollbacks);
  if (!Number.isInteger(maxAutoRollbacks) || maxAutoRollbacks < 0)
    throw new RunbookError('USAGE', `--max-auto-rollbacks ${opts.maxAutoRollbacks} is not a whole number`, {
      hint: 'For example --max-auto-rollbacks 2 (1 by default: after one automatic rollback the watch only alerts).',
    });
  const session = await openWatchSession(opts);
  try {
    const env = session.env.name;
    if (autoRollback && session.env.protected && opts.confirmEnv !== env) {
      throw new RunbookError('USAGE', `environment "${env}" is protected: --auto-rollback there needs --confirm-env ${env}`, {
        hint: `migrate watch --env ${env} --auto-rollback --yes --confirm-env ${env}   (or watch without --auto-rollback: it alerts and changes nothing)`,
      });
    }
    if (opts.confirmEnv !== undefined && opts.confirmEnv !== env) {
      throw new RunbookError('USAGE', `--confirm-env ${opts.confirmEnv} does not name the environment being watched ("${env}")`);
    }
    if (autoRollback) {
      await confirmAutoRollback(
        opts,
        session.resolved.rollback
          .filter((r) => r.trigger)
          .map(
            (r) =>
              `rollback ${r.id} after ${r.trigger?.check} ${r.trigger?.failures ? `fails ${r.trigger.failures.count} of ${r.trigger.failures.of ?? formatDuration(r.trigger.failures.withinMs ?? 0)}` : `fails ${formatDuration(r.trigger?.failingForMs ?? 0)}`}`,
          ),
      );
      // The wrong account should stop the watch now, not when a rollback is due.
      await session.verifyAccount();
    }

    const stream = opts.json ? process.stderr : process.stdout;
    const renderer: WatchRenderer = stream.isTTY && !opts.json ? ttyWatchView(stream) : plainWatchView((line) => stream.write(`${line}\n`));
    const hook = notifyHook(session.resolved.runbook, env, (line) => renderer.print([line]));
    const emit: WatchSink = hook
      ? (event) => {
          renderer.sink(event);
          const message = watchMessage(event, env);
          if (message) hook.send(message);
        }
      : renderer.sink;
    const outcome = await runWatch({
      session,
      autoRollback,
      confirmEnv: opts.confirmEnv,
      forMs,
      signal: session.signal,
      emit,
      rollbackEmit: renderer.rollbackEmit,
      maxAutoRollbacks,
      onDue: (trigger, context) => onDue(trigger, { ...context, env, opts, renderer }),
      onInconclusive: async (trigger, context) => {
        if (!opts.notifyCommand) return;
        const problem = await runNotify(opts.notifyCommand, {
          ...notifyVars(trigger, env, context.command),
          MIGRATE_WATCH_ACTION: 'inconclusive',
        });
        if (problem) renderer.print([`! --notify-command ${problem}`]);
      },
    });
    await hook?.flush();
    if (opts.json) printJson(jsonOf(env, outcome));
    return exitCodeOf(outcome);
  } finally {
    await session.close();
  }
}

/** What the team hears from a watch: a trigger due, a rollback fired or done, a trigger inconclusive. */
function watchMessage(event: WatchEvent, env: string): NotifyMessage | undefined {
  const vars = (t: TriggerStatus) => ({ MIGRATE_ROLLBACK_ID: t.rollback, MIGRATE_CHECK: t.check });
  switch (event.kind) {
    case 'trigger-due': {
      const t = event.trigger;
      const what = event.autoRollback ? 'the watch runs it now' : event.held ? `held: ${event.held}` : `run: ${event.command}`;
      const cost = event.cost ? `; ${describeCost(t.rollback, event.cost)}` : '';
      return {
        event: 'trigger-due',
        env,
        vars: vars(t),
        text: `[${env}] rollback ${t.rollback} is due: ${t.check} failing since ${new Date(t.failingSince ?? Date.now()).toISOString()}${cost}; ${what}`,
      };
    }
    case 'trigger-inconclusive':
      return {
        event: 'trigger-inconclusive',
        env,
        vars: vars(event.trigger),
        text: `[${env}] rollback ${event.trigger.rollback} is INCONCLUSIVE: ${event.trigger.check} could not be probed ${event.trigger.errorsInARow} times in a row; a person must judge (${event.command})`,
      };
    case 'rollback-start':
      return {
        event: 'rollback-fired',
        env,
        vars: vars(event.trigger),
        text: `[${env}] rollback ${event.trigger.rollback} started by the watch (${event.how === 'auto' ? 'auto-rollback' : 'confirmed'}): ${event.trigger.title}`,
      };
    case 'rollback-end':
      return {
        event: 'rollback-done',
        env,
        vars: vars(event.trigger),
        text: `[${env}] rollback ${event.fired.rollback} ${event.fired.result === 'ok' ? 'done' : `ended: ${event.fired.result}${event.error ? ` (${event.error.message})` : ''}`}`,
      };
    default:
      return undefined;
  }
}

/** Auto-rollback changes things unattended: like a mutating run, it needs a terminal's yes or --yes. */
async function confirmAutoRollback(opts: WatchCommandOptions, triggers: string[]): Promise<void> {
  if (opts.yes) return;
  if (!isInteractive()) {
    throw new RunbookError('NO_TTY', '--auto-rollback would run rollbacks unattended, but there is no terminal to confirm that', {
      hint: 'Pass --yes to arm it (e.g. in a pipeline), or watch without --auto-rollback: it alerts and changes nothing.',
    });
  }
  const { confirm } = await import('@inquirer/prompts');
  let ok = false;
  try {
    ok = await confirm({
      message: `Auto-rollback: this watch will run, by itself, ${triggers.join('; ') || 'no rollback (the runbook has no triggers)'}. Arm it?`,
      default: false,
    });
  } catch {
    ok = false;
  }
  if (!ok)
    throw new RunbookError('NOT_CONFIRMED', 'auto-rollback was not confirmed', {
      hint: 'Watch without --auto-rollback to be alerted instead.',
    });
}

async function onDue(
  trigger: TriggerStatus,
  context: DueContext & { env: string; opts: WatchCommandOptions; renderer: WatchRenderer },
): Promise<DueDecision> {
  const { opts, renderer } = context;
  if (opts.notifyCommand) {
    const problem = await runNotify(opts.notifyCommand, {
      ...notifyVars(trigger, context.env, context.command),
      MIGRATE_WATCH_ACTION: context.autoRollback ? 'auto-rollback' : context.held ? 'held' : 'alert',
      ...(context.cost?.value != null ? { MIGRATE_ROLLBACK_COST: String(context.cost.value) } : {}),
    });
    if (problem) renderer.print([`! --notify-command ${problem}`]);
  }
  // Held (past its point of no return, or the auto-rollback budget spent): a person decides, by hand.
  if (context.autoRollback || context.held || !isInteractive() || context.signal.aborted) return { run: false };
  const { confirm } = await import('@inquirer/prompts');
  renderer.pause();
  try {
    const yes = await confirm({ message: `Run rollback ${trigger.rollback} now?`, default: false }, { signal: context.signal });
    return yes ? { run: true, prompter: new TtyPrompter() } : { run: false };
  } catch {
    return { run: false };
  } finally {
    renderer.resume();
  }
}

function notifyVars(trigger: TriggerStatus, env: string, command: string): Record<string, string> {
  return {
    MIGRATE_ROLLBACK_ID: trigger.rollback,
    MIGRATE_ROLLBACK_TITLE: trigger.title,
    MIGRATE_CHECK: trigger.check,
    MIGRATE_FAILING_SINCE: new Date(trigger.failingSince ?? trigger.inconclusiveSince ?? Date.now()).toISOString(),
    MIGRATE_ENV: env,
    MIGRATE_COMMAND: command,
  };
}

/** Runs the operator's --notify-command (its own process group, killed whole on timeout). */
function runNotify(command: string, vars: Record<string, string>): Promise<string | undefined> {
  return runCommand(command, vars, NOTIFY_TIMEOUT_MS);
}

/** 0 unless a rollback the watch ran did not finish: drift 5, interrupted 4, failed 1. */
export function exitCodeOf(outcome: WatchOutcome): number {
  const results = outcome.fired.map((f) => f.result);
  if (results.includes('drift')) return ExitCode.drift;
  if (results.includes('failed')) return ExitCode.stepFailed;
  if (results.includes('aborted')) return ExitCode.aborted;
  return ExitCode.ok;
}

/** One document when the watch ends: each check's last outcome and each trigger's state. */
function jsonOf(env: string, outcome: WatchOutcome) {
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const last = (r: WatchOutcome['view']['checks'][string]) =>
    r.outcome === 'inactive'
      ? 'inactive'
      : r.outcome === 'missing'
        ? 'error'
        : (r.outcome ?? (r.ok === true ? 'success' : r.ok === false ? 'failure' : null));
  return {
    env,
    reason: outcome.reason,
    timeScale: outcome.view.timeScale,
    checks: Object.fromEntries(
      Object.entries(outcome.view.checks).map(([name, r]) => [
        name,
        {
          outcome: last(r),
          noData: r.outcome === 'missing' || undefined,
          ok: r.ok,
          failingSince: iso(r.failingSince),
          lastCheckedAt: iso(r.lastCheckedAt),
          detail: r.detail ?? null,
        },
      ]),
    ),
    triggers: outcome.view.triggers.map((t) => ({
      rollback: t.rollback,
      check: t.check,
      state: t.state,
      armed: t.armed,
      failingSince: iso(t.failingSince),
      dueAt: iso(t.dueAt),
      errorsInARow: t.errorsInARow,
      ...(t.failures ? { failures: { seen: t.failuresSeen ?? 0, needed: t.failures.count } } : {}),
      firedAt: iso(t.firedAt),
      rolledBackAt: t.rolledBackAt ?? null,
    })),
    due: outcome.due.map((d) => ({
      rollback: d.rollback,
      check: d.check,
      failingSince: iso(d.failingSince),
      at: iso(d.at),
      held: d.held ?? null,
    })),
    inconclusive: outcome.inconclusive.map((d) => ({ rollback: d.rollback, check: d.check, since: iso(d.since), at: iso(d.at) })),
    fired: outcome.fired.map((f) => ({
      rollback: f.rollback,
      check: f.check,
      how: f.how,
      result: f.result,
      failingSince: iso(f.failingSince),
      startedAt: iso(f.startedAt),
      endedAt: iso(f.endedAt),
      error: f.error ?? null,
    })),
  };
}
