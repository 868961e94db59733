import { buildScope, envUnknown, interpolate, isUnder, unclosedRef, varDefs } from './interpolate.js';
import { tfLookup } from './terraform.js';
import { formatPath } from './locate.js';
import { issuesToProblems, valueAt } from './zod-issues.js';
import { DEFAULT_CHECK_TYPE, asRecord } from './walk.js';
import type { StepCatalogue, StepShape } from './catalogue.js';
import type { Path, Problem } from './locate.js';
import type { Raw, RawStep } from './walk.js';
import type { Resolve, Sink } from './interpolate.js';

/** A `with` to interpolate and check against a step type's parameters. */
export interface ParamSite {
  type: StepShape;
  with: unknown;
  /** Where the `with` is in the document. */
  path: Path;
}

function paramSites(root: Raw, steps: RawStep[], types: StepCatalogue): ParamSite[] {
  const sites: ParamSite[] = [];
  for (const s of steps) {
    const type = s.type === undefined || s.isGroup ? undefined : types.get(s.type);
    if (type) sites.push({ type, with: s.node.with, path: [...s.path, 'with'] });
  }
  for (const [name, value] of Object.entries(asRecord(root.checks) ?? {})) {
    const check = asRecord(value);
    const typeName = check?.type ?? DEFAULT_CHECK_TYPE;
    const type = typeof typeName === 'string' ? types.get(typeName) : undefined;
    if (check && type) sites.push({ type, with: check.with, path: ['checks', name, 'with'] });
  }
  return sites;
}

/**
 * Interpolates and parses one `with` for one environment. Values that could not be filled in (an
 * env var, an unknown variable already reported) are not judged, so each mistake is said once.
 */
export function parseParams(
  site: ParamSite,
  resolve: Resolve,
  source: (path: Path) => string | undefined,
): { params?: unknown; problems: Problem[] } {
  if (site.with !== undefined && !asRecord(site.with)) return { problems: [] }; // the schema reports a `with` that is not a map
  const sink: Sink = { problems: [], incomplete: [] };
  const value = interpolate(site.with ?? {}, site.path, resolve, sink);
  const parsed =
    site.type.parseKnown?.(
      value,
      sink.incomplete.map((p) => p.slice(site.path.length)),
    ) ?? site.type.params.safeParse(value);
  if (parsed.success) return sink.problems.length ? { problems: sink.problems } : { params: parsed.data, problems: [] };
  // "quote it" advice is about text written in the file, not about a value a variable put there.
  const written = (path: Path) => {
    const raw = valueAt(site.with, path.slice(site.path.length));
    return typeof raw === 'string' ? undefined : source(path);
  };
  const issues = issuesToProblems(parsed.error.issues, { schema: site.type.params, data: value, base: site.path, source: written })
    .filter((p) => !isUnder(p.path, sink.incomplete))
    .map((p) => ({ ...p, message: p.message + fromVariables(site.with, value, p.path.slice(site.path.length)) }));
  return { problems: [...sink.problems, ...issues] };
}

/** A wrong value that came through `${...}` says so, since the file shows the reference, not the value. */
function fromVariables(written: unknown, interpolated: unknown, rel: Path): string {
  const raw = valueAt(written, rel);
  if (typeof raw !== 'string' || !raw.includes('${')) return '';
  const value = valueAt(interpolated, rel);
  return value === undefined || typeof value === 'string' ? ` (from ${raw})` : ` (from ${raw} = ${JSON.stringify(value)})`;
}

/** Unknown `${vars.x}` in strings that are not interpolated (titles, descriptions ...). */
function strayVarRefs(root: Raw, interpolated: Path[], known: Set<string>): Problem[] {
  const problems: Problem[] = [];
  const visit = (value: unknown, path: Path) => {
    if (isUnder(path, interpolated)) return;
    if (typeof value === 'string') {
      const unclosed = unclosedRef(value);
      if (unclosed) problems.push({ path, message: unclosed });
      for (const match of value.matchAll(/\$\{\s*vars\.([A-Za-z_][A-Za-z0-9_]*)\s*\}/g)) {
        if (!known.has(match[1]!)) problems.push({ path, message: `unknown variable \${vars.${match[1]}}` });
      }
    } else if (Array.isArray(value)) for (const [i, v] of value.entries()) visit(v, [...path, i]);
    else if (asRecord(value)) for (const [k, v] of Object.entries(value as Raw)) visit(v, [...path, k]);
  };
  visit(root, []);
  return problems;
}

/**
 * Runs `check` once per environment and reports each problem once: as is when every environment
 * has it, with the environments' names when only some do.
 */
export function acrossEnvironments(envNames: string[], check: (env: string | undefined) => Problem[]): Problem[] {
  if (envNames.length === 0) return check(undefined);
  const seen = new Map<string, { problem: Problem; envs: string[] }>();
  for (const env of envNames) {
    for (const problem of check(env)) {
      const key = `${formatPath(problem.path)}\u0000${problem.at ?? ''}\u0000${problem.message}`;
      const entry = seen.get(key) ?? { problem, envs: [] };
      if (!entry.envs.includes(env)) entry.envs.push(env);
      seen.set(key, entry);
    }
  }
  return [...seen.values()].map(({ problem, envs }) =>
    envs.length === envNames.length
      ? problem
      : { ...problem, message: `${problem.message} (in environment${envs.length > 1 ? 's' : ''} ${envs.join(', ')})` },
  );
}

/**
 * Variables and step parameters, for every environment: a value may be fine with production's
 * vars and wrong with the sandbox's. `${env.X}` is not required here (CI validates without them).
 */
export function checkVariablesAndParams(
  root: Raw,
  steps: RawStep[],
  source: (path: Path) => string | undefined,
  types: StepCatalogue,
): Problem[] {
  const environments = asRecord(root.environments) ?? {};
  const envNames = Object.keys(environments);
  const sites = paramSites(root, steps, types);
  const known = new Set<string>();
  const problems = acrossEnvironments(envNames, (env) => {
    const defs = varDefs(root.vars, env, env === undefined ? undefined : asRecord(environments[env])?.vars);
    for (const name of defs.keys()) known.add(name);
    // ${tf.X} is read at run time (and by validate --env); here it only needs a terraform: to come from.
    const hasTerraform = env !== undefined && asRecord(asRecord(environments[env])?.terraform) !== undefined;
    const scope = buildScope(defs, envUnknown, hasTerraform || env === undefined ? envUnknown : tfLookup(env, undefined));
    return [...scope.problems, ...sites.flatMap((site) => parseParams(site, scope.resolve, source).problems)];
  });
  const interpolated: Path[] = [['vars'], ...envNames.map((e) => ['environments', e, 'vars']), ...sites.map((s) => s.path)];
  return [...problems, ...strayVarRefs(root, interpolated, known)];
}
