import { didYouMean } from './suggest.js';
import type { Path, Problem } from './locate.js';

export type Scalar = string | number | boolean;

/** What one `${...}` stands for in one environment. */
export type Lookup =
  | { kind: 'value'; value: Scalar }
  /** Not known yet and not an error: an env var at validation time. */
  | { kind: 'unknown' }
  /** Wrong, and already reported where it is defined (a variable in a cycle). */
  | { kind: 'failed' }
  | { kind: 'missing'; message: string };

export interface Ref {
  ns: 'vars' | 'env' | 'tf';
  name: string;
}

export type Resolve = (ref: Ref) => Lookup;

const TOKEN = /\$\$\{|\$\{([^}]*)(\}|$)/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Terraform output names may hold dashes too. */
const TF_NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const WHOLE = /^\$\{[^}]*\}$/;

export interface Rendered {
  value: unknown;
  /** True when some reference could not be filled in; the value is then not meaningful. */
  incomplete: boolean;
  /** True when a reference failed for a reason already reported elsewhere. */
  failed: boolean;
  problems: string[];
}

function parseRef(inner: string): Ref | undefined {
  const dot = inner.indexOf('.');
  const ns = inner.slice(0, dot).trim();
  const name = inner.slice(dot + 1).trim();
  if ((ns === 'vars' || ns === 'env') && NAME.test(name)) return { ns, name };
  if (ns === 'tf' && TF_NAME.test(name)) return { ns, name };
  return undefined;
}

/**
 * The problem with a `${` that never closes, in a string that is not interpolated (a title, the
 * users section's pool): `title: "Tell ${vars.team"` is a typo, never meant as text.
 */
export function unclosedRef(text: string): string | undefined {
  for (const match of text.matchAll(TOKEN)) {
    if (match[0] !== '$${' && match[2] !== '}') return `unclosed "\${" in ${JSON.stringify(text)}`;
  }
  return undefined;
}

/**
 * Fills in `${vars.x}` and `${env.X}`; `$${` writes a literal `${`. A string that is exactly one
 * reference takes the referenced value's type, so `maxTtl: ${vars.ttl}` stays a number.
 */
export function render(text: string, resolve: Resolve): Rendered {
  const out: Rendered = { value: text, incomplete: false, failed: false, problems: [] };
  let result = '';
  let last = 0;
  let typed: Scalar | undefined;
  for (const match of text.matchAll(TOKEN)) {
    result += text.slice(last, match.index);
    last = match.index + match[0].length;
    if (match[0] === '$${') {
      result += '${';
      continue;
    }
    if (match[2] !== '}') {
      out.problems.push(`unclosed "\${" in ${JSON.stringify(text)}`);
      out.incomplete = true;
      continue;
    }
    const ref = parseRef(match[1] ?? '');
    if (!ref) {
      out.problems.push(`"${match[0]}" is not a reference: write \${vars.name}, \${env.NAME} or \${tf.output_name}`);
      out.incomplete = true;
      continue;
    }
    const found = resolve(ref);
    if (found.kind === 'value') {
      result += String(found.value);
      if (WHOLE.test(text)) typed = found.value;
    } else {
      out.incomplete = true;
      if (found.kind === 'failed') out.failed = true;
      if (found.kind === 'missing') out.problems.push(found.message);
    }
  }
  result += text.slice(last);
  if (!out.incomplete) out.value = typed ?? result;
  return out;
}

/** What interpolation of a whole value found: problems, and where values are not yet known. */
export interface Sink {
  problems: Problem[];
  /** Paths whose value could not be filled in: later checks of those values would be noise. */
  incomplete: Path[];
}

export function interpolate(value: unknown, path: Path, resolve: Resolve, sink: Sink): unknown {
  if (typeof value === 'string') {
    const r = render(value, resolve);
    for (const message of r.problems) sink.problems.push({ path, message });
    if (r.incomplete) sink.incomplete.push(path);
    return r.value;
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, [...path, i], resolve, sink));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, [...path, k], resolve, sink)]));
  }
  return value;
}

export function isUnder(path: Path, prefixes: readonly Path[]): boolean {
  return prefixes.some((prefix) => prefix.length <= path.length && prefix.every((seg, i) => String(seg) === String(path[i])));
}

export interface VarDef {
  value: Scalar;
  /** Where it is defined: the runbook's `vars` or the environment's, whichever wins. */
  path: Path;
}

function isScalar(v: unknown): v is Scalar {
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';
}

/** The runbook's vars, then the environment's on top. Values of the wrong type are the schema's to report. */
export function varDefs(rootVars: unknown, envName: string | undefined, envVars: unknown): Map<string, VarDef> {
  const defs = new Map<string, VarDef>();
  const add = (source: unknown, base: Path) => {
    if (source === null || typeof source !== 'object' || Array.isArray(source)) return;
    for (const [name, value] of Object.entries(source)) if (isScalar(value)) defs.set(name, { value, path: [...base, name] });
  };
  add(rootVars, ['vars']);
  if (envName !== undefined) add(envVars, ['environments', envName, 'vars']);
  return defs;
}

/** How `${env.X}` is answered: by the process environment, or "not known yet" when validating. */
export type EnvLookup = (name: string) => Lookup;

export const envUnknown: EnvLookup = () => ({ kind: 'unknown' });

export function envFrom(processEnv: NodeJS.ProcessEnv): EnvLookup {
  return (name) => {
    const value = processEnv[name];
    if (value === undefined) return { kind: 'missing', message: `environment variable ${name} is not set (\${env.${name}})` };
    return { kind: 'value', value };
  };
}

export interface Scope {
  resolve: Resolve;
  /** The variables that have a value, for display. */
  values: Map<string, Scalar>;
  /** Problems in the variables' own definitions (unknown references, cycles). */
  problems: Problem[];
}

/** Resolves every variable once, so a problem in a definition is reported where it is written. */
export function buildScope(defs: Map<string, VarDef>, env: EnvLookup, tf: EnvLookup = envUnknown): Scope {
  const done = new Map<string, Lookup>();
  const stack: string[] = [];
  const problems: Problem[] = [];

  const missingVar = (name: string): Lookup => ({
    kind: 'missing',
    message: `unknown variable \${vars.${name}}${didYouMean(name, defs.keys(), (s) => `\${vars.${s}}`)}`,
  });

  const resolveVar = (name: string): Lookup => {
    const known = done.get(name);
    if (known) return known;
    const def = defs.get(name);
    if (!def) return missingVar(name);
    const at = stack.indexOf(name);
    if (at >= 0) {
      const cycle = [...stack.slice(at), name];
      problems.push({ path: defs.get(cycle[0]!)!.path, message: `variables refer to each other in a loop: ${cycle.join(' -> ')}` });
      for (const member of cycle) done.set(member, { kind: 'failed' });
      return { kind: 'failed' };
    }
    if (typeof def.value !== 'string') {
      done.set(name, { kind: 'value', value: def.value });
      return done.get(name)!;
    }
    stack.push(name);
    const r = render(def.value, resolveRef);
    stack.pop();
    for (const message of r.problems) problems.push({ path: def.path, message });
    const result: Lookup =
      r.failed || r.problems.length > 0
        ? { kind: 'failed' }
        : r.incomplete
          ? { kind: 'unknown' }
          : { kind: 'value', value: r.value as Scalar };
    if (!done.has(name) || done.get(name)!.kind !== 'failed') done.set(name, result);
    return done.get(name)!;
  };

  const resolveRef: Resolve = (ref) => (ref.ns === 'env' ? env(ref.name) : ref.ns === 'tf' ? tf(ref.name) : resolveVar(ref.name));

  for (const name of defs.keys()) resolveVar(name);
  const values = new Map<string, Scalar>();
  for (const [name, lookup] of done) if (lookup.kind === 'value') values.set(name, lookup.value);
  return { resolve: resolveRef, values, problems };
}
