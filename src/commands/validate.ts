import { loadRunbookFast } from '../runbook/fast.js';
import { PHASES } from '../runbook/constants.js';
import { colourWanted } from '../output/colour.js';
import { runbookPath } from './runbook-path.js';
import { loadStepPlugins } from '../steps/plugins.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';

/** Schema, references and variables for every environment; no AWS calls. */
export async function validateCommand(opts: GlobalOptions): Promise<number> {
  const file = runbookPath(opts);
  await loadStepPlugins();
  const runbook = await loadRunbookFast(file);
  // Every environment is checked by the loader; ${env.X} need not be set for that. Naming an
  // environment also resolves it against this shell, so an operator sees an unset variable now.
  const envs = opts.env ? [opts.env] : Object.keys(runbook.environments);
  if (opts.env) {
    // Only with --env: resolving loads the step types and the terraform reader.
    const [{ pickEnvironment }, { resolveRunbookFast }, { loadTerraformOutputs }] = await Promise.all([
      import('../runbook/environment.js'),
      import('../runbook/resolve-fast.js'),
      import('../runbook/terraform.js'),
    ]);
    const env = pickEnvironment(runbook, opts.env, process.env);
    const tf = await loadTerraformOutputs(runbook, env, { profile: opts.profile ?? runbook.environments[env]?.profile });
    await resolveRunbookFast(runbook, env, process.env, tf);
  }
  const counts = PHASES.map((p) => `${p} ${runbook.phases[p].length}`).join(', ');
  if (opts.json) {
    printJson({
      ok: true,
      file,
      name: runbook.name,
      environments: envs,
      steps: Object.fromEntries(PHASES.map((p) => [p, runbook.phases[p].length])),
      rollback: runbook.rollback.map((r) => r.id),
    });
  } else {
    // chalk only when it colours something.
    const tick = colourWanted() ? (await import('../output/style.js')).c().green('✔') : '✔';
    process.stdout.write(
      `${tick} ${file} is valid: ${runbook.name}; environments ${envs.join(', ')}; steps ${counts}; rollbacks ${runbook.rollback.map((r) => r.id).join(', ') || 'none'}\n`,
    );
  }
  return 0;
}
