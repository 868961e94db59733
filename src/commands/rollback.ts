import { RunbookError } from '../errors.js';
import { runRollback } from '../rollback/run.js';
import { checkAccountFirst, execute, type Executed } from './execute.js';
import { planRollback } from '../rollback/plan.js';
import type { RollbackCommandOptions } from './options.js';
import { printJson } from './print.js';
import { refuseWithoutTty } from './render.js';
import { runbookPath } from './locate.js';
import { loadRunbookSummary } from '../runbook/summary.js';
import { globalFlags } from './resume.js';

/**
 * A rollback id that the runbook does not have is a usage error (exit 2) naming the ones it has,
 * before the environment, its variables, the lock or a terminal come into it.
 */
async function checkRollbackId(id: string, opts: RollbackCommandOptions): Promise<void> {
  const summary = await loadRunbookSummary(runbookPath(opts));
  if (/^[A-Za-z0-9_-]+$/.test(id) && summary.rollback.some((r) => r.id === id)) return;
  const known = summary.rollback.map((r) => `${r.id} (${r.title})`).join(', ');
  const hint = known ? `Rollbacks: ${known}.` : 'This runbook defines no rollback entries.';
  throw new RunbookError('USAGE', /^[A-Za-z0-9_-]+$/.test(id) ? `the runbook has no rollback ${id}` : `"${id}" is not a rollback number`, { hint });
}

export async function executeRollback(id: string, opts: RollbackCommandOptions): Promise<Executed> {
  await checkRollbackId(id, opts);
  const dryRun = !!opts.dryRun;
  const label = `rollback ${id}${dryRun ? ' --dry-run' : ''}`;
  return execute(opts, { label, dryRun, yes: opts.yes, confirmEnv: opts.confirmEnv }, async (session, deps) => {
    if (!dryRun) refuseWithoutTty(`migrate rollback ${id}`, opts.yes);
    const stages = planRollback(session.resolved, id);
    await checkAccountFirst(session, stages.flatMap((s) => [...s.undo, ...s.steps].map((step) => session.state.steps[step.ref]?.type ?? step.type)));
    const flags = globalFlags(opts, session.env.name, Object.keys(session.runbook.environments).length);
    return runRollback(deps, session.resolved, { id, force: !!opts.force, command: `migrate ${label}`, resumeCommand: (extra) => `migrate rollback ${id}${flags}${extra ? ` ${extra}` : ''}` });
  });
}

export async function rollbackCommand(id: string, opts: RollbackCommandOptions): Promise<number> {
  const { result, events, env } = await executeRollback(id, opts);
  if (opts.json) printJson({ command: `rollback ${id}`, env, dryRun: !!opts.dryRun, ok: result.ok, summary: result.summary, events });
  if (result.error) throw result.error;
  return result.ok ? 0 : 1;
}
