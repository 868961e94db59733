import { RunbookError } from '../errors.js';
import { runPhase } from '../engine/engine.js';
import { selectSteps } from '../engine/select.js';
import { PHASES, type PhaseName } from '../runbook/schema.js';
import { getStepType } from '../steps/index.js';
import { openSession } from './context.js';
import type { RunOptions } from './options.js';
import { chooseOutput, refuseWithoutTty } from './render.js';
import { printJson } from './print.js';

function phaseOf(name: string): PhaseName {
  if ((PHASES as readonly string[]).includes(name)) return name as PhaseName;
  throw new RunbookError('USAGE', `unknown phase "${name}"`, { hint: `Phases are: ${PHASES.join(', ')}. Rollbacks run with "migrate rollback N".` });
}

/** `migrate plan <phase>` is `migrate run <phase> --dry-run`. */
export async function runCommand(phaseName: string, opts: RunOptions): Promise<number> {
  const phase = phaseOf(phaseName);
  const dryRun = !!opts.dryRun;
  const envFlag = opts.env ?? process.env.MIGRATE_ENV;
  const label = `${dryRun ? 'plan' : 'run'} ${phase}`;
  const session = await openSession(opts, { command: label, dryRun, lock: true });
  try {
    const steps = selectSteps(session.resolved.phases[phase], { from: opts.from, only: opts.only }, phase);
    if (steps.length === 0) throw new RunbookError('USAGE', `phase "${phase}" has no steps`);
    if (!dryRun && steps.some((s) => getStepType(s.type)?.mutates)) refuseWithoutTty(`migrate run ${phase}`, opts.yes);
    const output = chooseOutput(opts);
    const deps = session.deps(output.prompter({ yes: opts.yes, confirmEnv: opts.confirmEnv, dryRun }), output.emit);
    const envPart = envFlag || Object.keys(session.runbook.environments).length > 1 ? ` --env ${session.env.name}` : '';
    const result = await runPhase(deps, steps, {
      command: `migrate ${label}`,
      resumeCommand: (id) => `migrate run ${phase}${envPart} --from ${id}`,
    });
    await output.finish();
    if (opts.json) printJson({ command: label, env: session.env.name, dryRun, ok: result.ok, summary: result.summary, events: output.events });
    if (result.error) throw result.error;
    return result.ok ? 0 : 1;
  } finally {
    await session.close();
  }
}
