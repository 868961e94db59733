/** Options every command takes (DESIGN.md "Global options"). */
export interface GlobalOptions {
  runbook?: string | undefined;
  env?: string | undefined;
  stateDir?: string | undefined;
  json?: boolean | undefined;
  color?: boolean | undefined;
  debug?: boolean | undefined;
  /** AWS config profile; overrides the environment's `profile:`. */
  profile?: string | undefined;
}

export interface RunOptions extends GlobalOptions {
  dryRun?: boolean | undefined;
  yes?: boolean | undefined;
  confirmEnv?: string | undefined;
  from?: string | undefined;
  only?: string | undefined;
  /** --reapply: steps written again although applied. */
  reapply?: string[] | undefined;
}

export interface RollbackCommandOptions extends GlobalOptions {
  dryRun?: boolean | undefined;
  yes?: boolean | undefined;
  confirmEnv?: string | undefined;
  force?: boolean | undefined;
}

export const DEFAULT_RUNBOOK = 'runbooks/cognito-migration.yaml';
