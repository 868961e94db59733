import { hostname } from 'node:os';
import { RunbookError, messageOf } from '../errors.js';
import type { EventSink } from '../engine/events.js';
import { AutoApprovePrompter, type Prompter } from '../engine/prompter.js';
import { formatDuration } from '../util/duration.js';
import { appliedRollbacks, armedRollbacks, inactiveTriggers, windowActive } from './armed.js';
import { describeCost, overCost, sinceTime, type RollbackCost } from '../rollback/cost.js';
import type { Checkpoint } from '../steps/types.js';
import { runCheck } from './check.js';
import { HEARTBEAT_STALE_MS } from './report.js';
import { WatchStore, watcherRunning, type Watcher } from './store.js';
import {
  emptyRecords,
  evaluateTriggers,
  markFired,
  recordInactive,
  recordResult,
  restartedRecords,
  settleFired,
  triggersOf,
  type CheckResult,
  type FireResult,
  type TriggerStatus,
  type WatchRecords,
} from './triggers.js';
import type {
  AuditInput,
  DueContext,
  DueDecision,
  FiredRollback,
  WatchEndReason,
  WatchOutcome,
  WatchSession,
  WatchSink,
  WatchView,
} from './types.js';
import { delay } from '../engine/clock.js';

/** How often (real time) due triggers are looked at and the view refreshed. */
const TICK_MS = 200;
/** No check is run more often than this (real time), whatever the scale. */
const MIN_POLL_GAP_MS = 20;
/** watch.json is rewritten at least this often (real time) while the watch runs: the heartbeat. */
export const HEARTBEAT_MS = 1000;
/** A failure seen within this much plan time of the last recorded result continues its episode. */
export const RESUME_WITHIN_PLAN_MS = 60 * 60_000;

export interface WatchOptions {
  session: WatchSession;
  /** Run a due trigger's rollback unattended (lock, drift check, audit, as `migrate rollback N --yes`). */
  autoRollback: boolean;
  /** A protected environment's name, for auto-rollback there (as --confirm-env). */
  confirmEnv?: string | undefined;
  /** End after this much plan time (divided by the time scale). */
  forMs?: number | undefined;
  /** End as soon as this holds; looked at every tick. */
  until?: ((view: WatchView) => boolean) | undefined;
  /** Ends the watch; also interrupts a rollback it runs, like Ctrl-C. */
  signal?: AbortSignal | undefined;
  emit?: WatchSink | undefined;
  /** Engine events of the rollbacks the watch runs. */
  rollbackEmit?: EventSink | undefined;
  /**
   * Called once per failing episode when a trigger comes due (notify, prompt). Without
   * autoRollback, `{ run: true, prompter }` runs the rollback now with that prompter.
   */
  onDue?: ((trigger: TriggerStatus, context: DueContext) => Promise<DueDecision | undefined>) | undefined;
  /** Called once per run of probe errors that makes a trigger inconclusive (notify the humans). */
  onInconclusive?: ((trigger: TriggerStatus, context: { command: string }) => Promise<void>) | undefined;
  /** After a rollback the watch ran ended (notify). */
  onRollbackEnd?: ((fired: FiredRollback) => Promise<void>) | undefined;
  /** Rollbacks --auto-rollback may run in this watch (1 unless --max-auto-rollbacks): after that it alerts. */
  maxAutoRollbacks?: number | undefined;
  now?: (() => number) | undefined;
}

/**
 * The watch: every check polled at its interval (scaled), failing episodes recorded in
 * watch.json, and each trigger acted on once per episode when its window has passed. It holds the
 * environment's lock only while it runs a rollback.
 */
export async function runWatch(options: WatchOptions): Promise<WatchOutcome> {
  const { session, autoRollback } = options;
  const now = options.now ?? Date.now;
  const scale = session.timeScale;
  const emit: WatchSink = options.emit ?? (() => undefined);
  const checkNames = Object.keys(session.resolved.checks);
  const triggers = triggersOf(session.resolved.rollback);
  const store = new WatchStore(session.documents ?? session.envDir);
  const warnings: string[] = [];

  const saved = await store.load();
  let records: WatchRecords = emptyRecords();
  if (saved.kind === 'unreadable') warnings.push(`${saved.reason}; starting without its failing-since times (it will be rewritten)`);
  if (saved.kind === 'ok') {
    const other = saved.file.watcher;
    if (other && other.pid !== process.pid && watcherRunning(other, now(), HEARTBEAT_STALE_MS)) {
      throw new RunbookError(
        'LOCKED',
        `a watch is already running for "${session.env.name}": pid ${other.pid} on ${other.host}, since ${other.since}`,
        {
          hint: 'Stop that watch first (Ctrl-C in its terminal); two watches would both act on every trigger.',
        },
      );
    }
    if (saved.file.runbook === session.resolved.runbook.name && saved.file.env === session.env.name)
      records = restartedRecords(saved.file.records, checkNames);
  }

  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal;
  const startedAt = now();
  const watcher: Watcher = {
    pid: process.pid,
    host: hostname(),
    since: new Date(startedAt).toISOString(),
    autoRollback,
    heartbeat: new Date(startedAt).toISOString(),
  };
  const fired: FiredRollback[] = [];
  const dueLog: WatchOutcome['due'] = [];
  const inconclusiveLog: WatchOutcome['inconclusive'] = [];
  let armed = new Set<string>();
  let steps: Record<string, Checkpoint> = {};
  let rolledBack: Record<string, string> = {};
  let inactive = new Set<string>();
  let stateReadAt = 0;
  let autoStarted = 0;
  const maxAuto = options.maxAutoRollbacks ?? 1;
  let dirty = true;
  let lastSave = 0;
  let saveWarned = false;
  let stateWarned = false;

  let auditChain: Promise<void> = Promise.resolve();
  const audit = (event: AuditInput) => {
    auditChain = auditChain
      .then(() => session.audit(event))
      .catch((error: unknown) => emit({ kind: 'warning', message: `could not append to the audit log: ${messageOf(error)}` }));
    return auditChain;
  };

  const persist = async (force = false) => {
    if (!force && !dirty && now() - lastSave < HEARTBEAT_MS) return;
    watcher.heartbeat = new Date(now()).toISOString();
    dirty = false;
    lastSave = now();
    try {
      await store.save({ version: 1, runbook: session.resolved.runbook.name, env: session.env.name, timeScale: scale, watcher, records });
    } catch (error) {
      if (!saveWarned)
        emit({
          kind: 'warning',
          message: `could not write ${store.location}: ${messageOf(error)} (a restarted watch will not know how long checks have failed)`,
        });
      saveWarned = true;
    }
  };

  /**
   * What the checkpoints say: which rollbacks have something to undo (a step they name was applied,
   * or failed half-way), which were applied, and which checks and triggers are in their window.
   */
  const refreshArmed = async () => {
    try {
      const state = await session.readState();
      stateReadAt = now();
      steps = state.steps;
      armed = armedRollbacks(session.resolved, state.steps);
      rolledBack = appliedRollbacks(state.rollbacks ?? {});
      inactive = inactiveTriggers(triggers, session.resolved.checks, state.steps);
    } catch (error) {
      if (!stateWarned)
        emit({ kind: 'warning', message: `could not read the state to tell what each rollback would undo: ${messageOf(error)}` });
      stateWarned = true;
    }
  };

  const judgement = () => ({ now: now(), scale, armed, inactive, rolledBack });
  const evaluate = async (): Promise<TriggerStatus[]> => {
    // Run and rollback move on beside the watch: a failing check needs the latest, the rest twice a second.
    if (triggers.some((t) => records.checks[t.check]?.failingSince != null) || now() - stateReadAt >= 500) await refreshArmed();
    return evaluateTriggers(records, triggers, judgement());
  };
  const view = (statuses?: TriggerStatus[]): WatchView => ({
    now: now(),
    timeScale: scale,
    checks: records.checks,
    triggers: statuses ?? evaluateTriggers(records, triggers, judgement()),
    fired: [...fired],
  });
  const costOf = async (id: string): Promise<RollbackCost | null> => {
    try {
      return (await session.rollbackCost?.(id)) ?? null;
    } catch (error) {
      emit({ kind: 'warning', message: `could not count what rollback ${id} would cost: ${messageOf(error)}` });
      return null;
    }
  };

  await refreshArmed();
  const costs: Record<string, RollbackCost | null> = {};
  for (const entry of session.resolved.rollback) if (entry.cost) costs[entry.id] = await costOf(entry.id);
  // At once, so `status` (and a second watch) see this one running from the start.
  await persist(true);
  emit({
    kind: 'watch-start',
    env: session.env.name,
    runbook: session.resolved.runbook.name,
    timeScale: scale,
    autoRollback,
    forMs: options.forMs,
    checks: checkNames.map((name) => ({
      name,
      description: session.resolved.checks[name]?.description,
      intervalMs: session.resolved.checks[name]?.intervalMs ?? 0,
    })),
    view: view(),
    warnings,
    costs,
    maxAutoRollbacks: maxAuto,
  });
  await audit({
    event: 'watch-start',
    detail: `${checkNames.length} checks; triggers: ${triggers.map((t) => `rollback ${t.rollback} after ${t.check} fails ${formatDuration(t.failingForMs)}`).join(', ') || 'none'}${autoRollback ? '; auto-rollback' : ''}${scale !== 1 ? `; time scale ${scale}` : ''}`,
  });

  const poll = async (name: string) => {
    const intervalMs = Math.max(MIN_POLL_GAP_MS, (session.resolved.checks[name]?.intervalMs ?? 30_000) / scale);
    const check = session.resolved.checks[name];
    while (!signal.aborted) {
      const started = now();
      if (check && !windowActive(check, steps)) {
        // Outside its window the check is not run: it neither fails nor fires.
        const next = recordInactive(records, name, started);
        records = next.records;
        if (next.changed) {
          dirty = true;
          void audit({
            event: 'check-changed',
            step: `check.${name}`,
            result: 'inactive',
            detail: `outside ${check.activeAfter ?? 'the start'}..${check.activeUntil ?? 'the end'}`,
          });
        }
        await delay(Math.max(MIN_POLL_GAP_MS, Math.min(intervalMs, 500)), signal).catch(() => undefined);
        continue;
      }
      const activeFrom = check?.activeAfter ? (sinceTime(steps, check.activeAfter) ?? startedAt) : startedAt;
      const warmupUntil = check?.warmupMs ? activeFrom + check.warmupMs / scale : undefined;
      let result: CheckResult;
      try {
        result = await runCheck(session, name, signal, now);
      } catch {
        break;
      }
      if (signal.aborted) break;
      const next = recordResult(records, name, result, {
        resumeWithinMs: RESUME_WITHIN_PLAN_MS / scale,
        judge: warmupUntil === undefined || result.at >= warmupUntil,
        warmupUntil,
      });
      records = next.records;
      if (next.change) {
        dirty = true;
        const change = next.change;
        emit({ kind: 'check-changed', change, view: view() });
        const since =
          change.failingSince === null
            ? ''
            : ` since ${new Date(change.failingSince).toISOString()}${change.resumed ? ' (recorded before a restart)' : ''}`;
        void audit({
          event: 'check-changed',
          step: `check.${name}`,
          result: change.to ? 'ok' : change.outcome === 'error' || change.outcome === 'missing' ? change.outcome : 'failing',
          detail: `${change.from === null ? 'first result' : change.from ? 'was ok' : 'was failing'}${since}${change.detail ? `: ${change.detail}` : ''}`,
        });
      }
      await delay(Math.max(MIN_POLL_GAP_MS, intervalMs - (now() - started)), signal).catch(() => undefined);
    }
  };
  const pollers = checkNames.map((name) => poll(name));

  const deadline = options.forMs === undefined ? undefined : startedAt + options.forMs / scale;
  const lockNoticed = new Map<string, number>();

  const fire = async (trigger: TriggerStatus, prompter: Prompter, how: 'auto' | 'asked') => {
    const episode = trigger.failingSince as number;
    const id = trigger.rollback;
    const command = session.rollbackCommand(id);
    const attemptAt = now();
    let started = false;
    const finish = async (result: FireResult, error?: RunbookError) => {
      records = started
        ? settleFired(records, id, result, error?.message)
        : markFired(records, id, episode, attemptAt, result, error?.message);
      dirty = true;
      const done: FiredRollback = {
        rollback: id,
        check: trigger.check,
        failingSince: episode,
        startedAt: attemptAt,
        endedAt: now(),
        result,
        how,
        error: error && { code: error.code, message: error.message },
      };
      fired.push(done);
      if (!started)
        await audit({ event: 'trigger-fired', step: `rollback.${id}`, result, detail: `could not start: ${error?.message ?? ''}` });
      emit({ kind: 'rollback-end', trigger, fired: done, error, command });
      await persist(true);
      await options.onRollbackEnd?.(done);
    };
    try {
      const result = await session.rollback(id, {
        prompter,
        emit: options.rollbackEmit ?? (() => undefined),
        signal: options.signal,
        onStart: async () => {
          started = true;
          if (how === 'auto') autoStarted += 1;
          records = markFired(records, id, episode, attemptAt);
          dirty = true;
          await persist(true);
          await audit({
            event: 'trigger-fired',
            step: `rollback.${id}`,
            result: how === 'auto' ? 'auto-rollback' : 'confirmed',
            detail: `${trigger.check} failing since ${new Date(episode).toISOString()}: running ${command}`,
          });
          emit({ kind: 'rollback-start', trigger, how });
        },
      });
      const outcome: FireResult = result.ok
        ? 'ok'
        : result.error?.code === 'DRIFT'
          ? 'drift'
          : result.summary.aborted
            ? 'aborted'
            : 'failed';
      await finish(outcome, result.error);
    } catch (thrown) {
      const error = thrown instanceof RunbookError ? thrown : new RunbookError('STEP_FAILED', messageOf(thrown), { cause: thrown });
      if (!started && (error.code === 'LOCKED' || error.code === 'LOCK_STALE')) {
        const first = lockNoticed.get(id) !== episode;
        lockNoticed.set(id, episode);
        emit({ kind: 'rollback-locked', trigger, error, first });
        return;
      }
      await finish(error.code === 'ABORTED' ? 'aborted' : 'failed', error);
    }
  };

  /** Announced at (real time), per rollback: once per episode, whatever the episode's kind. */
  const announcedAt = new Map<string, number>();
  const inconclusiveAt = new Map<string, number>();

  const handleInconclusive = async (trigger: TriggerStatus) => {
    const since = trigger.inconclusiveSince as number;
    if ((inconclusiveAt.get(trigger.rollback) ?? -Infinity) >= since) return;
    inconclusiveAt.set(trigger.rollback, now());
    const command = session.rollbackCommand(trigger.rollback);
    inconclusiveLog.push({ rollback: trigger.rollback, check: trigger.check, since, at: now() });
    await audit({
      event: 'trigger-inconclusive',
      step: `rollback.${trigger.rollback}`,
      result: 'alert',
      detail: `${trigger.check}: ${trigger.errorsInARow} probe errors in a row since ${new Date(since).toISOString()} (limit ${trigger.errorLimit ?? 4}); a person must judge; ${command}`,
    });
    emit({ kind: 'trigger-inconclusive', trigger, command });
    await options.onInconclusive?.(trigger, { command });
  };

  const handleDue = async (trigger: TriggerStatus) => {
    const episode = trigger.failingSince as number;
    const id = trigger.rollback;
    const command = session.rollbackCommand(id);
    const entry = session.resolved.rollback.find((r) => r.id === id);
    if ((announcedAt.get(id) ?? -Infinity) < episode) {
      announcedAt.set(id, now());
      // The point of no return and the auto-rollback budget are judged when the trigger comes due.
      const cost = entry?.cost ? await costOf(id) : undefined;
      let held: string | undefined;
      if (autoRollback && overCost(cost ?? null, entry?.maxCost))
        held = `${cost?.value === null ? 'its cost could not be counted' : cost ? describeCost(id, cost) : ''}, past its point of no return (maxCost ${entry?.maxCost})`;
      else if (autoRollback && autoStarted >= maxAuto)
        held = `this watch has already run ${autoStarted} automatic rollback${autoStarted === 1 ? '' : 's'} (--max-auto-rollbacks ${maxAuto})`;
      heldFor.set(id, held);
      const auto = autoRollback && held === undefined;
      dueLog.push({ rollback: id, check: trigger.check, failingSince: episode, at: now(), ...(held ? { held } : {}) });
      await audit({
        event: 'trigger-due',
        step: `rollback.${id}`,
        result: auto ? 'auto-rollback' : held ? 'alert (held)' : 'alert',
        detail: `${trigger.check} failing since ${new Date(episode).toISOString()} (${trigger.failures ? `failures ${trigger.failures.count} of ${trigger.failures.of ?? formatDuration(trigger.failures.withinMs ?? 0)}` : `window ${formatDuration(trigger.failingForMs)}`}); ${held ? `not run: ${held}; ` : ''}${command}`,
      });
      emit({ kind: 'trigger-due', trigger, command, autoRollback: auto, held, cost });
      // A prompt the operator leaves open ends with the watch (--for, until, Ctrl-C).
      const left = deadline === undefined ? undefined : Math.max(1, deadline - now());
      const dueSignal = left === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(left)]);
      const decision = await options.onDue?.(trigger, { command, autoRollback: auto, signal: dueSignal, held, cost });
      if (!auto) {
        if (decision?.run && !signal.aborted && !held) await fire(trigger, decision.prompter, 'asked');
        return;
      }
    } else if (!autoRollback || heldFor.get(id) !== undefined) {
      return;
    }
    if (!signal.aborted) await fire(trigger, new AutoApprovePrompter(options.confirmEnv), 'auto');
  };
  const heldFor = new Map<string, string | undefined>();

  let reason: WatchEndReason = 'signal';
  try {
    for (;;) {
      if (signal.aborted) break;
      if (deadline !== undefined && now() >= deadline) {
        reason = 'for';
        break;
      }
      let statuses = await evaluate();
      for (const { rollback } of triggers) {
        const current = statuses.find((t) => t.rollback === rollback);
        if (current?.state === 'inconclusive' && current.armed && !signal.aborted) await handleInconclusive(current);
        const trigger = current;
        if (!trigger?.due || signal.aborted) continue;
        const before = fired.length;
        await handleDue(trigger);
        // A rollback just run may have changed what the next one would undo.
        if (fired.length !== before) statuses = await evaluate();
      }
      const current = view(statuses);
      emit({ kind: 'tick', view: current });
      if (options.until?.(current)) {
        reason = 'until';
        break;
      }
      await persist();
      await delay(TICK_MS, signal);
    }
  } finally {
    stop.abort();
    await Promise.allSettled(pollers);
    watcher.stoppedAt = new Date(now()).toISOString();
    await persist(true);
    await audit({
      event: 'watch-end',
      result: reason,
      detail: fired.length ? `fired: ${fired.map((f) => `rollback ${f.rollback} (${f.result})`).join(', ')}` : undefined,
    });
    await auditChain;
  }
  const outcome: WatchOutcome = { reason, fired, due: dueLog, inconclusive: inconclusiveLog, view: view() };
  emit({ kind: 'watch-end', outcome });
  return outcome;
}
