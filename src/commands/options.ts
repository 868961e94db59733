/** Options every command takes (DESIGN.md "Global options"). */
export interface GlobalOptions {
  runbook?: string | undefined;
  env?: string | undefined;
  stateDir?: string | undefined;
  /** `s3://BUCKET/PREFIX` (or `local`): the state backend. */
  state?: string | undefined;
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
  /** plan --out: save the plan to this file. */
  out?: string | undefined;
  /** run --plan: apply exactly this saved plan. */
  plan?: string | undefined;
  /** --reapply: steps written again although applied. */
  reapply?: string[] | undefined;
}

export interface RollbackCommandOptions extends GlobalOptions {
  dryRun?: boolean | undefined;
  yes?: boolean | undefined;
  confirmEnv?: string | undefined;
  force?: boolean | undefined;
  /** Accepts a rollback's cost up to this figure (past its maxCost), with --yes. */
  acceptCost?: string | undefined;
}

export const DEFAULT_RUNBOOK = 'runbooks/cognito-migration.yaml';
