import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { GENERATED_FILE, validatorsFingerprint } from '../../src/runbook/compile-validator.js';
import { builtInShapes, fastRunbook, loadRunbookFast } from '../../src/runbook/fast.js';
import { buildScope, envUnknown } from '../../src/runbook/interpolate.js';
import { parseParams } from '../../src/runbook/validate-params.js';
import * as compiled from '../../src/runbook/generated/validators.js';
import { checkRunbook, loadRunbook } from '../../src/runbook/load.js';
import { runbookSchema } from '../../src/runbook/schema.js';
import { parseYaml, type ParsedYaml } from '../../src/runbook/source.js';
import { stepTypes } from '../../src/steps/index.js';
import { sha256 } from '../../src/util/json.js';
import type { RunbookError } from '../../src/errors.js';
import type { Runbook } from '../../src/runbook/types.js';
import { CASES } from './hostile-cases.js';

/**
 * validate's fast path (src/runbook/fast.ts) must load exactly what the full check (zod) loads, and
 * accept nothing the full check refuses: for the shipped runbooks, and for thousands of variants.
 */

const root = fileURLToPath(new URL('../../runbooks/', import.meta.url));
const RUNBOOKS = [
  ...readdirSync(root)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `${root}${f}`),
  ...readdirSync(`${root}examples`)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => `${root}examples/${f}`),
  fileURLToPath(new URL('./fixtures/small.yaml', import.meta.url)),
];

/** Every value, key order and undefined included. */
function ser(value: unknown): string {
  return JSON.stringify(value, (_k, v) =>
    v === undefined ? '\u0000undefined' : typeof v === 'number' && !Number.isFinite(v) ? String(v) : v,
  );
}

function full(yaml: ParsedYaml, file: string): Runbook | Error {
  try {
    return checkRunbook(yaml, file, 'digest');
  } catch (error) {
    return error as Error;
  }
}

/** A small seeded generator, so a failure can be replayed. */
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

const VALUES: unknown[] = [
  '',
  'x',
  '${vars.stage}',
  '${vars.nope}',
  '${env.MIGRATE_FAST_PATH_UNSET}',
  '${tf.nope}',
  '$${vars.stage}',
  0,
  -1,
  1.5,
  60,
  '60',
  ' 7 ',
  99,
  600,
  2147483648,
  true,
  false,
  null,
  [],
  {},
  ['GET'],
  ['GET', 'BOGUS'],
  'https://a.example/x',
  ' https://a.example/y ',
  'https://a.exa\tmple/',
  'http:a.example',
  'ftp://a.example/',
  'https://',
  '5m',
  '90s',
  '1.5h',
  '5 m',
  'mid.3',
  'mid.1',
  'pre.1a',
  'pre.nope',
  'A',
  'CNAME',
  'default',
  'zz.example.',
  '*.zz.example',
  'd111111abcdef8.cloudfront.net',
  '3 of 5',
  '3 of 10m',
  'eu-west-2',
  '123456789012',
  's3://bucket/key',
  'arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_abc',
  'Z0123456789',
  { cloudfront: 'd1.cloudfront.net' },
  { dnsName: 'lb.example', hostedZoneId: 'Z1' },
  { cloudfront: '${vars.nope}' },
  { minimumLength: 8 },
  { minimumLength: '8' },
  { userMigration: true },
  { a: null },
  { authProvider: 'COGNITO' },
];

type Node = Record<string | number, unknown>;

function paths(value: unknown, base: (string | number)[] = []): (string | number)[][] {
  const out = [base];
  if (Array.isArray(value)) for (const [i, v] of value.entries()) out.push(...paths(v, [...base, i]));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...base, k]));
  return out;
}

function keysOf(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) keysOf(v, into);
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      into.add(k);
      keysOf(v, into);
    }
  return into;
}

/** One or two random edits: a key dropped or added, a value replaced, an element repeated. */
function mutate(data: unknown, next: () => number, keys: string[]): unknown {
  const copy = structuredClone(data);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const edits = 1 + Math.floor(next() * 2);
  for (let e = 0; e < edits; e++) {
    const candidates = paths(copy).filter((p) => p.length > 0);
    if (candidates.length === 0) break;
    const path = pick(candidates);
    let parent = copy as Node;
    for (const seg of path.slice(0, -1)) parent = parent[seg] as Node;
    const last = path[path.length - 1]!;
    const value = pick(VALUES);
    const target = parent[last];
    switch (Math.floor(next() * 5)) {
      case 0:
        if (Array.isArray(parent)) parent.splice(Number(last), 1);
        else delete parent[last];
        break;
      case 1:
        parent[last] = structuredClone(value);
        break;
      case 2:
        if (target !== null && typeof target === 'object' && !Array.isArray(target))
          (target as Node)[next() < 0.8 ? pick(keys) : 'bogusKey'] = structuredClone(value);
        else parent[last] = structuredClone(value);
        break;
      case 3:
        if (Array.isArray(target) && target.length > 0) target.push(structuredClone(pick(target)));
        else if (Array.isArray(parent)) parent.push(structuredClone(parent[Number(last)]));
        else parent[last] = structuredClone(value);
        break;
      default:
        if (typeof target === 'string') parent[last] = `${target}${pick(['', ' ', '${vars.stage}', '-2', '.'])}`;
        else if (typeof target === 'number') parent[last] = String(target);
        else parent[last] = structuredClone(value);
    }
  }
  return copy;
}

describe('the compiled validator', () => {
  it('is generated from the schema as it is now (run npm run build && npm run schema when this fails)', () => {
    const committed = /export const FINGERPRINT = "([0-9a-f]+)"/.exec(readFileSync(GENERATED_FILE, 'utf8'))?.[1];
    expect(committed, `${GENERATED_FILE} is stale: run npm run build && npm run schema, and commit it`).toBe(validatorsFingerprint());
  });

  it.each(RUNBOOKS)('loads %s exactly as the full check does, without zod', async (file) => {
    const text = readFileSync(file, 'utf8');
    const yaml = parseYaml(text, file);
    const fast = fastRunbook(yaml, file, 'digest');
    expect(
      fast,
      'the fast path must decide a shipped runbook by itself: is a refinement written without rule() (steps/support/params.ts), or a zod construct compile-validator.ts does not know?',
    ).toBeDefined();
    expect(ser(fast)).toBe(ser(full(yaml, file)));
    expect(fast).toStrictEqual(full(yaml, file));
    expect(ser(await loadRunbookFast(file))).toBe(ser(await loadRunbook(file)));
  });

  it('never accepts a variant the full check refuses, and loads the ones it accepts identically', () => {
    const next = random(Number(process.env.FAST_PATH_SEED ?? 17));
    let accepted = 0;
    let refused = 0;
    for (const file of RUNBOOKS) {
      const yaml = parseYaml(readFileSync(file, 'utf8'), file);
      const keys = [...keysOf(yaml.data)];
      for (let i = 0; i < Number(process.env.FAST_PATH_RUNS ?? 250); i++) {
        const data = mutate(yaml.data, next, keys);
        const variant = { ...yaml, data };
        const fast = fastRunbook(variant, file, 'digest');
        const expected = full(variant, file);
        if (fast === undefined) {
          if (expected instanceof Error) refused++;
          continue;
        }
        accepted++;
        if (expected instanceof Error)
          throw new Error(`fast path accepted ${ser(data)}\nwhich the full check refuses: ${expected.message}`);
        expect(ser(fast)).toBe(ser(expected));
      }
    }
    if (process.env.FAST_PATH_DEBUG) console.log({ accepted, refused });
    // The variants must exercise both answers.
    expect(accepted).toBeGreaterThan(50);
    expect(refused).toBeGreaterThan(50);
  });

  it("returns zod's output for what zod accepts, and rejects (REJECT) only what zod rejects", () => {
    const next = random(Number(process.env.FAST_PATH_SEED ?? 42));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const withs: Record<string, unknown[]> = {};
    const docs: unknown[] = [];
    for (const file of RUNBOOKS) {
      const { data } = parseYaml(readFileSync(file, 'utf8'), file);
      docs.push(data);
      for (const p of paths(data)) {
        let node = data as Node;
        for (const seg of p) node = node?.[seg] as Node;
        if (node && typeof node === 'object' && !Array.isArray(node) && Object.hasOwn(node, 'with')) {
          const type = typeof node.type === 'string' ? node.type : 'http.check';
          withs[type] = [...(withs[type] ?? []), node.with];
        }
      }
    }
    const compare = (
      compiledFn: (v: unknown) => unknown,
      zodSchema: typeof runbookSchema,
      value: unknown,
    ): 'accepted' | 'rejected' | 'unsure' => {
      const expected = zodSchema.safeParse(value);
      try {
        const out = compiledFn(value);
        expect(expected.success, `compiled accepted ${ser(value)}; zod: ${expected.error?.message}`).toBe(true);
        expect(ser(out)).toBe(ser(expected.data));
        return 'accepted';
      } catch (error) {
        if (error === compiled.REJECT) {
          expect(expected.success, `compiled rejected ${ser(value)}, which zod accepts`).toBe(false);
          return 'rejected';
        }
        if (error === compiled.UNSURE) return 'unsure';
        throw error;
      }
    };
    const counts = { accepted: 0, rejected: 0, unsure: 0 };
    for (const type of [...stepTypes.values()]) {
      const fn = compiled.stepTypes.find((t: { name: string }) => t.name === type.name)!.params as (v: unknown) => unknown;
      expect(fn, type.name).toBeDefined();
      const seeds = withs[type.name] ?? [{}];
      for (let i = 0; i < Number(process.env.FAST_PATH_RUNS ?? 300); i++) {
        const value = next() < 0.1 ? pick(VALUES) : mutate({ with: pick(seeds) }, next, [...keysOf(seeds)]);
        const input = value !== null && typeof value === 'object' && Object.hasOwn(value, 'with') ? (value as Node).with : value;
        counts[compare(fn, type.params as typeof runbookSchema, input)]++;
      }
    }
    for (let i = 0; i < Number(process.env.FAST_PATH_RUNS ?? 300); i++) {
      const doc = pick(docs);
      counts[compare(compiled.runbook as (v: unknown) => unknown, runbookSchema, mutate(doc, next, [...keysOf(doc)]))]++;
    }
    if (process.env.FAST_PATH_DEBUG) console.log(counts);
    expect(counts.accepted).toBeGreaterThan(300);
    expect(counts.rejected).toBeGreaterThan(300);
    expect(counts.unsure).toBeLessThan(counts.accepted / 10);
  });

  it('judges parameters with values not known yet (${env.X}, ${tf.x}) as the full check does, or leaves them to it', () => {
    const next = random(Number(process.env.FAST_PATH_SEED ?? 7));
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
    const { resolve } = buildScope(new Map([['stage', { value: 'sandbox', path: ['vars', 'stage'] }]]), envUnknown, envUnknown);
    const unknown = ['${env.MIGRATE_FAST_PATH_UNSET}', '${tf.nope}', 'https://${env.HOST}/x', '${env.TTL}'];
    const fastTypes = new Map(builtInShapes().map((t) => [t.name, t]));
    const counts = { same: 0, undecided: 0, unknown: 0 };
    for (const type of [...stepTypes.values()]) {
      const seeds = RUNBOOKS.flatMap((file) => {
        const { data } = parseYaml(readFileSync(file, 'utf8'), file);
        return paths(data).flatMap((p) => {
          let node = data as Node;
          for (const seg of p) node = node?.[seg] as Node;
          return node &&
            typeof node === 'object' &&
            !Array.isArray(node) &&
            (node.type ?? 'http.check') === type.name &&
            Object.hasOwn(node, 'with')
            ? [node.with]
            : [];
        });
      });
      for (let i = 0; i < Number(process.env.FAST_PATH_RUNS ?? 150); i++) {
        let value = structuredClone(seeds.length > 0 ? pick(seeds) : {}) as Node;
        if (next() < 0.6) value = (mutate({ with: value }, next, [...keysOf(seeds)]) as Node).with as Node;
        // Some leaves become references validate cannot resolve.
        for (const p of paths(value).filter((x) => x.length > 0)) {
          if (next() > 0.25) continue;
          let parent = value;
          for (const seg of p.slice(0, -1)) parent = parent?.[seg] as Node;
          if (parent !== null && typeof parent === 'object') parent[p[p.length - 1]!] = pick(unknown);
        }
        const site = { with: value, path: ['phases', 'mid', 0, 'with'] };
        const expected = parseParams({ ...site, type }, resolve, () => undefined);
        let got: ReturnType<typeof parseParams>;
        try {
          got = parseParams({ ...site, type: fastTypes.get(type.name)! }, resolve, () => undefined);
        } catch {
          counts.undecided++;
          continue;
        }
        if (JSON.stringify(value).includes('${')) counts.unknown++;
        expect(ser(got.problems), `${type.name} ${ser(value)}`).toBe(ser(expected.problems));
        expect(ser(got.params), `${type.name} ${ser(value)}`).toBe(ser(expected.params));
        counts.same++;
      }
    }
    if (process.env.FAST_PATH_DEBUG) console.log(counts);
    expect(counts.unknown).toBeGreaterThan(200);
  });

  it.each(Object.keys(CASES))('answers a hostile runbook (%s) as the full check does', async (name) => {
    const dir = mkdtempSync(join(tmpdir(), 'fast-path-'));
    const file = join(dir, 'rb.yaml');
    writeFileSync(file, CASES[name]!);
    const outcome = async (load: (f: string) => Promise<Runbook>) =>
      load(file).then(
        (runbook) => ser(runbook),
        (error: RunbookError) => ser({ message: error.message, details: error.details, hint: error.hint, code: error.code }),
      );
    expect(await outcome(loadRunbookFast)).toBe(await outcome(loadRunbook));
  });

  it('leaves a step type it does not know (a plugin) to the full check', () => {
    const file = RUNBOOKS[0]!;
    const yaml = parseYaml(readFileSync(file, 'utf8'), file);
    const data = structuredClone(yaml.data) as { phases: { pre: { type?: string; with?: unknown }[] } };
    data.phases.pre[0] = { ...data.phases.pre[0], type: 'json-file.write', with: { path: 'x' } };
    expect(fastRunbook({ ...yaml, data }, file, sha256('x'))).toBeUndefined();
  });
});
