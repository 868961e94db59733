import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LineCounter, parseDocument } from 'yaml';
import { describe, expect, it } from 'vitest';
import { scanDocument, scanText } from '../../src/runbook/hostile.js';
import { Locator } from '../../src/runbook/locate.js';
import { readPlainYaml } from '../../src/runbook/plain-yaml.js';

/**
 * The plain reader (src/runbook/plain-yaml.ts) must read what yaml reads, value for value, or give
 * up: for the shipped runbooks, and for thousands of edits of them, valid YAML or not.
 */

const root = fileURLToPath(new URL('../../runbooks/', import.meta.url));
const TEXTS = [
  `${root}cognito-migration.yaml`,
  ...readdirSync(`${root}examples`)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `${root}examples/${f}`),
  fileURLToPath(new URL('./fixtures/small.yaml', import.meta.url)),
].map((file) => readFileSync(file, 'utf8'));

function ser(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v === undefined ? '\u0000undefined' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const SCALARS = [
  '',
  'x',
  'a b',
  'a  b',
  '"q"',
  '"a\\"b"',
  '"a\\\\b"',
  '"\\u0041"',
  '"\\x41"',
  '"tab\\tx"',
  "'it''s'",
  "'a'b",
  '"x" # c',
  'x # c',
  'a#b',
  'a #b',
  'a: b',
  'a:b',
  'https://x.example/z?q=1',
  '${vars.stage}',
  '0',
  '-1',
  '+1',
  '007',
  '0x10',
  '0o17',
  '1e3',
  '.5',
  '1.',
  '1.5',
  '.inf',
  '.NaN',
  '123456789012345678',
  '~',
  'null',
  'Null',
  'NULL',
  'true',
  'True',
  'FALSE',
  'yes',
  'on',
  '- x',
  '-x',
  '--x',
  '? x',
  '[a, b]',
  '[a,b]',
  '[a, b,]',
  '[]',
  '{}',
  '{ a: b }',
  '{a: b}',
  '{ a: b, }',
  '{ a: [1, "2"], b: { c: d } }',
  '{ url: https://x }',
  '{ a: b, a: c }',
  '{ HEE Admin: HEE Admin }',
  '[a, b',
  '&a x',
  '*a',
  '!!str x',
  '!x y',
  '>-',
  '|',
  '|-',
  '>',
  '>+',
  '|2',
  '%x',
  '@x',
  '`x`',
  ',x',
  'x,',
  ']',
  'a   ',
  '"unclosed',
  "'unclosed",
  '__proto__',
  '\u202Ex',
];

function mutate(text: string, next: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const lines = text.split('\n');
  const edits = 1 + Math.floor(next() * 3);
  for (let e = 0; e < edits; e++) {
    const i = Math.floor(next() * lines.length);
    const line = lines[i] ?? '';
    const indent = line.length - line.trimStart().length;
    switch (Math.floor(next() * 12)) {
      case 0:
        lines[i] = `${' '.repeat(Math.max(0, indent + pick([-2, -1, 1, 2])))}${line.trimStart()}`;
        break;
      case 1:
        lines.splice(i, 0, `${' '.repeat(Math.floor(next() * 8))}# a comment: with [stuff]`);
        break;
      case 2:
        lines[i] = `${line} # trailing`;
        break;
      case 3:
      case 4:
      case 5: {
        const m = /^(\s*(?:- )?[^:#]*: )(.*)$/.exec(line);
        if (m) lines[i] = `${m[1]}${pick(SCALARS)}`;
        else if (/^\s*- /.test(line)) lines[i] = `${line.slice(0, line.indexOf('- ') + 2)}${pick(SCALARS)}`;
        break;
      }
      case 6:
        lines.splice(i, 0, line);
        break;
      case 7:
        lines.splice(i, 1);
        break;
      case 8:
        lines.splice(i, 0, pick(['', '   ', '---', '...']));
        break;
      case 9:
        lines[i] = `${line}${pick([' ', '\t', ':', ' x', '\r'])}`;
        break;
      case 10: {
        const m = /^(\s*(?:- )?)([^:#]*)(:.*)$/.exec(line);
        if (m) lines[i] = `${m[1]}${pick(['x', 'a b', '"q"', '1', '1e3', 'true', '<<', '__proto__', 'a.b', 'a/b', '-a', '? a'])}${m[3]}`;
        break;
      }
      default: {
        // A nested map turned into a flow map, or a value moved to the next line.
        const m = /^(\s*)([A-Za-z]+): (.+)$/.exec(line);
        if (m) lines.splice(i, 1, `${m[1]}${m[2]}:`, `${m[1]}${' '.repeat(pick([1, 2, 4]))}${m[3]}`);
      }
    }
  }
  return lines.join('\n');
}

function yamlRead(text: string): { ok: boolean; data?: unknown; locator?: Locator } {
  if (scanText(text).length > 0) return { ok: false };
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true, merge: true, logLevel: 'error' });
  if (doc.errors.length > 0) return { ok: false };
  const locator = new Locator('f.yaml', doc, lineCounter, text);
  if (scanDocument(doc, locator, lineCounter).length > 0) return { ok: false };
  return { ok: true, data: doc.toJS({ maxAliasCount: 100 }), locator };
}

function check(text: string): 'read' | 'declined' {
  const plain = readPlainYaml(text);
  if (!plain) return 'declined';
  const expected = yamlRead(text);
  expect(expected.ok, `the plain reader read what yaml refuses:\n${text}`).toBe(true);
  expect(ser(plain.data), text).toBe(ser(expected.data));
  for (const [key, offset] of plain.starts) {
    const path = key.split('\u0000').map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    expect(offset, `${key}\n${text}`).toBe(offsetOf(text, expected.locator!, path));
  }
  return 'read';
}

function offsetOf(text: string, locator: Locator, path: (string | number)[]): number {
  const { line, col } = locator.location(path);
  const lines = text.split('\n');
  let offset = 0;
  for (let i = 0; i < line - 1; i++) offset += lines[i]!.length + 1;
  return offset + col - 1;
}

describe('the plain YAML reader', () => {
  it('reads the shipped runbooks as yaml does, and places their steps where yaml does', () => {
    for (const text of TEXTS) expect(check(text)).toBe('read');
  });

  it('reads an edited runbook as yaml does, or declines it', () => {
    const next = random(Number(process.env.PLAIN_YAML_SEED ?? 5));
    const counts = { read: 0, declined: 0 };
    for (let i = 0; i < Number(process.env.PLAIN_YAML_RUNS ?? 1000); i++) counts[check(mutate(TEXTS[i % TEXTS.length]!, next))]++;
    if (process.env.PLAIN_YAML_DEBUG) console.log(counts);
    expect(counts.read).toBeGreaterThan(200);
    expect(counts.declined).toBeGreaterThan(200);
  });

  it('reads hostile lines in linear time (a long run of spaces in a flow, a long key)', () => {
    for (const text of [`a: [x${' '.repeat(200_000)}y]\n`, `a: { ${'k'.repeat(200_000)} x: y }\n`, `${'k '.repeat(100_000)}\n`])
      check(text);
  });

  it('reads small documents of every form it knows as yaml does', () => {
    const docs = [
      'a: 1\nb:\n  - x\n  - y: 2\n    z: [1, "2", {c: d}]\nc: >-\n  one\n  two\nd: |\n  l1\n  l2\ne:\n- 1\n- 2\nf: ~\ng:\n',
      'list:\n  -\n    a: b\n  - c\n',
      "a: \"x\\ny\"\nb: 'q''q'\n",
    ];
    for (const text of docs) check(text);
  });
});
