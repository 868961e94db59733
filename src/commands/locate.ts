import { dirname, join, resolve } from 'node:path';
import { pickEnvironment } from '../runbook/environment.js';
import { loadRunbookSummary, type RunbookSummary } from '../runbook/summary.js';
import { chooseState, type StateChoice } from '../state/backend.js';
import type { EnvironmentInfo } from '../steps/types.js';
import { DEFAULT_RUNBOOK, type GlobalOptions } from './options.js';

export function runbookPath(opts: GlobalOptions): string {
  return resolve(opts.runbook ?? process.env.MIGRATE_RUNBOOK ?? DEFAULT_RUNBOOK);
}

export function stateRoot(opts: GlobalOptions, file: string): string {
  return resolve(opts.stateDir ?? process.env.MIGRATE_STATE_DIR ?? join(dirname(file), '.migrate'));
}

export interface LocatedEnvironment {
  file: string;
  runbook: RunbookSummary;
  env: EnvironmentInfo;
  envDir: string;
  stateChoice: StateChoice;
}

/** Runbook summary, environment and state directory, for commands that only read (status). */
export async function locateEnvironment(opts: GlobalOptions): Promise<LocatedEnvironment> {
  const file = runbookPath(opts);
  const runbook = await loadRunbookSummary(file);
  const name = pickEnvironment(runbook, opts.env, process.env);
  const def = runbook.environments[name]!;
  const env: EnvironmentInfo = {
    name,
    region: def.region,
    account: def.account,
    protected: def.protected ?? false,
    profile: opts.profile ?? def.profile,
    profileFromFlag: !!opts.profile,
  };
  return { file, runbook, env, envDir: join(stateRoot(opts, file), name), stateChoice: chooseState(opts, def) };
}
