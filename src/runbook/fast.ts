import type { ZodType } from 'zod';
import { sha256 } from '../util/json.js';
import { buildRunbook } from './build.js';
import { Wild, parseWith, runbook as compiledRunbook, stepTypes as compiledTypes } from './generated/validators.js';
import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Document, LineCounter } from 'yaml';
import { Locator, rememberLocator, type Problem } from './locate.js';
import { pathKey, readPlainYaml } from './plain-yaml.js';
import { readRunbookBytes } from './read.js';
import { readCached, writeCached } from './cache.js';
import type { ParsedYaml } from './source.js';
import { validateRunbook } from './validate.js';
import type { StepCatalogue, StepShape } from './catalogue.js';
import type { Path } from './locate.js';
import type { RunbookDocument } from './schema.js';
import type { Runbook } from './types.js';

/**
 * Loading a runbook without zod when it is valid: the schema and the built-in step types'
 * parameters compiled ahead of time (compile-validator.ts), the references and variables checked by
 * the same code as always. At the first thing the compiled code does not accept (a problem, a
 * plugin's step type, anything it cannot tell) the runbook goes to the full check (load.ts), which
 * finds and words every problem exactly as it would have alone.
 */

/** The compiled code did not accept this: the full check decides. */
export class Undecided extends Error {}

function compiledParams(parse: (value: unknown) => unknown): ZodType {
  const params = {
    safeParse(value: unknown) {
      try {
        return { success: true, data: parse(value) };
      } catch {
        throw new Undecided();
      }
    },
  };
  return params as unknown as ZodType;
}

/** `value` with each path in `unknown` (a string left as written) marked as not known yet. */
function markUnknown(value: unknown, unknown: Path[]): unknown {
  if (unknown.some((p) => p.length === 0)) return new Wild(value);
  const copy = (v: unknown): unknown =>
    Array.isArray(v) ? [...v] : v !== null && typeof v === 'object' ? { ...(v as Record<string, unknown>) } : v;
  const root = copy(value);
  for (const path of unknown) {
    let node = root as Record<string | number, unknown>;
    for (const seg of path.slice(0, -1)) {
      node[seg] = copy(node[seg]);
      node = node[seg] as Record<string | number, unknown>;
    }
    const last = path[path.length - 1]!;
    node[last] = new Wild(node[last]);
  }
  return root;
}

type Compiled = (value: unknown) => unknown;

const builtIns: StepShape[] = (compiledTypes as { name: string; mutates: boolean; undo: boolean; params: Compiled }[]).map((t) => ({
  name: t.name,
  mutates: t.mutates,
  undo: t.undo || undefined,
  params: compiledParams(t.params),
  parseKnown(value: unknown, unknown: Path[]) {
    let parsed: { out: unknown; tainted: boolean };
    try {
      parsed = (parseWith as (f: Compiled, v: unknown) => { out: unknown; tainted: boolean })(t.params, markUnknown(value, unknown));
    } catch {
      throw new Undecided();
    }
    return parsed.tainted ? { success: false as const, error: { issues: [] as [] } } : { success: true as const, data: parsed.out };
  },
}));
/** The built-in step types as the fast path checks them (for the tests that hold it to zod). */
export function builtInShapes(): readonly StepShape[] {
  return builtIns;
}

const byName = new Map(builtIns.map((t) => [t.name, t]));
/** A built-in step type's compiled parameters (resolve-fast.ts); undefined for any other name. */
export function compiledShape(name: string): StepShape | undefined {
  return byName.get(name);
}
const catalogue: StepCatalogue = {
  get: (name) => byName.get(name),
  names: () => [...byName.keys()].sort(),
  all: () => builtIns,
};

/** The runbook, when the compiled checks accept it and nothing else is wrong; undefined otherwise. */
export function fastRunbook(yaml: ParsedYaml, file: string, digest: string): Runbook | undefined {
  if (yaml.problems.length > 0) return undefined;
  const { data, locator } = yaml;
  let doc: RunbookDocument;
  try {
    doc = (compiledRunbook as (value: unknown) => RunbookDocument)(data);
    if (validateRunbook(data, (path) => locator.source(path), catalogue).length > 0) return undefined;
  } catch {
    // Rejected, or not decided here (Undecided): the full check says what is wrong, if anything.
    return undefined;
  }
  const runbook = buildRunbook(doc, file, digest, locator);
  rememberLocator(runbook, locator);
  return runbook;
}

/**
 * Positions without yaml where the plain reader noted them (where each step starts), and through
 * yaml's nodes, parsed on first need, for anything else (an error found later, by resolve).
 */
class PlainLocator extends Locator {
  private full: Locator | undefined;
  private lineStarts: number[] | undefined;

  constructor(
    file: string,
    private readonly content: string,
    private readonly starts: Map<string, number>,
  ) {
    super(file, undefined as unknown as Document, undefined as unknown as LineCounter, content);
  }

  private yaml(): Locator {
    if (!this.full) {
      const { LineCounter: Lines, parseDocument } = createRequire(import.meta.url)('yaml') as typeof Yaml;
      const lines = new Lines();
      const doc = parseDocument(this.content, { lineCounter: lines, prettyErrors: true, uniqueKeys: true, merge: true, logLevel: 'error' });
      this.full = new Locator(this.file, doc, lines, this.content);
    }
    return this.full;
  }

  override position(problem: Problem): { line: number; col: number } {
    const offset = problem.pos || problem.at ? undefined : this.starts.get(pathKey(problem.path));
    if (offset === undefined) return this.yaml().position(problem);
    if (!this.lineStarts) {
      this.lineStarts = [0];
      for (let i = this.content.indexOf('\n'); i >= 0; i = this.content.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
    }
    let line = 0;
    while (line + 1 < this.lineStarts.length && this.lineStarts[line + 1]! <= offset) line++;
    return { line: line + 1, col: offset - this.lineStarts[line]! + 1 };
  }

  override source(path: Path): string | undefined {
    return this.yaml().source(path);
  }

  override pathAt(offset: number): Path {
    return this.yaml().pathAt(offset);
  }
}

/**
 * loadRunbook's result and errors; yaml and zod loaded only for a runbook the fast path does not
 * accept. With `cached` (commands that change nothing: plan, dry runs), a runbook this build has
 * already validated, byte for byte, is read back from the user's cache instead of checked again.
 */
export async function loadRunbookFast(file: string, options: { cached?: boolean } = {}): Promise<Runbook> {
  const bytes = await readRunbookBytes(file);
  const digest = sha256(bytes);
  const text = bytes.toString('utf8');
  if (options.cached) {
    const kept = await readCached<Runbook>('validated', file, digest);
    if (kept?.digest === digest && kept.file === file) {
      // Positions for a problem found later (resolve) come from yaml, parsed only then.
      rememberLocator(kept, new PlainLocator(file, text, new Map()));
      return kept;
    }
  }
  const runbook = await validated(file, text, digest);
  if (options.cached) await writeCached('validated', file, digest, runbook);
  return runbook;
}

async function validated(file: string, text: string, digest: string): Promise<Runbook> {
  const plain = readPlainYaml(text);
  if (plain) {
    const runbook = fastRunbook({ data: plain.data, locator: new PlainLocator(file, text, plain.starts), problems: [] }, file, digest);
    if (runbook) return runbook;
  }
  const { parseYaml } = await import('./source.js');
  const yaml = parseYaml(text, file);
  const runbook = fastRunbook(yaml, file, digest);
  if (runbook) return runbook;
  const { checkRunbook } = await import('./load.js');
  return checkRunbook(yaml, file, digest);
}
