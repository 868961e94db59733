import { RunbookError } from '../errors.js';
import { runRollback } from '../rollback/run.js';
import { openSession } from './context.js';
import type { RollbackCommandOptions } from './options.js';
import { printJson } from './print.js';
import { chooseOutput, refuseWithoutTty } from './render.js';
import type { Executed } from './run.js';

export async function executeRollback(id: string, opts: RollbackCommandOptions): Promise<Executed> {
  if (!/^[A-Za-z0-9_-]+$/.test(id)) throw new RunbookError('USAGE', `"${id}" is not a rollback number`, { hint: 'Run "migrate status" to list the rollback entries.' });
  const dryRun = !!opts.dryRun;
  const label = `rollback ${id}${dryRun ? ' --dry-run' : ''}`;
  const session = await openSession(opts, { command: label, dryRun, lock: true });
  try {
    if (!dryRun) refuseWithoutTty(`migrate rollback ${id}`, opts.yes);
    const output = chooseOutput(opts);
    const deps = session.deps(output.prompter({ yes: opts.yes, confirmEnv: opts.confirmEnv, dryRun }), output.emit);
    const result = await runRollback(deps, session.resolved, { id, force: !!opts.force, command: `migrate ${label}` });
    await output.finish();
    return { result, events: output.events, env: session.env.name };
  } finally {
    await session.close();
  }
}

export async function rollbackCommand(id: string, opts: RollbackCommandOptions): Promise<number> {
  const { result, events, env } = await executeRollback(id, opts);
  if (opts.json) printJson({ command: `rollback ${id}`, env, dryRun: !!opts.dryRun, ok: result.ok, summary: result.summary, events });
  if (result.error) throw result.error;
  return result.ok ? 0 : 1;
}
