import type { Runbook } from '../runbook/types.js';
import type { Checkpoint } from '../steps/types.js';
import { appliedRollbacks, armedRollbacks, inactiveTriggers } from './armed.js';
import { watcherRunning, type LoadedWatchFile, type Watcher } from './store.js';
import { emptyRecords, evaluateTriggers, triggersOf, type TriggerState } from './triggers.js';

/** A watch on another host counts as gone when its heartbeat is older than this (real time). */
export const HEARTBEAT_STALE_MS = 15_000;

export interface TriggerRow {
  rollback: string;
  title: string;
  check: string;
  /** Plan time. */
  failingForMs: number;
  /** The check's last known result (null: never run). */
  ok: boolean | null;
  failingSince: string | null;
  lastCheckedAt: string | null;
  detail: string | null;
  /** Real milliseconds until the rollback is due: 0 when due now; null when no watch runs, the check passes, or it has fired. */
  dueInMs: number | null;
  /** 'no-watch' when no watch is running to act on it. */
  state: TriggerState | 'no-watch';
  firedAt: string | null;
  armed: boolean;
  /** When state.json recorded the rollback applied, while it has nothing left to undo. */
  rolledBackAt: string | null;
}

export interface WatchSummary extends Watcher {
  running: boolean;
  timeScale: number;
}

export interface TriggerReport {
  watch: WatchSummary | null;
  /** Set when watch.json exists but cannot be read. */
  problem?: string | undefined;
  rows: TriggerRow[];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** For `migrate status`: each triggered rollback, its check as the watch last saw it, and the countdown. */
export function triggerReport(
  runbook: Pick<Runbook, 'name' | 'phases' | 'rollback'> & { checks?: Runbook['checks'] },
  env: string,
  loaded: LoadedWatchFile,
  steps: Record<string, Checkpoint>,
  now: number,
  envScale: number,
  rollbacks: Record<string, { status: string; at: string }> = {},
): TriggerReport {
  const file = loaded.kind === 'ok' && loaded.file.runbook === runbook.name && loaded.file.env === env ? loaded.file : undefined;
  const scale = file?.timeScale ?? envScale;
  const running = file ? watcherRunning(file.watcher, now, HEARTBEAT_STALE_MS) : false;
  const records = file?.records ?? emptyRecords();
  const triggers = triggersOf(runbook.rollback);
  const statuses = evaluateTriggers(records, triggers, {
    now,
    scale,
    armed: armedRollbacks(runbook, steps),
    inactive: inactiveTriggers(triggers, runbook.checks, steps),
    rolledBack: appliedRollbacks(rollbacks),
  });
  const rows = statuses.map((t): TriggerRow => {
    const record = records.checks[t.check];
    return {
      rollback: t.rollback,
      title: t.title,
      check: t.check,
      failingForMs: t.failingForMs,
      ok: t.ok,
      failingSince: iso(t.failingSince),
      lastCheckedAt: iso(record?.lastCheckedAt ?? null),
      detail: record?.detail ?? null,
      dueInMs: running && (t.state === 'counting' || t.state === 'due') ? t.remainingMs : null,
      // What the estate says (rolled back, outside its window) holds whether a watch runs or not.
      state: running || t.state === 'fired' || t.state === 'rolled-back' || t.state === 'inactive' ? t.state : 'no-watch',
      rolledBackAt: t.rolledBackAt ?? null,
      firedAt: iso(t.firedAt),
      armed: t.armed,
    };
  });
  return {
    watch: file?.watcher ? { ...file.watcher, running, timeScale: scale } : null,
    problem: loaded.kind === 'unreadable' ? loaded.reason : undefined,
    rows,
  };
}
