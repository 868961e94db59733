import { RunbookError } from '../errors.js';

export { pickEnvironment };
import { getStepType, stepTypeNames } from '../steps/index.js';
import { buildScope, envFrom, render, varDefs } from './interpolate.js';
import { formatPath, locatorOf, parsePath } from './locate.js';
import { pickEnvironment } from './environment.js';
import { parseParams } from './validate-params.js';
import type { Path, Problem } from './locate.js';
import type { Resolve } from './interpolate.js';
import { tfLookup, type TerraformOutputs } from './terraform.js';
import type { CheckDef, ResolvedRunbook, ResolvedStep, Runbook, StepDef } from './types.js';
import type { StepShape } from './catalogue.js';

/**
 * The runbook for one environment: variables merged (the environment's win), `${vars.x}` and
 * `${env.X}` filled in, and every step's parameters parsed by its step type. Unlike validate, an
 * unset `${env.X}` is an error here: the run needs the value. `types` gives each step type's
 * parameters (fast.ts passes the compiled ones, which throw when they cannot decide).
 */
export function resolveRunbook(
  runbook: Runbook,
  envName: string | undefined,
  processEnv: NodeJS.ProcessEnv = process.env,
  tf?: TerraformOutputs,
  types: (name: string) => StepShape | undefined = getStepType,
): ResolvedRunbook {
  const name = pickEnvironment(runbook, envName, processEnv);
  const env = runbook.environments[name]!;
  const scope = buildScope(varDefs(runbook.doc.vars, name, env.vars), envFrom(processEnv), tfLookup(name, tf));
  const problems: Problem[] = [...scope.problems];
  const locator = locatorOf(runbook);
  const source = (path: Path) => locator?.source(path);

  const params = (typeName: string, withValue: Record<string, unknown>, base: Path, resolve: Resolve): unknown => {
    const type = types(typeName);
    if (!type) {
      problems.push({
        path: [...base.slice(0, -1), 'type'],
        message: `unknown step type "${typeName}" (known types: ${stepTypeNames().join(', ')})`,
      });
      return undefined;
    }
    const result = parseParams({ type, with: withValue, path: base }, resolve, source);
    problems.push(...result.problems);
    return result.params;
  };
  const resolveStep = (step: StepDef): ResolvedStep => {
    const base = step.loc ? [...parsePath(step.loc.path), 'with'] : [step.ref, 'with'];
    return { ...step, params: params(step.type, step.with, base, scope.resolve) };
  };

  const phases = {
    pre: runbook.phases.pre.map(resolveStep),
    mid: runbook.phases.mid.map(resolveStep),
    post: runbook.phases.post.map(resolveStep),
  };
  const rollback = runbook.rollback.map((entry) => ({ ...entry, steps: entry.steps.map(resolveStep) }));
  const checks: Record<string, CheckDef & { params: unknown }> = {};
  for (const [checkName, check] of Object.entries(runbook.checks)) {
    checks[checkName] = { ...check, params: params(check.type, check.with, ['checks', checkName, 'with'], scope.resolve) };
  }

  if (problems.length > 0) throw unresolved(runbook, name, problems);
  const vars = Object.fromEntries([...scope.values].map(([k, v]) => [k, String(v)]));
  return {
    runbook,
    env: { name, region: env.region, account: env.account, protected: env.protected ?? false, vars },
    phases,
    rollback,
    checks,
  };
}

function unresolved(runbook: Runbook, envName: string, problems: Problem[]): RunbookError {
  const locator = locatorOf(runbook);
  // A runbook that did not come from loadRunbook (a copy) has no YAML to point into.
  const details = locator ? locator.detailLines(problems) : problems.map((p) => `${runbook.file}  ${formatPath(p.path)}  ${p.message}`);
  const needsEnv = problems.some((p) => p.message.startsWith('environment variable '));
  return new RunbookError(
    'RUNBOOK_INVALID',
    `${runbook.file}: ${details.length} problem${details.length === 1 ? '' : 's'} for environment "${envName}"`,
    {
      details,
      hint: needsEnv
        ? "Export the environment variables named above (or give the values in the environment's vars), then run again."
        : 'Each line gives file:line:col, the path in the document and what is wrong.',
    },
  );
}

/**
 * One string of the runbook outside the steps (the `users:` section's pool) filled in for an
 * environment. Only the variables it names must resolve, so `migrate users` does not need the
 * shell a cutover run needs.
 */
export function resolveText(
  runbook: Runbook,
  envName: string,
  text: string,
  where: string,
  processEnv: NodeJS.ProcessEnv = process.env,
  tf?: TerraformOutputs,
): string {
  const env = runbook.environments[envName];
  const scope = buildScope(varDefs(runbook.doc.vars, envName, env?.vars), envFrom(processEnv), tfLookup(envName, tf));
  const out = render(text, scope.resolve);
  if (out.problems.length > 0 || out.incomplete) {
    throw new RunbookError(
      'RUNBOOK_INVALID',
      `${runbook.file}: ${where} "${text}" cannot be filled in for environment "${envName}": ${out.problems.join('; ') || 'a variable it names is not set'}`,
      {
        hint: "Define the variable in vars (or the environment's vars), or export the environment variable it names.",
      },
    );
  }
  return String(out.value);
}
