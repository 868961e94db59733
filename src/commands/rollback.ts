import { RunbookError } from '../errors.js';
import { runRollback } from '../rollback/run.js';
import { openSession } from './context.js';
import type { RollbackCommandOptions } from './options.js';
import { printJson } from './print.js';
import { chooseOutput, refuseWithoutTty } from './render.js';

export async function rollbackCommand(id: string, opts: RollbackCommandOptions): Promise<number> {
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
    if (opts.json) printJson({ command: label, env: session.env.name, dryRun, ok: result.ok, summary: result.summary, events: output.events });
    if (result.error) throw result.error;
    return result.ok ? 0 : 1;
  } finally {
    await session.close();
  }
}
