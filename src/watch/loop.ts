import { hostname } from 'node:os';
import { RunbookError, messageOf } from '../errors.js';
import type { EventSink } from '../engine/events.js';
import { AutoApprovePrompter, type Prompter } from '../engine/prompter.js';
import { formatDuration } from '../util/duration.js';
import { armedRollbacks } from './armed.js';
import { runCheck } from './check.js';
import { HEARTBEAT_STALE_MS } from './report.js';
import { WatchStore, watcherRunning, type Watcher } from './store.js';
import { emptyRecords, evaluateTriggers, markFired, recordResult, restartedRecords, settleFired, triggersOf, type FireResult, type TriggerStatus, type WatchRecords } from './triggers.js';
import type { AuditInput, DueDecision, FiredRollback, WatchEndReason, WatchOutcome, WatchSession, WatchSink, WatchView } from './types.js';
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
  onDue?: ((trigger: TriggerStatus, context: { command: string; autoRollback: boolean; signal: AbortSignal }) => Promise<DueDecision | void>) | undefined;
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
      throw new RunbookError('LOCKED', `a watch is already running for "${session.env.name}": pid ${other.pid} on ${other.host}, since ${other.since}`, {
        hint: 'Stop that watch first (Ctrl-C in its terminal); two watches would both act on every trigger.',
      });
    }
    if (saved.file.runbook === session.resolved.runbook.name && saved.file.env === session.env.name) records = restartedRecords(saved.file.records, checkNames);
  }

  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([stop.signal, options.signal]) : stop.signal;
  const startedAt = now();
  const watcher: Watcher = { pid: process.pid, host: hostname(), since: new Date(startedAt).toISOString(), autoRollback, heartbeat: new Date(startedAt).toISOString() };
  const fired: FiredRollback[] = [];
  const dueLog: WatchOutcome['due'] = [];
  let armed = new Set<string>();
  let dirty = true;
  let lastSave = 0;
  let saveWarned = false;
  let stateWarned = false;

  let auditChain: Promise<void> = Promise.resolve();
  const audit = (event: AuditInput) => {
    auditChain = auditChain.then(() => session.audit(event)).catch((error: unknown) => emit({ kind: 'warning', message: `could not append to the audit log: ${messageOf(error)}` }));
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
      if (!saveWarned) emit({ kind: 'warning', message: `could not write ${store.location}: ${messageOf(error)} (a restarted watch will not know how long checks have failed)` });
      saveWarned = true;
    }
  };

  /** Which rollbacks have something to undo: a step they name was applied (or failed half-way). */
  const refreshArmed = async () => {
    try {
      const state = await session.readState();
      armed = armedRollbacks(session.resolved, state.steps);
    } catch (error) {
      if (!stateWarned) emit({ kind: 'warning', message: `could not read the state to tell what each rollback would undo: ${messageOf(error)}` });
      stateWarned = true;
    }
  };

  const evaluate = async (): Promise<TriggerStatus[]> => {
    if (triggers.some((t) => records.checks[t.check]?.failingSince != null)) await refreshArmed();
    return evaluateTriggers(records, triggers, { now: now(), scale, armed });
  };
  const view = (statuses?: TriggerStatus[]): WatchView => ({
    now: now(),
    timeScale: scale,
    checks: records.checks,
    triggers: statuses ?? evaluateTriggers(records, triggers, { now: now(), scale, armed }),
    fired: [...fired],
  });

  await refreshArmed();
  // At once, so `status` (and a second watch) see this one running from the start.
  await persist(true);
  emit({
    kind: 'watch-start',
    env: session.env.name,
    runbook: session.resolved.runbook.name,
    timeScale: scale,
    autoRollback,
    forMs: options.forMs,
    checks: checkNames.map((name) => ({ name, description: session.resolved.checks[name]?.description, intervalMs: session.resolved.checks[name]?.intervalMs ?? 0 })),
    view: view(),
    warnings,
  });
  await audit({ event: 'watch-start', detail: `${checkNames.length} checks; triggers: ${triggers.map((t) => `rollback ${t.rollback} after ${t.check} fails ${formatDuration(t.failingForMs)}`).join(', ') || 'none'}${autoRollback ? '; auto-rollback' : ''}${scale !== 1 ? `; time scale ${scale}` : ''}` });

  const poll = async (name: string) => {
    const intervalMs = Math.max(MIN_POLL_GAP_MS, (session.resolved.checks[name]?.intervalMs ?? 30_000) / scale);
    while (!signal.aborted) {
      const started = now();
      let result;
      try {
        result = await runCheck(session, name, signal, now);
      } catch {
        break;
      }
      if (signal.aborted) break;
      const next = recordResult(records, name, result, { resumeWithinMs: RESUME_WITHIN_PLAN_MS / scale });
      records = next.records;
      if (next.change) {
        dirty = true;
        const change = next.change;
        emit({ kind: 'check-changed', change, view: view() });
        const since = change.failingSince === null ? '' : ` since ${new Date(change.failingSince).toISOString()}${change.resumed ? ' (recorded before a restart)' : ''}`;
        void audit({ event: 'check-changed', step: `check.${name}`, result: change.to ? 'ok' : 'failing', detail: `${change.from === null ? 'first result' : change.from ? 'was ok' : 'was failing'}${since}${change.detail ? `: ${change.detail}` : ''}` });
      }
      await delay(Math.max(MIN_POLL_GAP_MS, intervalMs - (now() - started)), signal);
    }
  };
  const pollers = checkNames.map((name) => poll(name));

  const deadline = options.forMs === undefined ? undefined : startedAt + options.forMs / scale;
  const announced = new Map<string, number>();
  const lockNoticed = new Map<string, number>();

  const fire = async (trigger: TriggerStatus, prompter: Prompter, how: 'auto' | 'asked') => {
    const episode = trigger.failingSince as number;
    const id = trigger.rollback;
    const command = session.rollbackCommand(id);
    const attemptAt = now();
    let started = false;
    const finish = async (result: FireResult, error?: RunbookError) => {
      records = started ? settleFired(records, id, result, error?.message) : markFired(records, id, episode, attemptAt, result, error?.message);
      dirty = true;
      const done: FiredRollback = { rollback: id, check: trigger.check, failingSince: episode, startedAt: attemptAt, endedAt: now(), result, how, error: error && { code: error.code, message: error.message } };
      fired.push(done);
      if (!started) await audit({ event: 'trigger-fired', step: `rollback.${id}`, result, detail: `could not start: ${error?.message ?? ''}` });
      emit({ kind: 'rollback-end', trigger, fired: done, error, command });
      await persist(true);
    };
    try {
      const result = await session.rollback(id, {
        prompter,
        emit: options.rollbackEmit ?? (() => undefined),
        signal: options.signal,
        onStart: async () => {
          started = true;
          records = markFired(records, id, episode, attemptAt);
          dirty = true;
          await persist(true);
          await audit({ event: 'trigger-fired', step: `rollback.${id}`, result: how === 'auto' ? 'auto-rollback' : 'confirmed', detail: `${trigger.check} failing since ${new Date(episode).toISOString()}: running ${command}` });
          emit({ kind: 'rollback-start', trigger, how });
        },
      });
      const outcome: FireResult = result.ok ? 'ok' : result.error?.code === 'DRIFT' ? 'drift' : result.summary.aborted ? 'aborted' : 'failed';
      await finish(outcome, result.error);
    } catch (thrown) {
      const error = thrown instanceof RunbookError ? thrown : new RunbookError('STEP_FAILED', messageOf(thrown), { cause: thrown });
      if (!started && (error.code === 'LOCKED' || error.code === 'LOCK_STALE')) {
        const first = lockNoticed.get(id) !== episode;
        lockNoticed.set(id, episode);
        emit({ kind: 'rollback-locked', trigger, error, first });
        if (how === 'asked') announced.set(id, episode);
        return;
      }
      await finish(error.code === 'ABORTED' ? 'aborted' : 'failed', error);
    }
  };

  const handleDue = async (trigger: TriggerStatus) => {
    const episode = trigger.failingSince as number;
    const command = session.rollbackCommand(trigger.rollback);
    if (announced.get(trigger.rollback) !== episode) {
      announced.set(trigger.rollback, episode);
      dueLog.push({ rollback: trigger.rollback, check: trigger.check, failingSince: episode, at: now() });
      await audit({
        event: 'trigger-due',
        step: `rollback.${trigger.rollback}`,
        result: autoRollback ? 'auto-rollback' : 'alert',
        detail: `${trigger.check} failing since ${new Date(episode).toISOString()} (window ${formatDuration(trigger.failingForMs)}); ${command}`,
      });
      emit({ kind: 'trigger-due', trigger, command, autoRollback });
      // A prompt the operator leaves open ends with the watch (--for, until, Ctrl-C).
      const left = deadline === undefined ? undefined : Math.max(1, deadline - now());
      const dueSignal = left === undefined ? signal : AbortSignal.any([signal, AbortSignal.timeout(left)]);
      const decision = await options.onDue?.(trigger, { command, autoRollback, signal: dueSignal });
      if (!autoRollback) {
        if (decision?.run && !signal.aborted) await fire(trigger, decision.prompter, 'asked');
        return;
      }
    } else if (!autoRollback) {
      return;
    }
    if (!signal.aborted) await fire(trigger, new AutoApprovePrompter(options.confirmEnv), 'auto');
  };

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
        const trigger = statuses.find((t) => t.rollback === rollback);
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
    await audit({ event: 'watch-end', result: reason, detail: fired.length ? `fired: ${fired.map((f) => `rollback ${f.rollback} (${f.result})`).join(', ')}` : undefined });
    await auditChain;
  }
  const outcome: WatchOutcome = { reason, fired, due: dueLog, view: view() };
  emit({ kind: 'watch-end', outcome });
  return outcome;
}

