import { RunbookError } from '../errors.js';
import type { EngineDeps } from '../engine/deps.js';
import type { PhaseResult } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { openSession, type Session } from './context.js';
import type { GlobalOptions } from './options.js';
import { chooseOutput } from './render.js';
import { notifyHook } from './notify.js';
import { auditStepEnds } from '../record/step-audit.js';

export interface Executed {
  result: PhaseResult;
  events: EngineEvent[];
  env: string;
  /** Plan time each step waited (see Session.waited). */
  waited: Map<string, number>;
  /** The runbook and environment the run used, for what is printed after it (no second load). */
  loaded?: Pick<Session, 'file' | 'runbook' | 'env'> | undefined;
}

/**
 * The account check runs before the first step rather than at the first AWS call, so a wrong
 * profile stops the run before even a manual step is confirmed and recorded.
 */
export async function checkAccountFirst(session: Session, types: string[]): Promise<void> {
  const { getStepType } = await import('../steps/index.js');
  if (types.some((t) => getStepType(t)?.usesAws)) await session.aws.ensureIdentity();
}

/**
 * The account check of a dry run, started now and awaited by the engine before its first step
 * (`ready`): the phase's reads go out meanwhile, and nothing is shown or recorded before it passes.
 */
export function accountCheckInFlight(session: Session, types: string[]): Promise<void> {
  const check = checkAccountFirst(session, types);
  check.catch(() => undefined);
  return check;
}

export interface ExecuteSpec {
  /** "run mid", "rollback 3 --dry-run": for the lock, the audit log and the header. */
  label: string;
  dryRun: boolean;
  yes?: boolean | undefined;
  confirmEnv?: string | undefined;
}

/**
 * Session, output and prompter around one engine call, closed (lock released) whatever happens:
 * the shared frame of run, plan, rollback and the rehearsal.
 */
export async function execute(
  opts: GlobalOptions,
  spec: ExecuteSpec,
  body: (session: Session, deps: EngineDeps) => Promise<PhaseResult>,
): Promise<Executed> {
  const session = await openSession(opts, { command: spec.label, dryRun: spec.dryRun, lock: true });
  try {
    const output = await chooseOutput(opts);
    // The team hears of phase start, end, failure and a manual step waiting (notify: in the runbook).
    const hook = spec.dryRun
      ? undefined
      : notifyHook(session.runbook, session.env.name, (line) => process.stderr.write(`${line}\n`), { unattended: spec.yes });
    const emit: typeof output.emit = hook
      ? (event) => {
          output.emit(event);
          hook.engine(event);
        }
      : output.emit;
    const steps = auditStepEnds(emit, (event) => session.audit.append(event), {
      dryRun: spec.dryRun,
      waitedMs: (ref) => session.waited.get(ref) ?? 0,
    });
    const deps = {
      ...session.deps(
        output.prompter({ yes: spec.yes, confirmEnv: spec.confirmEnv, dryRun: spec.dryRun, signal: session.signal }),
        steps.emit,
      ),
      audit: steps.audit,
    };
    try {
      const result = await body(session, deps);
      await output.finish();
      // Stopped by a signal or a closed stdout: the exact way back goes to stderr, where it is seen
      // even when stdout is a file, a pipe or gone.
      if (session.signal.aborted && !spec.dryRun && result.error?.code === 'ABORTED' && result.summary.resume) {
        const { message, exitCode, cause } = result.error;
        result.error = new RunbookError('ABORTED', message, {
          exitCode,
          cause,
          hint: `The state was saved and the lock released. To resume: ${result.summary.resume}`,
        });
      }
      return {
        result,
        events: output.events,
        env: session.env.name,
        waited: session.waited,
        loaded: { file: session.file, runbook: session.runbook, env: session.env },
      };
    } finally {
      await steps.flush();
      await hook?.flush();
    }
  } finally {
    await session.close();
  }
}
