import { dirname, join, resolve } from 'node:path';
import { pickEnvironment } from '../runbook/environment.js';
import { loadRunbookSummary, type RunbookSummary } from '../runbook/summary.js';
import { chooseState, type StateChoice } from '../state/backend.js';
import type { S3StateConfig } from '../state/s3-location.js';
import type { EnvironmentInfo } from '../steps/types.js';
import type { GlobalOptions } from './options.js';
import { runbookPath } from './runbook-path.js';

export { runbookPath };

export function stateRoot(opts: GlobalOptions, file: string): string {
  return resolve(opts.stateDir ?? process.env.MIGRATE_STATE_DIR ?? join(dirname(file), '.migrate'));
}

/** The environment a command acts on, its state folder and its state backend: alike for every command. */
export function placeEnvironment(
  opts: GlobalOptions,
  file: string,
  name: string,
  def: {
    region: string;
    account: string;
    protected?: boolean | undefined;
    profile?: string | undefined;
    state?: { s3: S3StateConfig } | undefined;
  },
): { env: EnvironmentInfo; envDir: string; stateChoice: StateChoice } {
  const env: EnvironmentInfo = {
    name,
    region: def.region,
    account: def.account,
    protected: def.protected ?? false,
    profile: opts.profile ?? def.profile,
    profileFromFlag: !!opts.profile,
  };
  return { env, envDir: join(stateRoot(opts, file), name), stateChoice: chooseState(opts, def) };
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
  return { file, runbook, ...placeEnvironment(opts, file, name, runbook.environments[name]!) };
}
