import { mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { ZodType } from 'zod';
import { stepTypes } from '../steps/index.js';
import { runbookSchema } from './schema.js';

/**
 * Compiles the runbook schema and the built-in step types' parameters, ahead of time, into plain
 * functions (src/runbook/generated/validators.ts), so `validate` checks a valid runbook without
 * loading zod. A compiled function returns what zod's parse returns (defaults, transforms) or
 * throws: REJECT where zod rejects too, anything else where it cannot tell. Either way the loader
 * then runs zod, so every error message is zod's path's. Whatever this compiler does not know is
 * compiled to "cannot tell": it may only ever make `validate` slower, never more lenient. The
 * refinements and transforms are copied by their source: they must not use anything from around
 * them (a rule that does is "cannot tell" at run time, and test/runbook/fast-path.test.ts fails).
 */

export const GENERATED_FILE = fileURLToPath(new URL('../../src/runbook/generated/validators.ts', import.meta.url));

// biome-ignore lint/suspicious/noExplicitAny: zod's internal definitions are read field by field.
type Def = Record<string, any>;

function zodOf(schema: ZodType): { def: Def; optin?: string; optout?: string; values?: Set<unknown> } {
  return (schema as unknown as { _zod: { def: Def; optin?: string; optout?: string; values?: Set<unknown> } })._zod;
}

/** A function's source, as an expression; refinements and transforms are copied, never referenced. */
function source(fn: unknown): string {
  if (typeof fn !== 'function') throw new Error('not a function');
  const made = fn as { factory?: unknown; args?: unknown[] };
  return made.factory ? `(${String(made.factory)})(...${JSON.stringify(made.args)})` : `(${String(fn)})`;
}

/**
 * A rule as the staleness test sees it: its name, arity and a factory's arguments, not its text,
 * which differs between the bundle (minified syntax) and the sources the tests run. An edited rule
 * body is caught by test/runbook/fast-path.test.ts holding the compiled code to zod, not by this.
 */
function ruleShape(fn: unknown): unknown {
  const made = fn as { name?: string; length?: number; factory?: { name?: string }; args?: unknown[] };
  return made.factory ? [made.factory.name, made.args] : [made.name ?? '', made.length ?? 0];
}

function literal(value: unknown): string {
  if (value === undefined) return 'undefined';
  const json = JSON.stringify(value);
  if (json === undefined || JSON.stringify(JSON.parse(json)) !== json || !sameJson(JSON.parse(json), value)) throw new Error('not JSON');
  return json;
}

function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b) && typeof a === typeof b;
}

class Compiler {
  private readonly names = new Map<ZodType, string>();
  private readonly functions: string[] = [];
  private readonly constants: string[] = [];
  /** What the output depends on, for the staleness test: structure and rules, not formatting. */
  readonly shape: unknown[] = [];

  fn(schema: ZodType): string {
    const known = this.names.get(schema);
    if (known) return known;
    const name = `f${this.names.size}`;
    this.names.set(schema, name);
    let body: string;
    try {
      body = this.node(schema);
    } catch (error) {
      // Not understood here: zod decides.
      body = `throw UNSURE; // ${(error as Error).message.replace(/\n/g, ' ')}`;
    }
    this.functions.push(`function ${name}(v) {\nif (v instanceof Wild) return wild(${name}, v);\n${body}\n}`);
    return name;
  }

  private constant(expr: string): string {
    const name = `c${this.constants.length}`;
    this.constants.push(`const ${name} = ${expr};`);
    return name;
  }

  private regex(re: RegExp): string {
    this.shape.push(String(re));
    return this.constant(String(re));
  }

  private node(schema: ZodType): string {
    const { def } = zodOf(schema);
    this.shape.push(def.type);
    const selfCheck = def.check === 'string_format' ? [schema] : [];
    const checks = [...selfCheck, ...((def.checks ?? []) as ZodType[])];
    const parse = this.parse(def);
    if (checks.length === 0) return `${parse}\nreturn o;`;
    if (!['string', 'number', 'array', 'object', 'record'].includes(def.type)) throw new Error(`checks on ${def.type}`);
    return `${parse}\n${checks.map((c) => this.check(c)).join('\n')}\nreturn o;`;
  }

  /** Statements that leave the parsed value in `o`, or return early. */
  private parse(def: Def): string {
    switch (def.type) {
      case 'string':
        if (def.coerce) throw new Error('coerced string');
        return `if (typeof v !== 'string') throw REJECT;\nlet o = v;`;
      case 'number':
        return `let o = v;\n${def.coerce ? 'try { o = Number(o); } catch {}\n' : ''}if (typeof o !== 'number' || Number.isNaN(o) || !Number.isFinite(o)) throw REJECT;`;
      case 'boolean':
        if (def.coerce) throw new Error('coerced boolean');
        return `if (typeof v !== 'boolean') throw REJECT;\nlet o = v;`;
      case 'unknown':
      case 'any':
        return 'let o = v;';
      case 'never':
        return 'throw REJECT;';
      case 'literal': {
        const values = (def.values as unknown[]).map(literal);
        this.shape.push(values);
        return `if (!${this.constant(`new Set([${values.join(', ')}])`)}.has(v)) throw REJECT;\nlet o = v;`;
      }
      case 'enum': {
        const values = Object.values(def.entries as Record<string, unknown>);
        if (!values.every((x) => typeof x === 'string')) throw new Error('non-string enum');
        this.shape.push(values);
        return `if (!${this.constant(`new Set(${JSON.stringify(values)})`)}.has(v)) throw REJECT;\nlet o = v;`;
      }
      case 'optional': {
        const inner = def.innerType as ZodType;
        const f = this.fn(inner);
        const absent =
          zodOf(inner).optin === 'defaulted'
            ? `try { return ${f}(undefined); } catch (e) { if (e === REJECT) return undefined; throw e; }`
            : 'return undefined;';
        return `if (v === undefined) { ${absent} }\nreturn ${f}(v);`;
      }
      case 'nullable':
        return `if (v === null) return null;\nreturn ${this.fn(def.innerType)}(v);`;
      case 'default': {
        const value = literal(def.defaultValue);
        this.shape.push(value);
        return `if (v === undefined) return ${value};\nconst r = ${this.fn(def.innerType)}(v);\nreturn r === undefined ? ${value} : r;`;
      }
      case 'lazy':
        return `return ${this.fn(def.getter())}(v);`;
      case 'pipe':
        // zod does not run the second half on a value with issues (a value not yet known).
        return `const t = TAINT;\nconst a = ${this.fn(def.in)}(v);\nreturn TAINT === t ? ${this.fn(def.out)}(a) : a;`;
      case 'transform': {
        const fn = source(def.transform);
        this.shape.push(ruleShape(def.transform));
        return `const o = ${fn}(v, { value: v, issues: [], addIssue() { throw UNSURE; } });\nif (o instanceof Promise) throw UNSURE;\nreturn o;`;
      }
      case 'union': {
        const extra = Object.keys(def).filter((k) => !['type', 'options', 'checks'].includes(k));
        if (extra.length > 0) throw new Error(`union with ${extra.join(', ')}`);
        const options = (def.options as ZodType[]).map((o) => this.fn(o));
        if (options.length === 1) return `return ${options[0]}(v);`;
        return `return union(v, ${this.constant(`[${options.join(', ')}]`)});`;
      }
      case 'array':
        return `if (!Array.isArray(v)) throw REJECT;\nconst o = [];\nfor (let i = 0; i < v.length; i++) o.push(${this.fn(def.element)}(v[i]));`;
      case 'record': {
        if (zodOf(def.keyType).values || def.mode === 'loose' || def.partial) throw new Error('record of enumerated keys');
        const key = this.fn(def.keyType);
        const value = this.fn(def.valueType);
        return [
          'if (!plain(v)) throw REJECT;',
          'const o = {};',
          'for (const k of Reflect.ownKeys(v)) {',
          "  if (k === '__proto__' || !Object.prototype.propertyIsEnumerable.call(v, k)) continue;",
          // zod retries a numeric key as a number: not compiled, so zod decides.
          `  let out;\n  try { out = ${key}(k); } catch (e) { if (e === REJECT && typeof k === 'string' && NUMERIC.test(k)) throw UNSURE; throw e; }`,
          "  if (out === '__proto__') continue;",
          `  o[out] = ${value}(v[k]);`,
          '}',
        ].join('\n');
      }
      case 'object':
        return this.object(def);
      default:
        throw new Error(`type ${def.type}`);
    }
  }

  private object(def: Def): string {
    const shape = def.shape as Record<string, ZodType>;
    const keys = Object.keys(shape);
    if (Object.getOwnPropertySymbols(shape).length > 0) throw new Error('symbol keys');
    const catchall = def.catchall === undefined ? undefined : zodOf(def.catchall).def.type;
    if (catchall !== undefined && catchall !== 'never') throw new Error(`catchall ${catchall}`);
    this.shape.push(keys, catchall ?? 'strip');
    const lines = ['if (v === null || typeof v !== "object" || Array.isArray(v)) throw REJECT;', 'const o = {};'];
    for (const key of keys) {
      if (key === '__proto__') continue;
      const { optin, optout } = zodOf(shape[key]!);
      this.shape.push(optin ?? '-', optout ?? '-');
      const k = JSON.stringify(key);
      const f = this.fn(shape[key]!);
      const optionalOut = optout === 'optional';
      const lines2: string[] = [`{ const present = ${k} in v;`];
      if (optionalOut && optin === 'optional') lines2.push('if (present) {');
      if (optin === undefined) lines2.push('if (!present) throw REJECT;');
      // An absent key whose schema is optional in and out: zod ignores its issues.
      if (optin !== undefined && optionalOut)
        lines2.push(`let r; try { r = ${f}(v[${k}]); } catch (e) { if (e === REJECT && !present) r = SKIP; else throw e; }`);
      else lines2.push(`const r = ${f}(v[${k}]);`);
      lines2.push(
        `if (r === undefined) { if (present${optin === 'defaulted' && !optionalOut ? ' || true' : ''}) o[${k}] = undefined; } else if (r !== SKIP) o[${k}] = r;`,
      );
      if (optionalOut && optin === 'optional') lines2.push('}');
      lines2.push('}');
      lines.push(lines2.join('\n'));
    }
    if (catchall === 'never')
      lines.push(`for (const k in v) if (!${this.constant(`new Set(${JSON.stringify(keys)})`)}.has(k)) throw REJECT;`);
    return lines.join('\n');
  }

  /** A check on the parsed value `o` (which a URL check may rewrite, as zod's does). */
  private check(check: ZodType): string {
    const def = zodOf(check).def;
    this.shape.push(def.check, def.format ?? '');
    switch (def.check) {
      case 'min_length':
        this.shape.push(def.minimum);
        return `if (!(o.length >= ${Number(def.minimum)})) throw REJECT;`;
      case 'max_length':
        this.shape.push(def.maximum);
        return `if (!(o.length <= ${Number(def.maximum)})) throw REJECT;`;
      case 'length_equals':
        this.shape.push(def.length);
        return `if (o.length !== ${Number(def.length)}) throw REJECT;`;
      case 'greater_than':
        this.shape.push(def.value, def.inclusive);
        return `if (!(o ${def.inclusive ? '>=' : '>'} ${literal(def.value)})) throw REJECT;`;
      case 'less_than':
        this.shape.push(def.value, def.inclusive);
        return `if (!(o ${def.inclusive ? '<=' : '<'} ${literal(def.value)})) throw REJECT;`;
      case 'number_format':
        if (def.format !== 'safeint') return 'throw UNSURE;';
        return 'if (!Number.isSafeInteger(o)) throw REJECT;';
      case 'string_format':
        if (def.format === 'regex') {
          const re = this.regex(def.pattern as RegExp);
          return `${re}.lastIndex = 0;\nif (!${re}.test(o)) throw REJECT;`;
        }
        if (def.format === 'url') {
          const opt = (re: unknown) => (re instanceof RegExp ? this.regex(re) : 'undefined');
          const flags = `{ normalize: ${'normalize' in def ? literal(def.normalize) : 'undefined'}, has: ${literal(['normalize', 'hostname', 'protocol'].some((k) => k in def))}, hostname: ${opt(def.hostname)}, protocol: ${opt(def.protocol)} }`;
          return `o = url(o, ${flags});`;
        }
        return 'throw UNSURE;';
      case 'custom': {
        const rule = def.fn ?? def.rule;
        if (typeof rule !== 'function') return 'throw UNSURE; // a refinement without its rule';
        const fn = source(rule);
        this.shape.push(ruleShape(rule));
        if (def.fn) return `{ const r = ${fn}(o); if (r instanceof Promise) throw UNSURE; if (!r) throw REJECT; }`;
        return `{ const r = ${fn}(o, { value: o, issues: [], addIssue() { throw REJECT; } }); if (r instanceof Promise) throw UNSURE; }`;
      }
      default:
        return `throw UNSURE; // check ${def.check}`;
    }
  }

  module(exports: string[], fingerprint: string): string {
    const { constants, functions, rename } = dedupe(this.constants, this.functions);
    return `${HEADER}\nexport const FINGERPRINT = ${JSON.stringify(fingerprint)};\n\n${RUNTIME}\n${constants.join('\n')}\n\n${functions.join('\n\n')}\n\n${exports.map(rename).join('\n')}\n`;
  }
}

/**
 * One function for each distinct body, one constant for each distinct value (every `.describe()`
 * is a schema of its own, so most are repeated): less for V8 to compile on the first run.
 */
function dedupe(constants: string[], functions: string[]): { constants: string[]; functions: string[]; rename: (text: string) => string } {
  const alias = new Map<string, string>();
  const resolve = (name: string): string => {
    let n = name;
    while (alias.has(n)) n = alias.get(n)!;
    return n;
  };
  const rename = (text: string) => text.replace(/\b[cf]\d+\b/g, (n) => resolve(n));
  const named = [
    ...constants.map((text) => ({ name: /^const (c\d+) =/.exec(text)![1]!, text })),
    ...functions.map((text) => ({ name: /^function (f\d+)\(/.exec(text)![1]!, text })),
  ];
  for (let changed = true; changed; ) {
    changed = false;
    const seen = new Map<string, string>();
    for (const { name, text } of named) {
      if (alias.has(name)) continue;
      const body = rename(text).replace(new RegExp(`\\b${name}\\b`, 'g'), 'SELF');
      const first = seen.get(body);
      if (first === undefined) seen.set(body, name);
      else {
        alias.set(name, first);
        changed = true;
      }
    }
  }
  const kept = (list: { name: string; text: string }[]) => list.filter((x) => !alias.has(x.name)).map((x) => rename(x.text));
  return {
    constants: kept(named.filter((x) => x.name.startsWith('c'))),
    functions: kept(named.filter((x) => x.name.startsWith('f'))),
    rename,
  };
}

const HEADER = `// @ts-nocheck
// Generated by src/runbook/compile-validator.ts (npm run build && npm run schema); do not edit.
// The runbook schema and the built-in step types' parameters as plain functions, so validate
// checks a valid runbook without zod. Each returns zod's output or throws (then zod decides).`;

const RUNTIME = `/** zod rejects this value too. */
export const REJECT = { reject: true };
/** Not decided here. */
export const UNSURE = { unsure: true };
const SKIP = {};
/** steps/support/params.ts wraps its rules so: here the rule is all that is needed. */
const portable = (_factory, _args, rule) => rule;
const NUMERIC = /^-?\\d+(?:\\.\\d+)?$/;

/**
 * A value validate cannot know yet (\${tf.x}, \${env.X}): its own issues are not reported, so
 * it passes as it is, counted in TAINT; anything that then depends on it is zod's to decide.
 */
export class Wild {
  constructor(raw) {
    this.raw = raw;
  }
}
let TAINT = 0;
function wild(f, w) {
  try {
    return f(w.raw);
  } catch (e) {
    if (e !== REJECT) throw e;
    TAINT++;
    return w.raw;
  }
}
/** The parse of \`f\`, and whether it passed only because of values not known yet (zod then fails it, reporting only those). */
export function parseWith(f, value) {
  const before = TAINT;
  const out = f(value);
  return { out, tainted: TAINT !== before };
}
/** zod's union: the first option that passes. */
function union(v, options) {
  const t0 = TAINT;
  let rejected = false;
  for (let i = 0; i < options.length; i++) {
    let r;
    try {
      r = options[i](v);
    } catch (e) {
      if (e !== REJECT) throw e;
      TAINT = t0;
      rejected = true;
      continue;
    }
    if (TAINT === t0) return r;
    // zod fails this option on the unknown value and goes on: its report (the first option that is
    // not a plain type mismatch) and its result are the unknown value's only while no earlier option
    // failed and no later one passes.
    if (rejected) throw UNSURE;
    const t1 = TAINT;
    for (let j = i + 1; j < options.length; j++) {
      TAINT = t1;
      try {
        options[j](v);
      } catch (e) {
        if (e !== REJECT) throw e;
        continue;
      }
      if (TAINT === t1) throw UNSURE;
    }
    TAINT = t1;
    return r;
  }
  throw REJECT;
}
function plain(v) {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v);
  if (proto !== Object.prototype && proto !== null) throw UNSURE;
  return true;
}
/** zod's URL check (a string schema's format "url"), value for value. */
function url(value, def) {
  const trimmed = value.trim();
  const strip = (s) => s.replace(/[\\t\\n\\r]/g, '');
  let parsed;
  if (!def.has) {
    if (!URL.canParse(trimmed)) throw REJECT;
    return strip(trimmed);
  }
  if (!def.normalize && def.protocol && def.protocol.source === '^https?$' && !/^https?:\\/\\//i.test(trimmed)) throw REJECT;
  try {
    parsed = typeof URL.parse === 'function' ? URL.parse(trimmed) : new URL(trimmed);
  } catch {
    throw REJECT;
  }
  if (!parsed) throw REJECT;
  if (def.hostname) {
    def.hostname.lastIndex = 0;
    if (!def.hostname.test(parsed.hostname)) throw REJECT;
  }
  if (def.protocol) {
    def.protocol.lastIndex = 0;
    if (!def.protocol.test(parsed.protocol.endsWith(':') ? parsed.protocol.slice(0, -1) : parsed.protocol)) throw REJECT;
  }
  return def.normalize ? parsed.href : strip(trimmed);
}`;

/** The generated module's text. */
export function compiledValidatorsText(): string {
  const compiler = new Compiler();
  const runbook = compiler.fn(runbookSchema);
  const types = [...stepTypes.values()].sort((a, b) => a.name.localeCompare(b.name));
  const entries = types.map((t) => {
    compiler.shape.push(t.name, t.mutates, !!t.undo);
    return `  { name: ${JSON.stringify(t.name)}, mutates: ${t.mutates}, undo: ${!!t.undo}, params: ${compiler.fn(t.params)} },`;
  });
  const exports = [`export const runbook = ${runbook};`, '', 'export const stepTypes = [', ...entries, '];'];
  return compiler.module(exports, fingerprintOf(compiler.shape));
}

/** What the compiled module depends on, without the formatting of the copied rules. */
export function validatorsFingerprint(): string {
  const text = compiledValidatorsText();
  return /export const FINGERPRINT = "([0-9a-f]+)"/.exec(text)![1]!;
}

function fingerprintOf(shape: unknown[]): string {
  return createHash('sha256')
    .update(JSON.stringify(shape, (_k, v) => (v instanceof RegExp ? String(v) : v)))
    .digest('hex')
    .slice(0, 16);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  mkdirSync(dirname(GENERATED_FILE), { recursive: true });
  writeFileSync(GENERATED_FILE, compiledValidatorsText());
  console.log(`wrote ${GENERATED_FILE}`);
}
