/**
 * Every expected failure is a RunbookError: a stable code, a message for the operator, a hint that
 * says what to do next, and the process exit code the CLI entry maps it to. Nothing else in the
 * code base calls process.exit.
 */
export const ExitCode = {
  ok: 0,
  stepFailed: 1,
  usage: 2,
  locked: 3,
  aborted: 4,
  drift: 5,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorCode =
  | 'USAGE'
  | 'RUNBOOK_NOT_FOUND'
  | 'RUNBOOK_INVALID'
  | 'STEP_FAILED'
  | 'STEP_TIMEOUT'
  | 'ASSERTION_FAILED'
  | 'LOCKED'
  | 'LOCK_STALE'
  | 'ABORTED'
  | 'NOT_CONFIRMED'
  | 'NO_TTY'
  | 'DRIFT'
  | 'STATE_CORRUPT'
  | 'STATE_NEWER'
  | 'STATE_CONFLICT'
  | 'WRONG_ACCOUNT'
  | 'WRONG_REGION'
  | 'DRY_RUN_WRITE'
  | 'AWS_ERROR'
  | 'AWS_CREDENTIALS'
  | 'SANDBOX'
  | 'USERS'
  | 'FILESYSTEM'
  | 'STATE_UNSAFE';

const defaultExit: Record<ErrorCode, ExitCode> = {
  USAGE: ExitCode.usage,
  RUNBOOK_NOT_FOUND: ExitCode.usage,
  RUNBOOK_INVALID: ExitCode.usage,
  STEP_FAILED: ExitCode.stepFailed,
  STEP_TIMEOUT: ExitCode.stepFailed,
  ASSERTION_FAILED: ExitCode.stepFailed,
  LOCKED: ExitCode.locked,
  LOCK_STALE: ExitCode.locked,
  ABORTED: ExitCode.aborted,
  NOT_CONFIRMED: ExitCode.aborted,
  NO_TTY: ExitCode.aborted,
  DRIFT: ExitCode.drift,
  STATE_CORRUPT: ExitCode.usage,
  STATE_NEWER: ExitCode.usage,
  STATE_CONFLICT: ExitCode.locked,
  WRONG_ACCOUNT: ExitCode.usage,
  WRONG_REGION: ExitCode.usage,
  DRY_RUN_WRITE: ExitCode.stepFailed,
  AWS_ERROR: ExitCode.stepFailed,
  AWS_CREDENTIALS: ExitCode.usage,
  SANDBOX: ExitCode.stepFailed,
  USERS: ExitCode.stepFailed,
  FILESYSTEM: ExitCode.stepFailed,
  STATE_UNSAFE: ExitCode.usage,
};

export interface RunbookErrorOptions {
  hint?: string;
  exitCode?: ExitCode;
  cause?: unknown;
  /** Extra lines shown under the message (a diff, a list of validation errors). */
  details?: string[];
}

export class RunbookError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly exitCode: ExitCode;
  readonly details: string[];

  constructor(code: ErrorCode, message: string, options: RunbookErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RunbookError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? defaultExit[code];
    this.details = options.details ?? [];
  }
}

export function isRunbookError(error: unknown): error is RunbookError {
  return error instanceof RunbookError;
}

/** The message of anything thrown, without assuming it is an Error. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
