import type { RollbackDef } from '../runbook/types.js';

/**
 * The trigger logic of `migrate watch`, with no I/O: check results go in with real timestamps
 * (epoch milliseconds), trigger windows are plan time divided by the time scale, and what comes
 * out says which rollback is due. Everything here returns new objects; callers keep the latest.
 */

/** What the watch knows about one check. */
export interface CheckRecord {
  /** null until the check has run once. */
  ok: boolean | null;
  /** When the current failing episode began; null while the check passes. */
  failingSince: number | null;
  lastCheckedAt: number | null;
  detail?: string | undefined;
}

export type FireResult = 'running' | 'ok' | 'failed' | 'drift' | 'aborted';

/** A rollback the watch started, named by the failing episode (the check's failingSince) it answered. */
export interface FiredMark {
  episode: number;
  at: number;
  result: FireResult;
  detail?: string | undefined;
}

export interface WatchRecords {
  checks: Record<string, CheckRecord>;
  /** Per rollback id: the last time the watch ran it. */
  fired: Record<string, FiredMark>;
}

export interface CheckResult {
  ok: boolean;
  /** When the check started (real time): a failure was seen from then on. */
  at: number;
  detail?: string | undefined;
}

export interface TriggerSpec {
  rollback: string;
  title: string;
  check: string;
  /** Plan time, as written in the runbook (failingFor: 1h -> 3_600_000). */
  failingForMs: number;
}

export interface CheckChange {
  check: string;
  from: boolean | null;
  to: boolean;
  failingSince: number | null;
  /** The failure continues an episode recorded before a restart, rather than starting one. */
  resumed: boolean;
  detail?: string | undefined;
  at: number;
}

export type TriggerState = 'unknown' | 'ok' | 'counting' | 'due' | 'fired' | 'not-armed';

export interface TriggerStatus extends TriggerSpec {
  ok: boolean | null;
  failingSince: number | null;
  /** The window in real milliseconds (plan time / scale). */
  windowMs: number;
  /** When the rollback is due (real time), while the check fails. */
  dueAt: number | null;
  /** Real milliseconds until dueAt, never below 0; null while the check passes. */
  remainingMs: number | null;
  /** Whether the rollback has anything to undo (a step it names was applied). */
  armed: boolean;
  /** The window has passed in this episode, the rollback is armed, and it has not fired for it. */
  due: boolean;
  /** When the watch fired this rollback for the current episode, if it did. */
  firedAt: number | null;
  /** The last time the watch fired it, in any episode. */
  lastFired: FiredMark | null;
  state: TriggerState;
}

export function emptyRecords(): WatchRecords {
  return { checks: {}, fired: {} };
}

/** The rollback entries that have a trigger, in runbook order. */
export function triggersOf(rollback: Pick<RollbackDef, 'id' | 'title' | 'trigger'>[]): TriggerSpec[] {
  const out: TriggerSpec[] = [];
  for (const entry of rollback) {
    if (entry.trigger) out.push({ rollback: entry.id, title: entry.title, check: entry.trigger.check, failingForMs: entry.trigger.failingForMs });
  }
  return out;
}

export interface RecordOptions {
  /**
   * Real milliseconds: a failure seen after a longer gap since the check's last result starts a
   * new episode, because nobody saw what happened in between (a watch stopped overnight must not
   * come back and fire at once on yesterday's failure).
   */
  resumeWithinMs: number;
}

/**
 * One check result. A pass ends the failing episode (so a flapping check never accumulates a
 * window); a failure starts one, or continues the recorded one.
 */
export function recordResult(records: WatchRecords, check: string, result: CheckResult, options: RecordOptions): { records: WatchRecords; change?: CheckChange } {
  const prev = records.checks[check];
  let failingSince: number | null = null;
  let resumed = false;
  if (!result.ok) {
    const continues = prev?.failingSince != null && prev.lastCheckedAt != null && result.at - prev.lastCheckedAt <= options.resumeWithinMs && prev.failingSince <= result.at;
    failingSince = continues ? prev.failingSince : result.at;
    resumed = continues && prev?.ok === null;
  }
  const next: CheckRecord = { ok: result.ok, failingSince, lastCheckedAt: result.at, detail: result.detail };
  const out: WatchRecords = { ...records, checks: { ...records.checks, [check]: next } };
  const from = prev?.ok ?? null;
  const changed = from !== result.ok || (prev?.failingSince ?? null) !== failingSince;
  if (!changed) return { records: out };
  return { records: out, change: { check, from, to: result.ok, failingSince, resumed, detail: result.detail, at: result.at } };
}

/**
 * A watch that starts from saved records does not yet know the present: each check is "not seen
 * since the restart" (ok: null) but keeps its failingSince, which the first failure continues.
 */
export function restartedRecords(saved: WatchRecords, checks: string[]): WatchRecords {
  const out: WatchRecords = { checks: {}, fired: { ...saved.fired } };
  for (const name of checks) {
    const prev = saved.checks[name];
    if (prev) out.checks[name] = { ...prev, ok: null };
  }
  return out;
}

export interface EvaluateOptions {
  /** Real time now. */
  now: number;
  /** MIGRATE_TIME_SCALE: windows are plan time divided by it. */
  scale: number;
  /** Rollback ids with something to undo; every trigger is armed when omitted. */
  armed?: ReadonlySet<string> | undefined;
}

/** Per trigger: is its check failing, since when, when is its rollback due, is it due now. */
export function evaluateTriggers(records: WatchRecords, triggers: TriggerSpec[], options: EvaluateOptions): TriggerStatus[] {
  if (!(options.scale > 0)) throw new Error(`time scale must be a positive number, got ${options.scale}`);
  return triggers.map((trigger) => {
    const record = records.checks[trigger.check];
    const windowMs = trigger.failingForMs / options.scale;
    const failingSince = record?.failingSince ?? null;
    const lastFired = records.fired[trigger.rollback] ?? null;
    const armed = options.armed ? options.armed.has(trigger.rollback) : true;
    const base = { ...trigger, ok: record?.ok ?? null, failingSince, windowMs, armed, lastFired };
    if (failingSince === null) {
      const state: TriggerState = record?.ok === true ? 'ok' : 'unknown';
      return { ...base, dueAt: null, remainingMs: null, due: false, firedAt: null, state };
    }
    const dueAt = failingSince + windowMs;
    const remainingMs = Math.max(0, dueAt - options.now);
    const firedAt = lastFired && lastFired.episode === failingSince ? lastFired.at : null;
    const due = remainingMs === 0 && armed && firedAt === null;
    const state: TriggerState = firedAt !== null ? 'fired' : !armed ? 'not-armed' : due ? 'due' : 'counting';
    return { ...base, dueAt, remainingMs, due, firedAt, state };
  });
}

/** Records that rollback `rollback` was started for the episode that began at `episode`. */
export function markFired(records: WatchRecords, rollback: string, episode: number, at: number, result: FireResult = 'running', detail?: string): WatchRecords {
  return { ...records, fired: { ...records.fired, [rollback]: { episode, at, result, detail } } };
}

/** The outcome of a rollback the watch started; the mark keeps its episode and start time. */
export function settleFired(records: WatchRecords, rollback: string, result: FireResult, detail?: string): WatchRecords {
  const mark = records.fired[rollback];
  if (!mark) return records;
  return { ...records, fired: { ...records.fired, [rollback]: { ...mark, result, detail } } };
}
