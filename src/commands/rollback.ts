import { RunbookError } from '../errors.js';
import { runRollback } from '../rollback/run.js';
import { checkAccountFirst, execute, type Executed } from './execute.js';
import { planRollback } from '../rollback/plan.js';
import type { RollbackCommandOptions } from './options.js';
import { printJson } from './print.js';
import { isInteractive, refuseWithoutTty } from './render.js';
import type { Session } from './context.js';
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
  throw new RunbookError('USAGE', /^[A-Za-z0-9_-]+$/.test(id) ? `the runbook has no rollback ${id}` : `"${id}" is not a rollback number`, {
    hint,
  });
}

export async function executeRollback(id: string, opts: RollbackCommandOptions): Promise<Executed> {
  await checkRollbackId(id, opts);
  const dryRun = !!opts.dryRun;
  const label = `rollback ${id}${dryRun ? ' --dry-run' : ''}`;
  return execute(opts, { label, dryRun, yes: opts.yes, confirmEnv: opts.confirmEnv }, async (session, deps) => {
    if (!dryRun) refuseWithoutTty(`migrate rollback ${id}`, opts.yes);
    const stages = planRollback(session.resolved, id);
    await checkAccountFirst(
      session,
      stages.flatMap((s) => [...s.undo, ...s.steps].map((step) => session.state.steps[step.ref]?.type ?? step.type)),
    );
    await weighCost(session, id, opts, dryRun);
    const flags = globalFlags(opts, session.env.name, Object.keys(session.runbook.environments).length);
    return runRollback(deps, session.resolved, {
      id,
      force: !!opts.force,
      command: `migrate ${label}`,
      resumeCommand: (extra) => `migrate rollback ${id}${flags}${extra ? ` ${extra}` : ''}`,
    });
  });
}

/**
 * Says what the rollback would strand (its runbook `cost:`); past its point of no return
 * (`maxCost`) a person must accept the figure: typed at a terminal, or --accept-cost N with --yes.
 */
async function weighCost(session: Session, id: string, opts: RollbackCommandOptions, dryRun: boolean): Promise<void> {
  const entry = session.resolved.rollback.find((r) => r.id === id);
  if (!entry?.cost) return;
  const { rollbackCosts } = await import('./cost.js');
  const { describeCost, overCost } = await import('../rollback/cost.js');
  const cost = (await rollbackCosts(session.runbook, session.env, session.state.steps, [id], session.aws))[id] ?? null;
  if (!cost) return;
  const over = overCost(cost, entry.maxCost);
  const out = opts.json ? process.stderr : process.stdout;
  out.write(
    `${describeCost(id, cost)}${entry.maxCost !== undefined ? ` (point of no return: ${entry.maxCost}${over ? ', passed' : ''})` : ''}\n`,
  );
  if (dryRun || !over) return;
  const figure = cost.value === null ? 'unknown' : String(cost.value);
  if (opts.acceptCost !== undefined) {
    const accepted = Number(opts.acceptCost);
    if (cost.value !== null && Number.isFinite(accepted) && cost.value <= accepted) return;
    throw new RunbookError(
      'NOT_CONFIRMED',
      `rollback ${id} would strand ${figure} users, more than --accept-cost ${opts.acceptCost}; nothing was changed`,
      {
        hint:
          cost.value === null
            ? 'The cost could not be counted; fix that first (see above).'
            : `Look at them with "migrate users export-since --step ${cost.since} --out FILE", then pass --accept-cost ${cost.value}.`,
      },
    );
  }
  if (opts.yes || !isInteractive() || cost.value === null) {
    throw new RunbookError(
      'NOT_CONFIRMED',
      `rollback ${id} is past its point of no return: it would strand ${figure} users (maxCost ${entry.maxCost}); nothing was changed`,
      {
        hint:
          cost.value === null
            ? 'The cost could not be counted; fix that first (see above).'
            : `Export them first (migrate users export-since --step ${cost.since} --out FILE), then run again with --yes --accept-cost ${cost.value}, or at a terminal type the figure.`,
      },
    );
  }
  const { input } = await import('@inquirer/prompts');
  const typed = await input({
    message: `Rollback ${id} would strand ${figure} users (point of no return: ${entry.maxCost}). Type ${figure} to go on:`,
  }).catch(() => '');
  if (typed.trim() !== figure) throw new RunbookError('NOT_CONFIRMED', `rollback ${id}: the cost was not accepted; nothing was changed`);
}

export async function rollbackCommand(id: string, opts: RollbackCommandOptions): Promise<number> {
  const { result, events, env } = await executeRollback(id, opts);
  if (opts.json) printJson({ command: `rollback ${id}`, env, dryRun: !!opts.dryRun, ok: result.ok, summary: result.summary, events });
  if (result.error) throw result.error;
  return result.ok ? 0 : 1;
}
