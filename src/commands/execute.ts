import { RunbookError } from '../errors.js';
import type { EngineDeps } from '../engine/deps.js';
import type { PhaseResult } from '../engine/engine.js';
import type { EngineEvent } from '../engine/events.js';
import { openSession, type Session } from './context.js';
import type { GlobalOptions } from './options.js';
import { chooseOutput } from './render.js';

export interface Executed {
  result: PhaseResult;
  events: EngineEvent[];
  env: string;
}

/**
 * The account check runs before the first step rather than at the first AWS call, so a wrong
 * profile stops the run before even a manual step is confirmed and recorded.
 */
export async function checkAccountFirst(session: Session, types: string[]): Promise<void> {
  const { getStepType } = await import('../steps/index.js');
  if (types.some((t) => getStepType(t)?.usesAws)) await session.aws.ensureIdentity();
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
export async function execute(opts: GlobalOptions, spec: ExecuteSpec, body: (session: Session, deps: EngineDeps) => Promise<PhaseResult>): Promise<Executed> {
  const session = await openSession(opts, { command: spec.label, dryRun: spec.dryRun, lock: true });
  try {
    const output = chooseOutput(opts);
    const deps = session.deps(output.prompter({ yes: spec.yes, confirmEnv: spec.confirmEnv, dryRun: spec.dryRun, signal: session.signal }), output.emit);
    const result = await body(session, deps);
    await output.finish();
    // Stopped by a signal or a closed stdout: the exact way back goes to stderr, where it is seen
    // even when stdout is a file, a pipe or gone.
    if (session.signal.aborted && !spec.dryRun && result.error?.code === 'ABORTED' && result.summary.resume) {
      const { message, exitCode, cause } = result.error;
      result.error = new RunbookError('ABORTED', message, { exitCode, cause, hint: `The state was saved and the lock released. To resume: ${result.summary.resume}` });
    }
    return { result, events: output.events, env: session.env.name };
  } finally {
    await session.close();
  }
}
