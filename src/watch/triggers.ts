import type { MissingData, RollbackDef } from '../runbook/types.js';

/**
 * The trigger logic of `migrate watch`, with no I/O: check results go in with real timestamps
 * (epoch milliseconds), trigger windows are plan time divided by the time scale, and what comes
 * out says which rollback is due. Everything here returns new objects; callers keep the latest.
 */

/**
 * A probe's outcome, as Argo Rollouts tells them apart: the check answered as expected (success),
 * answered wrongly (failure), could not run at all (error: connection refused, DNS, its own
 * timeout), or had no data to judge (missing: a CloudWatch alarm in INSUFFICIENT_DATA).
 */
export type Outcome = 'success' | 'failure' | 'error' | 'missing';

/** One judged result, kept (in memory) for cumulative triggers and the missing-data policy. */
export interface HistoryEntry {
  at: number;
  outcome: Outcome;
}

/** What the watch knows about one check. */
export interface CheckRecord {
  /** The last success (true) or failure (false); null until the check has answered once. */
  ok: boolean | null;
  /** When the current failing episode began (probe errors do not end it); null while the check passes. */
  failingSince: number | null;
  lastCheckedAt: number | null;
  detail?: string | undefined;
  /** The last probe's outcome; 'inactive' outside the check's activeAfter..activeUntil window. */
  outcome?: Outcome | 'inactive' | undefined;
  /** The last results, oldest first (not saved: a restarted watch rebuilds it from failingSince). */
  history?: HistoryEntry[] | undefined;
  /** Until when (real time) results are shown but not judged. */
  warmupUntil?: number | undefined;
}

/** Results kept per check: enough for any "N of M" and an hour of 1m probes several times over. */
const HISTORY_MAX = 500;

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
  /** True for a success only; an error or missing data is false here, told apart by `outcome`. */
  ok: boolean;
  outcome?: Outcome | undefined;
  /** When the check started (real time): a failure was seen from then on. */
  at: number;
  detail?: string | undefined;
}

export interface TriggerSpec {
  rollback: string;
  title: string;
  check: string;
  /** Plan time, as written in the runbook (failingFor: 1h -> 3_600_000); 0 with `failures`. */
  failingForMs: number;
  /** "N of M" (plan time for withinMs). */
  failures?: { count: number; of?: number | undefined; withinMs?: number | undefined } | undefined;
  /** Probe errors in a row beyond which the trigger is inconclusive (4 when unset, as Argo). */
  errorLimit?: number | undefined;
  missingData?: MissingData | undefined;
  activeAfter?: string | undefined;
  activeUntil?: string | undefined;
}

export const DEFAULT_ERROR_LIMIT = 4;

export interface CheckChange {
  check: string;
  from: boolean | null;
  to: boolean;
  outcome?: Outcome | undefined;
  failingSince: number | null;
  /** The failure continues an episode recorded before a restart, rather than starting one. */
  resumed: boolean;
  detail?: string | undefined;
  at: number;
}

export type TriggerState = 'unknown' | 'ok' | 'counting' | 'due' | 'fired' | 'not-armed' | 'rolled-back' | 'inactive' | 'inconclusive';

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
  /** Probe errors in a row (after the missing-data policy). */
  errorsInARow: number;
  /** With "N of M": failures counted now. */
  failuresSeen?: number | undefined;
  /** When the rollback entry was last applied (state.json), by the watch or anyone, while it has nothing left to undo. */
  rolledBackAt?: string | undefined;
  /** When the run of probe errors that makes it inconclusive began. */
  inconclusiveSince?: number | null | undefined;
}

export function emptyRecords(): WatchRecords {
  return { checks: {}, fired: {} };
}

/** The rollback entries that have a trigger, in runbook order. */
export function triggersOf(rollback: Pick<RollbackDef, 'id' | 'title' | 'trigger'>[]): TriggerSpec[] {
  const out: TriggerSpec[] = [];
  for (const entry of rollback) {
    const t = entry.trigger;
    if (!t) continue;
    const spec: TriggerSpec = { rollback: entry.id, title: entry.title, check: t.check, failingForMs: t.failingForMs };
    for (const key of ['failures', 'errorLimit', 'missingData', 'activeAfter', 'activeUntil'] as const)
      if (t[key] !== undefined) Object.assign(spec, { [key]: t[key] });
    out.push(spec);
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
 * One check result. A success ends the failing episode (so a flapping check never accumulates a
 * window); a failure starts one, or continues the recorded one; a probe error or missing data
 * neither starts nor ends it (nobody knows how the service is). `judge: false` (warmup) shows the
 * result without keeping it for the triggers.
 */
export function recordResult(
  records: WatchRecords,
  check: string,
  result: CheckResult,
  options: RecordOptions & { judge?: boolean; warmupUntil?: number },
): { records: WatchRecords; change?: CheckChange } {
  const prev = records.checks[check];
  const outcome: Outcome = result.outcome ?? (result.ok ? 'success' : 'failure');
  const judge = options.judge !== false;
  const lastAt = prev?.history?.at(-1)?.at ?? prev?.lastCheckedAt ?? null;
  // A gap longer than resumeWithinMs: nobody saw the meantime, so nothing before it counts.
  const gap = lastAt === null || result.at - lastAt > options.resumeWithinMs || lastAt > result.at;
  let history = gap || !prev?.history ? [] : prev.history;
  if (judge) history = [...history, { at: result.at, outcome }].slice(-HISTORY_MAX);
  let failingSince: number | null = null;
  let resumed = false;
  if (!judge) {
    failingSince = null;
  } else if (outcome === 'failure') {
    const continues = !gap && prev?.failingSince != null && prev.failingSince <= result.at;
    failingSince = continues ? (prev?.failingSince ?? null) : result.at;
    resumed = continues && prev?.ok === null;
  } else if (outcome === 'error' || outcome === 'missing') {
    failingSince = gap ? null : (prev?.failingSince ?? null);
  }
  const ok = outcome === 'success' ? true : outcome === 'failure' ? false : (prev?.ok ?? null);
  const next: CheckRecord = {
    ok,
    failingSince,
    lastCheckedAt: result.at,
    detail: result.detail,
    outcome,
    history,
    warmupUntil: options.warmupUntil,
  };
  const out: WatchRecords = { ...records, checks: { ...records.checks, [check]: next } };
  const from = prev?.ok ?? null;
  const changed =
    from !== ok ||
    (prev?.failingSince ?? null) !== failingSince ||
    (prev?.outcome !== outcome && (outcome === 'error' || prev?.outcome === 'error' || prev?.outcome === 'inactive'));
  if (!changed) return { records: out };
  return {
    records: out,
    change: { check, from, to: outcome === 'success', outcome, failingSince, resumed, detail: result.detail, at: result.at },
  };
}

/** A check outside its activeAfter..activeUntil window: nothing it saw before counts afterwards. */
export function recordInactive(records: WatchRecords, check: string, _at: number): { records: WatchRecords; changed: boolean } {
  const prev = records.checks[check];
  if (prev?.outcome === 'inactive') return { records, changed: false };
  return {
    records: {
      ...records,
      checks: {
        ...records.checks,
        [check]: {
          ok: null,
          failingSince: null,
          lastCheckedAt: prev?.lastCheckedAt ?? null,
          outcome: 'inactive',
          history: [],
          detail: undefined,
        },
      },
    },
    changed: true,
  };
}

/**
 * A watch that starts from saved records does not yet know the present: each check is "not seen
 * since the restart" (ok: null) but keeps its failingSince, which the first failure continues.
 */
export function restartedRecords(saved: WatchRecords, checks: string[]): WatchRecords {
  const out: WatchRecords = { checks: {}, fired: { ...saved.fired } };
  for (const name of checks) {
    const prev = saved.checks[name];
    if (!prev) continue;
    // What the saved episode says, as results: enough for a continuous trigger to go on counting.
    const history: HistoryEntry[] = prev.failingSince === null ? [] : [{ at: prev.failingSince, outcome: 'failure' }];
    if (prev.failingSince !== null && prev.lastCheckedAt !== null && prev.lastCheckedAt > prev.failingSince)
      history.push({ at: prev.lastCheckedAt, outcome: 'failure' });
    out.checks[name] = { ...prev, ok: null, history };
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
  /** Rollback ids whose trigger (or its check) is outside its active window. */
  inactive?: ReadonlySet<string> | undefined;
  /** Per rollback id: when state.json last recorded it applied. */
  rolledBack?: Readonly<Record<string, string>> | undefined;
}

type Mark = 'F' | 'S' | 'E' | null;

/** Records read back from watch.json (status) carry no history: their episode, as results. */
function historyOf(record: CheckRecord): HistoryEntry[] {
  if (record.failingSince !== null) {
    const out: HistoryEntry[] = [{ at: record.failingSince, outcome: 'failure' }];
    if (record.lastCheckedAt !== null && record.lastCheckedAt > record.failingSince)
      out.push({ at: record.lastCheckedAt, outcome: 'failure' });
    return out;
  }
  return record.ok === true && record.lastCheckedAt !== null ? [{ at: record.lastCheckedAt, outcome: 'success' }] : [];
}

function mark(outcome: Outcome, missing: MissingData): Mark {
  if (outcome === 'success') return 'S';
  if (outcome === 'failure') return 'F';
  if (outcome === 'error') return 'E';
  return missing === 'breaching' ? 'F' : missing === 'notBreaching' ? 'S' : missing === 'error' ? 'E' : null;
}

interface Judged {
  failingSince: number | null;
  errorsInARow: number;
  inconclusiveSince: number | null;
  failuresSeen?: number;
  /** The start of the episode a "N of M" trigger is due for. */
  episode?: number | null;
  /** The last result that counts, through the policy. */
  last: Mark;
}

/** The trigger's view of its check's results, through its missing-data policy. */
function judge(history: HistoryEntry[], trigger: TriggerSpec, now: number, scale: number): Judged {
  const marked = history.map((h) => ({ at: h.at, m: mark(h.outcome, trigger.missingData ?? 'error') })).filter((h) => h.m !== null);
  let errorsInARow = 0;
  let inconclusiveSince: number | null = null;
  for (let i = marked.length - 1; i >= 0 && marked[i]!.m === 'E'; i--) {
    errorsInARow += 1;
    inconclusiveSince = marked[i]!.at;
  }
  const limit = trigger.errorLimit ?? DEFAULT_ERROR_LIMIT;
  if (errorsInARow <= limit) inconclusiveSince = null;
  let failingSince: number | null = null;
  for (let i = marked.length - 1; i >= 0 && marked[i]!.m !== 'S'; i--) if (marked[i]!.m === 'F') failingSince = marked[i]!.at;
  const last = marked.at(-1)?.m ?? null;
  if (!trigger.failures) return { failingSince, errorsInARow, inconclusiveSince, last };
  const results = marked.filter((h) => h.m !== 'E');
  const { count, of, withinMs } = trigger.failures;
  const window = of !== undefined ? results.slice(-of) : results.filter((h) => h.at > now - (withinMs ?? 0) / scale);
  const failures = window.filter((h) => h.m === 'F');
  return {
    failingSince,
    errorsInARow,
    inconclusiveSince,
    last,
    failuresSeen: failures.length,
    episode: failures.length >= count ? failures[0]!.at : null,
  };
}

/** Per trigger: is its check failing, since when, when is its rollback due, is it due now. */
export function evaluateTriggers(records: WatchRecords, triggers: TriggerSpec[], options: EvaluateOptions): TriggerStatus[] {
  if (!(options.scale > 0)) throw new Error(`time scale must be a positive number, got ${options.scale}`);
  return triggers.map((trigger) => {
    const record = records.checks[trigger.check];
    const windowMs = trigger.failingForMs / options.scale;
    const judged = judge(record ? (record.history ?? historyOf(record)) : [], trigger, options.now, options.scale);
    const failingSince = trigger.failures ? (judged.episode ?? null) : judged.failingSince;
    const lastFired = records.fired[trigger.rollback] ?? null;
    const armed = options.armed ? options.armed.has(trigger.rollback) : true;
    const rolledBackAt = !armed ? options.rolledBack?.[trigger.rollback] : undefined;
    const base = {
      ...trigger,
      ok: record?.ok ?? null,
      failingSince,
      windowMs,
      armed,
      lastFired,
      errorsInARow: judged.errorsInARow,
      inconclusiveSince: judged.inconclusiveSince,
      ...(trigger.failures ? { failuresSeen: judged.failuresSeen } : {}),
      ...(rolledBackAt ? { rolledBackAt } : {}),
    };
    const idle = { dueAt: null, remainingMs: null, due: false, firedAt: null };
    if (options.inactive?.has(trigger.rollback) || record?.outcome === 'inactive')
      return { ...base, ...idle, failingSince: null, state: 'inactive' as const };
    if (failingSince === null) {
      const state: TriggerState = !armed
        ? rolledBackAt
          ? 'rolled-back'
          : 'not-armed'
        : judged.inconclusiveSince !== null
          ? 'inconclusive'
          : trigger.failures && (judged.failuresSeen ?? 0) > 0
            ? 'counting'
            : judged.last === 'S' || (judged.last === null && record?.ok === true)
              ? 'ok'
              : 'unknown';
      return { ...base, ...idle, state };
    }
    const dueAt = trigger.failures ? failingSince : failingSince + windowMs;
    const remainingMs = Math.max(0, dueAt - options.now);
    // Fired for this episode: the watch started the rollback after the episode began.
    const firedAt = lastFired && (lastFired.episode === failingSince || lastFired.at >= failingSince) ? lastFired.at : null;
    const inconclusive = judged.inconclusiveSince !== null;
    const due = remainingMs === 0 && armed && firedAt === null && !inconclusive;
    const state: TriggerState =
      firedAt !== null
        ? 'fired'
        : !armed
          ? rolledBackAt
            ? 'rolled-back'
            : 'not-armed'
          : inconclusive
            ? 'inconclusive'
            : due
              ? 'due'
              : 'counting';
    return { ...base, dueAt, remainingMs, due, firedAt, state };
  });
}

/** Records that rollback `rollback` was started for the episode that began at `episode`. */
export function markFired(
  records: WatchRecords,
  rollback: string,
  episode: number,
  at: number,
  result: FireResult = 'running',
  detail?: string,
): WatchRecords {
  return { ...records, fired: { ...records.fired, [rollback]: { episode, at, result, detail } } };
}

/** The outcome of a rollback the watch started; the mark keeps its episode and start time. */
export function settleFired(records: WatchRecords, rollback: string, result: FireResult, detail?: string): WatchRecords {
  const mark = records.fired[rollback];
  if (!mark) return records;
  return { ...records, fired: { ...records.fired, [rollback]: { ...mark, result, detail } } };
}
