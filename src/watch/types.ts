import type { PhaseResult } from '../engine/engine.js';
import type { EventSink } from '../engine/events.js';
import type { Prompter } from '../engine/prompter.js';
import type { ErrorCode, RunbookError } from '../errors.js';
import type { ResolvedRunbook } from '../runbook/types.js';
import type { Documents } from '../state/backend.js';
import type { StateFile } from '../state/types.js';
import type { EnvironmentInfo, StepContext, StepType } from '../steps/types.js';
import type { RollbackCost } from '../rollback/cost.js';
import type { CheckChange, CheckRecord, FireResult, TriggerStatus } from './triggers.js';

export interface AuditInput {
  event: string;
  step?: string;
  result?: string;
  detail?: string;
}

/**
 * What the watch needs from the outside world. `openWatchSession` (src/commands/context.ts) builds
 * it from the same code as every other command; tests and rehearsals may build their own.
 */
export interface WatchSession {
  readonly resolved: ResolvedRunbook;
  readonly env: EnvironmentInfo;
  readonly envDir: string;
  /** Where watch.json lives (the state backend's side documents); envDir when absent. */
  readonly documents?: Documents | undefined;
  readonly timeScale: number;
  /** Checks the caller's AWS account and region against the environment's (before arming auto-rollback). */
  verifyAccount(): Promise<void>;
  /** A context for running a check: its AWS clients refuse every write (dry-run guard). */
  checkContext(check: string, signal: AbortSignal, progress: (message: string) => void): StepContext;
  stepType(name: string): StepType;
  /** The checkpoints as run and rollback last saved them (read fresh: they move on beside the watch). */
  readState(): Promise<StateFile>;
  audit(event: AuditInput): Promise<void>;
  /** The exact command an operator types to run rollback `id` in this environment. */
  rollbackCommand(id: string): string;
  /**
   * Takes the environment's lock, runs rollback `id` (drift-checked and audited like any rollback),
   * releases the lock. Throws a RunbookError LOCKED / LOCK_STALE when another run holds it.
   * `onStart` runs once the lock is held, before anything is read or written.
   */
  rollback(
    id: string,
    io: { prompter: Prompter; emit: EventSink; signal?: AbortSignal | undefined; onStart?: () => Promise<void> },
  ): Promise<PhaseResult>;
  /** What rollback `id` would strand now (its runbook `cost:`), or null where none is declared. */
  rollbackCost?(id: string): Promise<RollbackCost | null>;
  close(): Promise<void>;
}

/** A rollback this watch ran. */
export interface FiredRollback {
  rollback: string;
  check: string;
  failingSince: number;
  startedAt: number;
  endedAt: number;
  result: FireResult;
  /** 'auto' by --auto-rollback; 'asked' when the operator said yes at the prompt. */
  how: 'auto' | 'asked';
  error?: { code: ErrorCode; message: string } | undefined;
}

export interface WatchView {
  now: number;
  timeScale: number;
  checks: Record<string, CheckRecord>;
  triggers: TriggerStatus[];
  /** Rollbacks this watch ran, oldest first. */
  fired: FiredRollback[];
}

export type WatchEndReason = 'for' | 'until' | 'signal';

export interface WatchOutcome {
  reason: WatchEndReason;
  fired: FiredRollback[];
  /** Triggers that came due (alerts given, rollbacks started or refused). */
  due: { rollback: string; check: string; failingSince: number; at: number; held?: string | undefined }[];
  /** Triggers that went inconclusive (too many probe errors): alerted, never run. */
  inconclusive: { rollback: string; check: string; since: number; at: number }[];
  view: WatchView;
}

export interface CheckInfo {
  name: string;
  description?: string | undefined;
  /** Plan time. */
  intervalMs: number;
}

/** What renderers get; the loop itself never prints. */
export type WatchEvent =
  | {
      kind: 'watch-start';
      env: string;
      runbook: string;
      timeScale: number;
      autoRollback: boolean;
      forMs?: number | undefined;
      checks: CheckInfo[];
      view: WatchView;
      warnings: string[];
      /** Per rollback with a declared cost: what it would strand at the start. */
      costs?: Record<string, RollbackCost | null> | undefined;
      maxAutoRollbacks?: number | undefined;
    }
  | { kind: 'check-changed'; change: CheckChange; view: WatchView }
  | { kind: 'tick'; view: WatchView }
  | {
      kind: 'trigger-due';
      trigger: TriggerStatus;
      command: string;
      /** Whether the watch runs it now (false without --auto-rollback, or when `held`). */
      autoRollback: boolean;
      /** Why --auto-rollback does not run it: over its maxCost, or --max-auto-rollbacks reached. */
      held?: string | undefined;
      cost?: RollbackCost | null | undefined;
    }
  | { kind: 'trigger-inconclusive'; trigger: TriggerStatus; command: string }
  | { kind: 'rollback-locked'; trigger: TriggerStatus; error: RunbookError; first: boolean }
  | { kind: 'rollback-start'; trigger: TriggerStatus; how: 'auto' | 'asked' }
  | { kind: 'rollback-end'; trigger: TriggerStatus; fired: FiredRollback; error?: RunbookError | undefined; command: string }
  | { kind: 'warning'; message: string }
  | { kind: 'watch-end'; outcome: WatchOutcome };

export type WatchSink = (event: WatchEvent) => void;

/** The decision after an alert: leave it to the operator, or run the rollback with this prompter. */
export type DueDecision = { run: false } | { run: true; prompter: Prompter };

/** What the loop tells `onDue` about a trigger that has come due. */
export interface DueContext {
  command: string;
  autoRollback: boolean;
  signal: AbortSignal;
  /** Why the rollback may not run by itself (past its point of no return, budget spent). */
  held?: string | undefined;
  cost?: RollbackCost | null | undefined;
}
