import { RunbookError } from '../errors.js';
import { runPhase } from '../engine/engine.js';
import { selectSteps } from '../engine/select.js';
import { PHASES, type PhaseName } from '../runbook/schema.js';
import { getStepType } from '../steps/index.js';
import { checkAccountFirst, execute, type Executed } from './execute.js';
import type { RunOptions } from './options.js';
import { refuseWithoutTty } from './render.js';
import { printJson } from './print.js';

function phaseOf(name: string): PhaseName {
  if ((PHASES as readonly string[]).includes(name)) return name as PhaseName;
  throw new RunbookError('USAGE', `unknown phase "${name}"`, { hint: `Phases are: ${PHASES.join(', ')}. Rollbacks run with "migrate rollback N".` });
}

/** A phase from open to close; `migrate run`, `migrate plan` and `migrate rehearse` all come here. */
export function executePhase(phaseName: string, opts: RunOptions): Promise<Executed> {
  const phase = phaseOf(phaseName);
  const dryRun = !!opts.dryRun;
  const label = `${dryRun ? 'plan' : 'run'} ${phase}`;
  return execute(opts, { label, dryRun, yes: opts.yes, confirmEnv: opts.confirmEnv }, async (session, deps) => {
    const steps = selectSteps(session.resolved.phases[phase], { from: opts.from, only: opts.only }, phase);
    if (steps.length === 0) throw new RunbookError('USAGE', `phase "${phase}" has no steps`);
    if (!dryRun && steps.some((s) => getStepType(s.type)?.mutates)) refuseWithoutTty(`migrate run ${phase}`, opts.yes);
    await checkAccountFirst(session, steps.map((s) => s.type));
    const envFlag = opts.env ?? process.env.MIGRATE_ENV;
    const envPart = envFlag || Object.keys(session.runbook.environments).length > 1 ? ` --env ${session.env.name}` : '';
    return runPhase(deps, steps, { command: `migrate ${label}`, resumeCommand: (id) => `migrate run ${phase}${envPart} --from ${id}` });
  });
}

export async function runCommand(phaseName: string, opts: RunOptions): Promise<number> {
  const { result, events, env } = await executePhase(phaseName, opts);
  if (opts.json) printJson({ command: `${opts.dryRun ? 'plan' : 'run'} ${phaseName}`, env, dryRun: !!opts.dryRun, ok: result.ok, summary: result.summary, events });
  if (result.error) throw result.error;
  return result.ok ? 0 : 1;
}
