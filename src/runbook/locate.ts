import type { Alias, Document, LineCounter, Node, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { SourceLocation } from './types.js';

export type Path = readonly (string | number)[];

/**
 * yaml's node tests (its nodes/identity.js), by the global symbols yaml marks its nodes with so
 * that copies of it agree: this module loads no yaml of its own, and validate's fast path places
 * steps without yaml at all. test/runbook/locate-identity.test.ts holds them to yaml's.
 */
const NODE_TYPE = Symbol.for('yaml.node.type');
const kindOf = (node: unknown): symbol | undefined =>
  node !== null && typeof node === 'object' ? ((node as Record<symbol, unknown>)[NODE_TYPE] as symbol | undefined) : undefined;
const [ALIAS, MAP, SCALAR, SEQ] = ['alias', 'map', 'scalar', 'seq'].map((k) => Symbol.for(`yaml.${k}`));
export const yamlIs = {
  alias: (node: unknown): node is Alias => kindOf(node) === ALIAS,
  map: (node: unknown): node is YAMLMap => kindOf(node) === MAP,
  scalar: (node: unknown): node is Scalar => kindOf(node) === SCALAR,
  seq: (node: unknown): node is YAMLSeq => kindOf(node) === SEQ,
  node: (node: unknown): node is Node => [ALIAS, MAP, SCALAR, SEQ].includes(kindOf(node)),
};

/**
 * One thing wrong with the runbook. `at` says which part of the document the operator should look
 * at: the value, the key itself (an unknown key), or the map that lacks a key.
 */
export interface Problem {
  path: Path;
  message: string;
  at?: 'value' | 'key' | 'parent';
  /** A position the parser already knows (YAML syntax errors). */
  pos?: { line: number; col: number };
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** ["phases", "mid", 2, "with", "maxTtl"] -> "phases.mid[2].with.maxTtl". */
export function formatPath(path: Path): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (PLAIN_KEY.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(seg)}]`;
  }
  return out === '' ? '(root)' : out;
}

function keyText(key: unknown): string {
  return yamlIs.scalar(key) ? String(key.value) : String(key);
}

interface Found {
  node: Node | null;
  /** The key node of the pair holding `node`, when the last step was through a map. */
  key: Node | null;
  /** How many path segments were matched. */
  depth: number;
}

/** Maps document paths to line:col through the parsed YAML nodes. */
export class Locator {
  constructor(
    readonly file: string,
    private readonly doc: Document,
    private readonly counter: LineCounter,
    private readonly text: string,
  ) {}

  private find(path: Path): Found {
    let node = this.doc.contents as Node | null;
    let key: Node | null = null;
    let depth = 0;
    for (const seg of path) {
      if (yamlIs.alias(node)) node = (node.resolve(this.doc) as Node | undefined) ?? null;
      let next: Node | null | undefined;
      let nextKey: Node | null = null;
      if (yamlIs.map(node)) {
        const pair = node.items.find((p) => keyText(p.key) === String(seg));
        if (!pair) break;
        nextKey = yamlIs.node(pair.key) ? pair.key : null;
        next = (pair.value as Node | null) ?? null;
        // `name:` with no value: point at the key, there is nothing else.
        if (next === null || !next.range) next = nextKey;
      } else if (yamlIs.seq(node) && typeof seg === 'number') {
        next = (node.items[seg] as Node | undefined) ?? undefined;
        if (next === undefined) break;
      } else break;
      node = next ?? null;
      key = nextKey;
      depth++;
    }
    return { node, key, depth };
  }

  private posOf(node: Node | null): { line: number; col: number } {
    const offset = node?.range?.[0] ?? 0;
    return this.counter.linePos(offset);
  }

  position(problem: Problem): { line: number; col: number } {
    if (problem.pos) return problem.pos;
    const at = problem.at ?? 'value';
    const path = at === 'parent' ? problem.path.slice(0, -1) : problem.path;
    const found = this.find(path);
    if (at === 'key' && found.depth === path.length && found.key) return this.posOf(found.key);
    return this.posOf(found.node);
  }

  location(path: Path): SourceLocation {
    const { line, col } = this.position({ path, message: '' });
    return { file: this.file, line, col, path: formatPath(path) };
  }

  /** The value as written ("000000000000", not 0), for messages that quote it back. */
  source(path: Path): string | undefined {
    const found = this.find(path);
    if (found.depth !== path.length || !found.node?.range) return undefined;
    return this.text.slice(found.node.range[0], found.node.range[1]).trim();
  }

  /** The path of the deepest node at a text offset, to name where a syntax error sits. */
  pathAt(offset: number): Path {
    const path: (string | number)[] = [];
    let node = this.doc.contents as Node | null;
    const within = (n: unknown): n is Node =>
      !!n &&
      typeof n === 'object' &&
      'range' in n &&
      !!(n as Node).range &&
      (n as Node).range![0] <= offset &&
      offset < (n as Node).range![1];
    for (;;) {
      if (yamlIs.map(node)) {
        const pair = node.items.find((p) => within(p.key) || within(p.value));
        if (!pair) break;
        path.push(keyText(pair.key));
        if (!within(pair.value)) break;
        node = pair.value as Node;
      } else if (yamlIs.seq(node)) {
        const index = node.items.findIndex((item) => within(item));
        if (index < 0) break;
        path.push(index);
        node = node.items[index] as Node;
      } else break;
    }
    return path;
  }

  line(problem: Problem): string {
    const { line, col } = this.position(problem);
    return `${this.file}:${line}:${col}  ${formatPath(problem.path)}  ${problem.message}`;
  }

  /** Detail lines in document order, each said once. */
  detailLines(problems: Problem[]): string[] {
    const placed = problems.map((p) => ({ p, pos: this.position(p) }));
    placed.sort((a, b) => a.pos.line - b.pos.line || a.pos.col - b.pos.col);
    return [...new Set(placed.map(({ p }) => this.line(p)))];
  }
}

/** The inverse of formatPath, so a StepDef's `loc.path` leads back to its YAML node. */
export function parsePath(text: string): Path {
  if (text === '(root)') return [];
  const path: (string | number)[] = [];
  const token = /\.?([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/gy;
  for (let match = token.exec(text); match; match = token.exec(text)) {
    if (match[1] !== undefined) path.push(match[1]);
    else if (match[2] !== undefined) path.push(Number(match[2]));
    else path.push(JSON.parse(match[3]!) as string);
    if (token.lastIndex === text.length) break;
  }
  return path;
}

const locators = new WeakMap<object, Locator>();

/** Keeps the parsed YAML of a loaded runbook, so later errors (resolve) can still say line:col. */
export function rememberLocator(runbook: object, locator: Locator): void {
  locators.set(runbook, locator);
}

export function locatorOf(runbook: object): Locator | undefined {
  return locators.get(runbook);
}
