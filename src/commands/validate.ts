import { loadRunbook, resolveRunbook } from '../runbook/index.js';
import { PHASES } from '../runbook/schema.js';
import { c } from '../output/style.js';
import { runbookPath } from './context.js';
import { loadStepPlugins } from '../steps/plugins.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';

/** Schema, references and variables for every environment; no AWS calls. */
export async function validateCommand(opts: GlobalOptions): Promise<number> {
  const file = runbookPath(opts);
  await loadStepPlugins();
  const runbook = await loadRunbook(file);
  const envs = opts.env ? [opts.env] : Object.keys(runbook.environments);
  for (const env of envs) resolveRunbook(runbook, env, { ...process.env, ...placeholderEnv(runbook) });
  const counts = PHASES.map((p) => `${p} ${runbook.phases[p].length}`).join(', ');
  if (opts.json) {
    printJson({ ok: true, file, name: runbook.name, environments: envs, steps: Object.fromEntries(PHASES.map((p) => [p, runbook.phases[p].length])), rollback: runbook.rollback.map((r) => r.id) });
  } else {
    process.stdout.write(`${c().green('✔')} ${file} is valid: ${runbook.name}; environments ${envs.join(', ')}; steps ${counts}; rollbacks ${runbook.rollback.map((r) => r.id).join(', ') || 'none'}\n`);
  }
  return 0;
}

/** validate runs without the operator's shell: ${env.X} only has to be well-formed, not set. */
function placeholderEnv(runbook: { doc: unknown }): Record<string, string> {
  const names = new Set<string>();
  JSON.stringify(runbook.doc).replace(/\$\{env\.([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
    names.add(name);
    return '';
  });
  return Object.fromEntries([...names].filter((n) => process.env[n] === undefined).map((n) => [n, `<${n}>`]));
}
