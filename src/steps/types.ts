import type { ZodType } from 'zod';

/** What a step reads and writes is plain JSON, so it can be checkpointed and compared. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export interface EnvironmentInfo {
  name: string;
  region: string;
  account: string;
  protected: boolean;
  /** The AWS config profile for its clients: `--profile`, else the environment's `profile:`. */
  profile?: string | undefined;
  /** True when `profile` came from `--profile` (for hints that say where a profile was named). */
  profileFromFlag?: boolean | undefined;
}

/** Anything with the shape of an AWS SDK v3 client constructor. */
// biome-ignore lint/suspicious/noExplicitAny: each SDK client's constructor takes its own config type.
export type ClientCtor<C> = new (config: any) => C;

/**
 * AWS clients come in through the run context, never from module scope, so the dry-run guard,
 * the account check, the region and the retry policy are applied in one place.
 */
export interface AwsClients {
  /**
   * Builds (once per constructor and config) a client in the environment's region. Awaits the
   * account check. `config` overrides client settings, e.g. { retryMode: 'standard' } for a caller
   * that paces its own requests.
   */
  client<C>(ctor: ClientCtor<C>, config?: Record<string, unknown>): Promise<C>;
  /** Answers shared by the steps of one read pass (see Lookups); absent, every read is sent. */
  readonly lookups?: Lookups | undefined;
}

/**
 * AWS answers shared by the steps of one read pass (a dry run, the check of a saved plan): name to
 * id look-ups and reads of live state that several steps make. Outside a read pass, and after any
 * write, nothing is shared (src/aws/lookups.ts).
 */
export interface Lookups {
  /** The answer kept under `key` (client, operation and input) in this read pass, else `load()`'s. */
  memo<T>(key: string, load: () => Promise<T>): Promise<T>;
}

export interface Clock {
  /** MIGRATE_TIME_SCALE: every duration the tool waits or measures is divided by it. */
  readonly scale: number;
  now(): number;
  /** Sleeps `ms` of plan time (divided by the scale), reporting the countdown under `label`. */
  sleep(ms: number, label?: string): Promise<void>;
}

export interface StepContext {
  readonly env: EnvironmentInfo;
  readonly aws: AwsClients;
  readonly dryRun: boolean;
  readonly clock: Clock;
  /** Aborted on Ctrl-C or when the step's timeout passes. */
  readonly signal: AbortSignal;
  /** Who runs this: the OS user and, once known, the AWS caller ARN. */
  readonly operator: string;
  /** This step's last checkpoint, if it has one (manual steps read their confirmation from it). */
  readonly previous?: Checkpoint | undefined;
  /** A line of progress for long waits ("waiting for INSYNC, 40s left"). */
  progress(message: string): void;
}

export type Change<S> = { noop: true; current: S; summary?: string } | { noop: false; before: S; after: S; summary: string };

/** Every status a checkpoint may have; code that lists or validates statuses takes them from here. */
export const STEP_STATUSES = [
  'pending',
  'applying',
  'applied',
  'noop',
  'skipped',
  'failed',
  'undoing',
  'interrupted',
  'rolled-back',
] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];

/**
 * Statuses whose change may be live, half-made or half-undone: only live state, compared with the
 * checkpoint's before and after, tells which, and the recorded before is kept until it does.
 */
export const IN_FLIGHT_STATUSES: readonly StepStatus[] = ['applying', 'undoing', 'interrupted'];

/** A change was sent (or about to be) and its checkpoint was never finished: a crash leaves
 * `applying`, a signal `interrupted`; the next run reconciles either from live state. */
export function isUnfinished(status: StepStatus | undefined): boolean {
  return status === 'applying' || status === 'interrupted';
}

export interface Checkpoint<S = unknown, P = unknown> {
  ref: string;
  type: string;
  title: string;
  status: StepStatus;
  /** The resolved parameters the step ran with: undo uses these, not today's runbook. */
  params: P;
  before?: S;
  after?: S;
  /** Digest of the step's definition in the runbook when it ran. */
  digest: string;
  at: string;
  by?: string;
  error?: { code?: string; message: string };
  rolledBackAt?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the registry holds step types of every parameter and state type.
export interface StepType<P = any, S = any> {
  name: string;
  /** One line for `--help`, the schema and "did you mean". */
  description: string;
  params: ZodType<P>;
  /** False for assert/check/wait steps: they need no confirmation and leave no checkpoint to undo. */
  mutates: boolean;
  /** Calls AWS: a run that includes it checks the caller's account before its first step. */
  usesAws?: boolean;
  /** Live state, through read-only calls only. */
  read(ctx: StepContext, p: P): Promise<S>;
  /**
   * For `migrate watch`: a read whose state says the probe could not run (unreachable: 'error') or
   * had nothing to judge ('missing'), rather than that the service answered wrongly.
   */
  probeOutcome?(current: S): 'error' | 'missing' | undefined;
  /** Pure: what apply would change. A mismatch an assert cannot fix is thrown as a RunbookError. */
  plan(current: S, p: P): Change<S>;
  /** Mutating calls; returns the new live state. */
  apply(ctx: StepContext, change: Extract<Change<S>, { noop: false }>, p: P): Promise<S>;
  /** Waits until the change is effective (Route 53 INSYNC, HTTP 200 ...). */
  verify?(ctx: StepContext, p: P, state: S): Promise<void>;
  /** Restores checkpoint.before; returns the live state afterwards. */
  undo?(ctx: StepContext, checkpoint: Checkpoint<S, P>): Promise<S>;
  /**
   * The resources the step reads and writes, as stable keys derived from its parameters
   * ("route53:<zone>/<name>/<type>/<setIdentifier>", "apigateway:<api>/policy"). Its state S is
   * the state of exactly these. The planner hands a step the predicted state an earlier step
   * leaves on the same key. Left out, the step shares its resource with no other step.
   */
  resources?(p: P): string[];
  /** Whether two live states are the same for drift purposes; deep equality of JSON by default. */
  same?(a: S, b: S): boolean;
  /** What a dry run says for a step that only acts when run (wait, manual). */
  describe?(p: P): string;
}
