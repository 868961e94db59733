import type { StepStatus } from '../steps/types.js';
import type { StateSource, StepPrediction } from './simulation.js';

export type StepEndStatus = StepStatus | 'would-change' | 'would-fail' | 'already-applied' | 'nothing-to-undo' | 'already-undone';

/** What the engine tells renderers. It never prints; everything a person sees comes from these. */
export type EngineEvent =
  | {
      kind: 'run-start';
      command: string;
      env: string;
      refs: string[];
      titles?: Record<string, string> | undefined;
      dryRun: boolean;
      timeScale: number;
      caller?: string | undefined;
    }
  | { kind: 'step-start'; ref: string; title: string; type: string; group?: string | undefined }
  | { kind: 'step-progress'; ref: string; message: string }
  | { kind: 'step-warning'; ref: string; message: string }
  /** `source`: where the before-state came from (live, an earlier step's prediction `by`, a checkpoint `by`). */
  | {
      kind: 'step-planned';
      ref: string;
      noop: boolean;
      summary: string;
      diff: string[];
      source?: StateSource | undefined;
      by?: string | undefined;
    }
  | {
      kind: 'step-end';
      ref: string;
      status: StepEndStatus;
      message?: string | undefined;
      durationMs: number;
      hint?: string | undefined;
      plan?: StepPrediction | undefined;
    }
  | { kind: 'drift'; ref: string; lines: string[] }
  | { kind: 'run-end'; ok: boolean; summary: RunSummary };

export interface RunSummary {
  applied: string[];
  /** Those of `applied` that this run found already in place and did not write. */
  alreadyApplied?: string[] | undefined;
  noop: string[];
  skipped: string[];
  failed: string[];
  rolledBack: string[];
  wouldChange: string[];
  /** The exact command that resumes after a failure. */
  resume?: string | undefined;
  aborted?: boolean | undefined;
}

export type EventSink = (event: EngineEvent) => void;

export function emptySummary(): RunSummary {
  return { applied: [], noop: [], skipped: [], failed: [], rolledBack: [], wouldChange: [] };
}
