import type { PhaseName, RunbookDocument, EnvironmentDef, CheckDoc, UsersMapping } from './schema.js';

export interface SourceLocation {
  file: string;
  line: number;
  col: number;
  /** Path in the document, such as "phases.mid[2].with.maxTtl". */
  path: string;
}

/** A runnable step: sub-step groups are flattened, so `pre.1` with 1a..1d gives four of these. */
export interface StepDef {
  /** "mid.3", "pre.1a", or "rollback.5.1" for a step inside a rollback entry. */
  ref: string;
  phase: PhaseName | 'rollback';
  id: string;
  title: string;
  /** Title of the group this step belongs to ("Cognito user pool configured"), if any. */
  group?: string | undefined;
  /** Id of that group ("1" for pre.1a), so --from 1 and --only 1 select the whole group. */
  groupId?: string | undefined;
  type: string;
  /** Parameters as written, before interpolation. */
  with: Record<string, unknown>;
  timeoutMs?: number | undefined;
  verify: string[];
  /** Digest of this step's definition: a changed step is warned about when its phase runs again. */
  digest: string;
  loc?: SourceLocation | undefined;
}

export interface RollbackDef {
  id: string;
  title: string;
  when?: string | undefined;
  undo: string[];
  steps: StepDef[];
  then: string[];
  trigger?: TriggerDef | undefined;
  cost?: CostDef | undefined;
  /** Point of no return: a cost above it stops auto-rollback and asks a person to accept it. */
  maxCost?: number | undefined;
  loc?: SourceLocation | undefined;
}

export type MissingData = 'error' | 'breaching' | 'notBreaching' | 'ignore';

/** A rollback's trigger, with durations in plan milliseconds. */
export interface TriggerDef {
  check: string;
  /** Continuous window; 0 when the trigger counts failures instead. */
  failingForMs: number;
  /** "N of M": N failures among the last `of` results, or within `withinMs`. */
  failures?: { count: number; of?: number | undefined; withinMs?: number | undefined } | undefined;
  errorLimit?: number | undefined;
  missingData?: MissingData | undefined;
  activeAfter?: string | undefined;
  activeUntil?: string | undefined;
}

export interface CostDef {
  counter: 'cognito.usersCreatedSince' | 'cognito.usersChangedSince';
  since: string;
  userPool?: string | undefined;
}

export interface CheckDef {
  name: string;
  type: string;
  with: Record<string, unknown>;
  intervalMs: number;
  description?: string | undefined;
  warmupMs?: number | undefined;
  activeAfter?: string | undefined;
  activeUntil?: string | undefined;
}

export interface Runbook {
  file: string;
  /** sha256 of the file's bytes. */
  digest: string;
  name: string;
  doc: RunbookDocument;
  environments: Record<string, EnvironmentDef>;
  phases: Record<PhaseName, StepDef[]>;
  rollback: RollbackDef[];
  checks: Record<string, CheckDef>;
  users?: UsersMapping | undefined;
}

/** A step with its parameters interpolated for one environment and parsed by its step type. */
export interface ResolvedStep extends StepDef {
  params: unknown;
}

export interface ResolvedRunbook {
  runbook: Runbook;
  env: { name: string; region: string; account: string; protected: boolean; vars: Record<string, string> };
  phases: Record<PhaseName, ResolvedStep[]>;
  rollback: (Omit<RollbackDef, 'steps'> & { steps: ResolvedStep[] })[];
  checks: Record<string, CheckDef & { params: unknown }>;
}

export type { PhaseName, CheckDoc };
