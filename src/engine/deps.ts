import type { ResolvedStep } from '../runbook/types.js';
import type { StateFile, StateStore } from '../state/types.js';
import type { Checkpoint, StepContext, StepType } from '../steps/types.js';
import type { EventSink } from './events.js';
import type { Prompter } from './prompter.js';

export interface CheckRef {
  type: string;
  params: unknown;
}

/** Everything the engine needs from the outside world, handed in by the command that runs it. */
export interface EngineDeps {
  state: StateFile;
  store: StateStore;
  prompter: Prompter;
  emit: EventSink;
  audit(event: { event: string; step?: string; result?: string; detail?: string }): Promise<void>;
  contextFor(step: Pick<ResolvedStep, 'ref'>, previous: Checkpoint | undefined, signal: AbortSignal): StepContext;
  stepType(name: string): StepType;
  checks: Record<string, CheckRef>;
  env: { name: string; protected: boolean };
  dryRun: boolean;
  timeScale: number;
  /** Aborted by Ctrl-C. */
  signal: AbortSignal;
  /** Set once the operator typed a protected environment's name in this run. */
  envConfirmed?: boolean;
  /**
   * Runs `work` as one read pass: reads that nothing writes in between (a dry run, the drift check
   * before a rollback writes) share the AWS answers several steps ask for. Absent, each step reads
   * for itself.
   */
  readPass?<T>(work: () => Promise<T>): Promise<T>;
}

/** `work` as one read pass when the deps offer them, else as it is. */
export function inReadPass<T>(deps: Pick<EngineDeps, 'readPass'>, work: () => Promise<T>): Promise<T> {
  return deps.readPass ? deps.readPass(work) : work();
}
