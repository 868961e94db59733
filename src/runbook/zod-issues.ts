import type { core, ZodType } from 'zod';
import { didYouMean } from './suggest.js';
import type { Path, Problem } from './locate.js';

type Issue = core.$ZodIssue;

/** The few fields of zod's internal definitions needed to find which keys an object allows. */
interface Def {
  type: string;
  innerType?: ZodType;
  getter?: () => ZodType;
  in?: ZodType;
  shape?: Record<string, ZodType>;
  element?: ZodType;
  valueType?: ZodType;
  options?: ZodType[];
}

function defOf(schema: ZodType): Def {
  return (schema as unknown as { _zod: { def: Def } })._zod.def;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

function unwrap(schema: ZodType): ZodType {
  let s = schema;
  for (let i = 0; i < 50; i++) {
    const def = defOf(s);
    if (WRAPPERS.has(def.type) && def.innerType) s = def.innerType;
    else if (def.type === 'lazy' && def.getter) s = def.getter();
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

/** The schemas a path may lead to (several under a union). */
function schemasAt(schema: ZodType, path: Path): ZodType[] {
  let current = [unwrap(schema)];
  for (const seg of path) {
    const next: ZodType[] = [];
    for (const s of current) {
      const def = defOf(s);
      if (def.type === 'object' && def.shape?.[String(seg)]) next.push(unwrap(def.shape[String(seg)]!));
      else if (def.type === 'array' && def.element) next.push(unwrap(def.element));
      else if (def.type === 'record' && def.valueType) next.push(unwrap(def.valueType));
      else if (def.type === 'union') next.push(...(def.options ?? []).flatMap((o) => schemasAt(o, [seg])));
    }
    current = next;
  }
  return current.flatMap((s) => (defOf(s).type === 'union' ? (defOf(s).options ?? []).map(unwrap) : [s]));
}

/** The keys a strict object at `path` accepts, for "did you mean" on an unknown key. */
export function allowedKeys(schema: ZodType, path: Path): string[] {
  const keys = new Set<string>();
  for (const s of schemasAt(schema, path)) for (const key of Object.keys(defOf(s).shape ?? {})) keys.add(key);
  return [...keys];
}

export function valueAt(data: unknown, path: Path): unknown {
  let v = data;
  for (const seg of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[seg];
  }
  return v;
}

const TYPE_NAMES: Record<string, string> = {
  string: 'a string',
  number: 'a number',
  int: 'a whole number',
  boolean: 'true/false',
  object: 'a map',
  record: 'a map',
  array: 'a list',
};

function typeName(expected: string): string {
  return TYPE_NAMES[expected] ?? expected;
}

/** How a value reads back to the operator; `written` is the text in the file when known. */
function describe(value: unknown, written: string | undefined): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'nothing (null)';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a map';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return written ?? String(value);
}

/** "a, b or c". */
function orList(items: string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

export interface IssueContext {
  /** The schema that was parsed, to list the keys an object allows. */
  schema: ZodType;
  /** The value that was parsed. */
  data: unknown;
  /** Where that value sits in the document. */
  base: Path;
  /** The text of a value as written in the file, by document path. */
  source(path: Path): string | undefined;
}

export function issuesToProblems(issues: readonly Issue[], ctx: IssueContext, prefix: Path = []): Problem[] {
  return issues.flatMap((issue) => toProblems(issue, ctx, prefix));
}

function toProblems(issue: Issue, ctx: IssueContext, prefix: Path): Problem[] {
  const rel = [...prefix, ...issue.path.map((seg) => (typeof seg === 'symbol' ? String(seg) : seg))];
  const path = [...ctx.base, ...rel];
  const value = valueAt(ctx.data, rel);
  const got = () => describe(value, ctx.source(path));

  switch (issue.code) {
    case 'unrecognized_keys': {
      const allowed = allowedKeys(ctx.schema, rel);
      return issue.keys.map((key) => {
        const hint = didYouMean(key, allowed);
        return {
          path: [...path, key],
          at: 'key' as const,
          message: `unknown key "${key}"${hint || (allowed.length ? `; allowed here: ${allowed.join(', ')}` : '')}`,
        };
      });
    }
    case 'invalid_union': {
      const branches = issue.errors.filter((branch) => !branch.every((i) => i.code === 'invalid_type' && i.path.length === 0));
      if (branches.length > 0) return issuesToProblems(branches[0]!, ctx, rel);
      const expected = issue.errors.flatMap((branch) =>
        branch.map((i) => (i.code === 'invalid_type' ? typeName(i.expected) : '')).filter(Boolean),
      );
      return [{ path, message: `expected ${orList([...new Set(expected)])}, got ${got()}` }];
    }
    case 'invalid_type': {
      const parent = valueAt(ctx.data, rel.slice(0, -1));
      if (value === undefined && rel.length > 0 && parent !== null && typeof parent === 'object' && !Array.isArray(parent)) {
        return [{ path, at: 'parent', message: `missing required key "${String(rel[rel.length - 1])}"` }];
      }
      const written = ctx.source(path);
      if (issue.expected === 'string' && (typeof value === 'number' || typeof value === 'boolean') && written !== undefined) {
        return [{ path, message: `expected a string, got ${written}; quote it: "${written}"` }];
      }
      return [{ path, message: `expected ${typeName(issue.expected)}, got ${got()}` }];
    }
    case 'invalid_value': {
      const values = issue.values.map((v) => JSON.stringify(v));
      const expected = values.length > 2 ? `one of ${values.join(', ')}` : values.join(' or ');
      return [{ path, message: `expected ${expected}, got ${got()}` }];
    }
    case 'invalid_key': {
      const key = String(rel[rel.length - 1]);
      const why = issue.issues.map((i) => (i.code === 'invalid_format' && i.format === 'regex' ? `must match ${i.pattern}` : i.message));
      return [{ path, at: 'key', message: `invalid name "${key}": ${why.join('; ')}` }];
    }
    case 'invalid_format':
      return [{ path, message: `${issue.message}, got ${got()}` }];
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return [{ path, message: 'must not be empty' }];
      if (issue.origin === 'array' && issue.minimum === 1) return [{ path, message: 'must not be an empty list' }];
      return [{ path, message: issue.message }];
    default:
      return [{ path, message: issue.message }];
  }
}
