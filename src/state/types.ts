import type { Checkpoint } from '../steps/types.js';

export const STATE_VERSION = 1;

export type RollbackStatus = 'running' | 'applied' | 'failed';

export interface RollbackRecord {
  status: RollbackStatus;
  at: string;
  by?: string;
  error?: string;
}

export interface StateFile {
  version: number;
  runbook: string;
  env: string;
  updatedAt: string;
  steps: Record<string, Checkpoint>;
  rollbacks: Record<string, RollbackRecord>;
  // `migrate watch` keeps its records in watch.json beside this file: it runs beside run and
  // rollback, which own this file under the lock.
}

export function emptyState(runbook: string, env: string): StateFile {
  return { version: STATE_VERSION, runbook, env, updatedAt: new Date(0).toISOString(), steps: {}, rollbacks: {} };
}

/**
 * Where checkpoints live. The local file is the only backend today; a shared one (S3 with
 * conditional writes) can implement the same two methods without the engine knowing.
 */
export interface StateStore {
  readonly location: string;
  load(): Promise<StateFile>;
  save(state: StateFile): Promise<void>;
}
