/**
 * A reader for the plain YAML runbooks are written in (block maps and lists, one-line flow
 * collections, quoted and plain scalars, `>`/`|` blocks, comments), without the yaml package:
 * validate's fast path reads the TIS runbook with it in a fraction of yaml's start-up and parse.
 * It returns exactly what yaml's parseDocument(...).toJS() returns, or undefined at the first thing
 * outside that subset (anchors, tags, multi-line flow or plain scalars, odd keys or numbers,
 * duplicate keys ...), and the loader then reads the file with yaml as always.
 * test/runbook/plain-yaml.test.ts holds it to yaml.
 */

export interface PlainYaml {
  data: unknown;
  /** Where each block or flow map inside a list starts (its first key, or its "{"), by path. */
  starts: Map<string, number>;
}

/** The key of a path in `starts`. */
export function pathKey(path: readonly (string | number)[]): string {
  return path.join('\u0000');
}

class Unsupported extends Error {}

const MAX_DEPTH = 48;
const NULL = /^(?:~|[Nn]ull|NULL)?$/;
const BOOL = /^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/;
const SAFE_INT = /^-?(?:0|[1-9][0-9]{0,14})$/;
/** What yaml's core schema reads as a number in forms this reader does not resolve itself. */
const OTHER_NUMBER = [
  /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/,
  /^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/,
  /^0o[0-7]+$/,
  /^[-+]?[0-9]+$/,
  /^0x[0-9a-fA-F]+$/,
];
const KEY = /^[A-Za-z0-9_][A-Za-z0-9_ ./-]*$/;
const PROTO = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Characters the full reader judges and locates itself: controls (tabs, \r), line separators
 * other than \n, bidirectional marks, a BOM, surrogates.
 */
function unusual(text: string): boolean {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (
      (c < 0x20 && c !== 0x0a) ||
      (c >= 0x7f && c <= 0x9f) ||
      (c >= 0xd800 && c <= 0xdfff) ||
      c === 0x2028 ||
      c === 0x2029 ||
      c === 0xfeff ||
      c >= 0xfffe ||
      c === 0x200e ||
      c === 0x200f ||
      (c >= 0x202a && c <= 0x202e) ||
      (c >= 0x2066 && c <= 0x2069)
    )
      return true;
  }
  return false;
}

function fail(): never {
  throw new Unsupported();
}

function plainValue(text: string): unknown {
  if (NULL.test(text)) return null;
  if (BOOL.test(text)) return text[0] === 't' || text[0] === 'T';
  if (SAFE_INT.test(text)) return Number(text);
  if (OTHER_NUMBER.some((re) => re.test(text))) fail();
  return text;
}

function plainKey(text: string): string {
  if (!KEY.test(text) || text.endsWith(' ') || PROTO.has(text) || typeof plainValue(text) !== 'string') fail();
  return text;
}

interface Line {
  start: number;
  indent: number;
  text: string;
}

export function readPlainYaml(source: string): PlainYaml | undefined {
  try {
    return new Reader(source).read();
  } catch (error) {
    if (error instanceof Unsupported) return undefined;
    throw error;
  }
}

class Reader {
  private readonly lines: Line[] = [];
  private i = 0;
  readonly starts = new Map<string, number>();

  constructor(source: string) {
    if (unusual(source)) fail();
    let start = 0;
    for (const text of source.split('\n')) {
      const indent = text.length - text.trimStart().length;
      this.lines.push({ start, indent, text });
      start += text.length + 1;
    }
  }

  read(): PlainYaml {
    this.skip();
    if (this.i >= this.lines.length) fail();
    const first = this.lines[this.i]!;
    if (first.indent !== 0 || /^(?:---|\.\.\.|%)/.test(first.text)) fail();
    const data = this.block(0, [], 0);
    this.skip();
    if (this.i < this.lines.length) fail();
    return { data, starts: this.starts };
  }

  /** Past blank and comment lines. */
  private skip(): void {
    while (this.i < this.lines.length && /^\s*(?:#.*)?$/.test(this.lines[this.i]!.text)) this.i++;
  }

  /** A block map or list whose first line is the current one, at its indentation. */
  private block(indent: number, path: (string | number)[], depth: number): unknown {
    if (depth > MAX_DEPTH) fail();
    const line = this.lines[this.i]!;
    if (line.indent !== indent) fail();
    const content = line.text.slice(indent);
    if (content === '-' || content.startsWith('- ')) return this.list(indent, path, depth);
    return this.map(indent, indent, path, depth);
  }

  private list(indent: number, path: (string | number)[], depth: number): unknown[] {
    const out: unknown[] = [];
    for (;;) {
      this.skip();
      const line = this.lines[this.i];
      if (!line || line.indent < indent) break;
      if (line.indent > indent) fail();
      const content = line.text.slice(indent);
      if (!(content === '-' || content.startsWith('- '))) break;
      const item = [...path, out.length];
      const rest = content.slice(1);
      const col = indent + 1 + (rest.length - rest.trimStart().length);
      const value = rest.trim();
      if (value === '' || value.startsWith('#')) {
        this.i++;
        this.skip();
        const next = this.lines[this.i];
        if (!next || next.indent <= indent) fail(); // "-" alone: null, not worth a rule
        this.markStart(item, next);
        out.push(this.block(next.indent, item, depth + 1));
      } else if (/^[A-Za-z0-9_][A-Za-z0-9_ ./-]*:(?:\s|$)/.test(value)) {
        // "- key: value": a map whose keys sit at this column.
        this.starts.set(pathKey(item), line.start + col);
        out.push(this.map(col, indent, item, depth + 1));
      } else {
        if (value.startsWith('{')) this.starts.set(pathKey(item), line.start + col);
        out.push(this.inline(value, depth + 1, indent));
      }
    }
    return out;
  }

  private markStart(path: (string | number)[], line: Line): void {
    const content = line.text.slice(line.indent);
    if (!(content === '-' || content.startsWith('- '))) this.starts.set(pathKey(path), line.start + line.indent);
  }

  /**
   * A block map with keys at column `col`. Its first line may be a list item's ("- key: v"), so
   * that line's own indentation is `parent`'s.
   */
  private map(col: number, parent: number, path: (string | number)[], depth: number): Record<string, unknown> {
    if (depth > MAX_DEPTH) fail();
    const out: Record<string, unknown> = {};
    let first = true;
    for (;;) {
      if (!first) {
        this.skip();
        const line = this.lines[this.i];
        if (!line || line.indent < col) break;
        if (line.indent > col) fail();
        if (line.indent === parent && line.text.slice(col).startsWith('-')) break;
      }
      const line = this.lines[this.i]!;
      const content = line.text.slice(col);
      const m = /^([^:#]*?):(?:[ ]+|$)/.exec(content);
      if (!m) fail();
      const key = plainKey(m[1]!);
      if (Object.hasOwn(out, key)) fail();
      const rest = content.slice(m[0].length);
      const keyPath = [...path, key];
      first = false;
      if (rest === '' || rest.startsWith('#')) {
        this.i++;
        this.skip();
        const next = this.lines[this.i];
        const nextContent = next?.text.slice(next.indent) ?? '';
        if (next && (next.indent > col || (next.indent === col && (nextContent === '-' || nextContent.startsWith('- '))))) {
          this.markStart(keyPath, next);
          out[key] = this.block(next.indent, keyPath, depth + 1);
        } else out[key] = null;
      } else {
        out[key] = this.inline(rest, depth + 1, col);
      }
    }
    return out;
  }

  /** A value that starts on this line after "key: " or "- "; consumes its line (and a block scalar's). */
  private inline(text: string, depth: number, indent: number): unknown {
    const first = text[0]!;
    let value: unknown;
    let rest: string;
    if (first === '>' || first === '|') {
      this.i++;
      return this.blockScalar(text, indent);
    }
    if (first === '{' || first === '[') {
      const flow = new Flow(text, depth);
      value = flow.value();
      rest = flow.rest();
    } else if (first === '"' || first === "'") {
      const q = quoted(text);
      value = q.value;
      rest = text.slice(q.end);
    } else {
      if (/^[&*!%@`,?:\]}-]/.test(text) && !/^-[^\s-]/.test(text)) fail();
      const hash = text.search(/\s#/);
      const scalar = (hash < 0 ? text : text.slice(0, hash)).trimEnd();
      if (/:(?:\s|$)/.test(scalar) || /^-\s/.test(scalar)) fail();
      value = plainValue(scalar);
      rest = hash < 0 ? '' : text.slice(hash);
    }
    if (!/^\s*(?:#.*)?$/.test(rest)) fail();
    this.i++;
    // A value continued on the next lines (a multi-line plain or quoted scalar) is yaml's to read.
    const next = this.lines[this.i];
    if (next && next.indent > indent && !/^\s*(?:#.*)?$/.test(next.text)) fail();
    return value;
  }

  /** `>`/`>-`/`|`/`|-` whose lines (none blank, none indented further) follow at one indentation. */
  private blockScalar(header: string, parentIndent: number): string {
    const m = /^([>|])(-?)\s*(?:#.*)?$/.exec(header);
    if (!m) fail();
    const lines: string[] = [];
    let indent = -1;
    while (this.i < this.lines.length) {
      const line = this.lines[this.i]!;
      if (line.text.trim() === '') break;
      if (line.indent <= parentIndent) break;
      if (indent < 0) indent = line.indent;
      if (line.indent !== indent || /\s$/.test(line.text)) fail();
      lines.push(line.text.slice(indent));
      this.i++;
    }
    if (lines.length === 0) fail();
    // A blank line inside or after the block (before more of it) changes the folding: not here.
    const after = this.i;
    this.skip();
    const next = this.lines[this.i];
    if (next && next.indent > parentIndent && this.i !== after) fail();
    this.i = after;
    const body = m[1] === '>' ? lines.join(' ') : lines.join('\n');
    return m[2] === '-' ? body : `${body}\n`;
  }
}

function quoted(text: string): { value: string; end: number } {
  if (text[0] === "'") {
    let out = '';
    for (let i = 1; i < text.length; i++) {
      const ch = text[i]!;
      if (ch === "'") {
        if (text[i + 1] === "'") {
          out += "'";
          i++;
        } else return { value: out, end: i + 1 };
      } else out += ch;
    }
    fail();
  }
  let out = '';
  for (let i = 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '"') return { value: out, end: i + 1 };
    if (ch === '\\') {
      const next = text[++i];
      const simple: Record<string, string> = { '\\': '\\', '"': '"', '/': '/', n: '\n', t: '\t' };
      if (next === undefined || simple[next] === undefined) fail();
      out += simple[next];
    } else out += ch;
  }
  fail();
}

/** One flow collection on one line: `{ a: b, c: [d, "e"] }`. */
class Flow {
  private pos = 0;

  constructor(
    private readonly text: string,
    private readonly depth: number,
  ) {}

  value(): unknown {
    const v = this.node(this.depth);
    return v;
  }

  rest(): string {
    return this.text.slice(this.pos);
  }

  private space(): void {
    while (this.text[this.pos] === ' ') this.pos++;
  }

  private node(depth: number): unknown {
    if (depth > MAX_DEPTH) fail();
    this.space();
    const ch = this.text[this.pos];
    if (ch === '{') return this.map(depth);
    if (ch === '[') return this.list(depth);
    if (ch === '"' || ch === "'") {
      const q = quoted(this.text.slice(this.pos));
      this.pos += q.end;
      return q.value;
    }
    return plainValue(this.plain());
  }

  /** A plain scalar in a flow: up to ",", "]", "}" or ": ". */
  private plain(): string {
    // A scan, not a regular expression: a hostile line of spaces must not cost quadratic time.
    const start = this.pos;
    const first = this.text[start];
    if (first === undefined || /[\s,[\]{}#&*!|>'"%@`?:-]/.test(first)) fail();
    let end = start;
    for (;;) {
      const ch = this.text[end];
      if (ch === undefined || ch === ',' || ch === ']' || ch === '}') break;
      if (ch === ':') {
        const after = this.text[end + 1];
        if (after === undefined || /\s/.test(after)) break;
        fail();
      }
      if (ch === '[' || ch === '{' || ch === '#') fail();
      end++;
    }
    const text = this.text.slice(start, end).trimEnd();
    this.pos = start + text.length;
    return text;
  }

  private map(depth: number): Record<string, unknown> {
    this.pos++;
    const out: Record<string, unknown> = {};
    this.space();
    if (this.text[this.pos] === '}') fail();
    for (;;) {
      this.space();
      const key = plainKey(this.plain());
      if (Object.hasOwn(out, key)) fail();
      this.space();
      if (this.text[this.pos] !== ':' || this.text[this.pos + 1] !== ' ') fail();
      this.pos += 2;
      out[key] = this.node(depth + 1);
      this.space();
      const ch = this.text[this.pos++];
      if (ch === '}') return out;
      if (ch !== ',') fail();
    }
  }

  private list(depth: number): unknown[] {
    this.pos++;
    const out: unknown[] = [];
    this.space();
    if (this.text[this.pos] === ']') {
      this.pos++;
      return out;
    }
    for (;;) {
      out.push(this.node(depth + 1));
      this.space();
      const ch = this.text[this.pos++];
      if (ch === ']') return out;
      if (ch !== ',') fail();
      this.space();
      if (this.text[this.pos] === ']') fail();
    }
  }
}
