import { isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, LineCounter, Node } from 'yaml';
import type { Locator, Path, Problem } from './locate.js';

/**
 * Limits and refusals for runbooks that are hostile or broken in ways a schema cannot see: too big
 * to parse, nested or aliased to exhaust memory, tagged to become something other than text, keyed
 * to reach an object's prototype, or written with characters that make text display differently
 * from what it is. A runbook is a reviewed ops document: none of these has a use in one.
 */

export { MAX_RUNBOOK_BYTES } from './constants.js';
/** Deeper nesting than this is refused (the TIS runbook nests 7 deep). */
export const MAX_DEPTH = 64;
/** yaml's guard against alias expansion ("billion laughs"): how far one anchor may be repeated. */
export const MAX_ALIAS_COUNT = 100;

/** Keys that reach an object's prototype in JavaScript. */
const PROTO_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Tags of YAML's core schema: plain data. Anything else (`!!js/function`, `!evil`) is refused. */
const CORE_TAGS = new Set(['str', 'int', 'float', 'bool', 'null', 'map', 'seq', 'merge'].map((t) => `tag:yaml.org,2002:${t}`));
/** Bidirectional controls: embeddings, overrides, isolates and the marks (Trojan Source). */
const BIDI = /[\u200E\u200F\u202A-\u202E\u2066-\u2069]/g;

export interface Located {
  line: number;
  col: number;
  message: string;
}

function linePos(text: string, offset: number): { line: number; col: number } {
  let line = 1;
  let start = 0;
  for (let i = text.indexOf('\n'); i >= 0 && i < offset; i = text.indexOf('\n', i + 1)) {
    line += 1;
    start = i + 1;
  }
  return { line, col: offset - start + 1 };
}

function codePoint(ch: string): string {
  return `U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/**
 * Problems found in the text itself, before parsing: bidirectional controls anywhere (in a comment
 * they hide as well as in a title or an id), and flow collections (`[[[[...`) nested past
 * MAX_DEPTH, which would exhaust the parser's stack.
 */
export function scanText(text: string): Located[] {
  const found: Located[] = [];
  for (const match of text.matchAll(BIDI)) {
    const { line, col } = linePos(text, match.index);
    found.push({
      line,
      col,
      message: `bidirectional control character ${codePoint(match[0])}: it makes the text display differently from what it is (ids, titles and instructions must read as written); remove it`,
    });
    if (found.length >= 10) break;
  }
  const depthAt = flowTooDeep(text);
  if (depthAt !== undefined)
    found.push({ ...linePos(text, depthAt), message: `nested more than ${MAX_DEPTH} levels deep; a runbook needs far fewer` });
  return found;
}

/** Offset where `[`/`{` nesting passes MAX_DEPTH, skipping quoted strings and comments. */
function flowTooDeep(text: string): number | undefined {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (ch === "'") {
      for (i++; i < text.length; i++) {
        if (text[i] === "'" && text[i + 1] === "'") i++;
        else if (text[i] === "'") break;
      }
    } else if (ch === '#' && (i === 0 || /\s/.test(text[i - 1]!))) {
      while (i < text.length && text[i] !== '\n') i++;
    } else if (ch === '[' || ch === '{') {
      if (++depth > MAX_DEPTH) return i;
    } else if (ch === ']' || ch === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return undefined;
}

function keyOf(node: unknown): string | undefined {
  return isScalar(node) ? String(node.value) : undefined;
}

/**
 * Problems in the parsed document, found without recursion (the document may be deep): nesting
 * past MAX_DEPTH, tags outside YAML's core schema, and prototype keys anywhere.
 */
export function scanDocument(doc: Document, locator: Locator, lines: LineCounter): Problem[] {
  const problems: Problem[] = [];
  const at = (node: { range?: [number, number, number] | null | undefined }) => {
    const offset = node.range?.[0] ?? 0;
    return { path: locator.pathAt(offset).slice(0, MAX_DEPTH) as Path, pos: lines.linePos(offset) };
  };
  const stack: { node: unknown; depth: number }[] = [{ node: doc.contents, depth: 0 }];
  while (stack.length > 0) {
    const { node, depth } = stack.pop()!;
    if (!node || typeof node !== 'object' || isAlias(node)) continue;
    const n = node as Node;
    if (depth > MAX_DEPTH) {
      problems.push({ ...at(n), message: `nested more than ${MAX_DEPTH} levels deep; a runbook needs far fewer` });
      break;
    }
    if (n.tag && !CORE_TAGS.has(n.tag)) {
      problems.push({
        ...at(n),
        message: `the YAML tag "${n.tag.replace('tag:yaml.org,2002:', '!!')}" is not allowed: a runbook is plain data (strings, numbers, booleans, lists, maps)`,
      });
    }
    if (isMap(n)) {
      for (const pair of n.items) {
        if (!isPair(pair)) continue;
        const key = keyOf(pair.key);
        if (key !== undefined && PROTO_KEYS.has(key)) {
          problems.push({
            ...at(pair.key as Node),
            message: `"${key}" cannot be a key: it names a JavaScript object's prototype; rename it`,
          });
        }
        stack.push({ node: pair.key, depth: depth + 1 }, { node: pair.value, depth: depth + 1 });
      }
    } else if (isSeq(n)) {
      for (const item of n.items) stack.push({ node: item, depth: depth + 1 });
    }
  }
  return problems;
}

/** The first alias (`*name`) in the document, to point at when alias expansion is refused. */
export function firstAlias(doc: Document): { range?: [number, number, number] | null | undefined } | undefined {
  const stack: unknown[] = [doc.contents];
  let first: Node | undefined;
  while (stack.length > 0) {
    const node = stack.pop();
    if (!node || typeof node !== 'object') continue;
    if (isAlias(node)) {
      if (!first || (node.range?.[0] ?? 0) < (first.range?.[0] ?? 0)) first = node;
    } else if (isMap(node)) for (const pair of node.items) stack.push(pair.key, pair.value);
    else if (isSeq(node)) stack.push(...node.items);
  }
  return first;
}
