import { copyFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadRunbookFast } from '../../src/runbook/fast.js';
import { resolveRunbookFast } from '../../src/runbook/resolve-fast.js';
import { parseOutputs } from '../../src/runbook/terraform.js';

/**
 * Issue 17: commands that change nothing (plan, dry runs) take a runbook this build has already
 * validated, byte for byte, from the user's cache. What they get must be what validation gives.
 */
const dir = mkdtempSync(join(tmpdir(), 'migrate-validated-'));
const cache = join(dir, 'cache');
const file = join(dir, 'cognito-migration.yaml');
let savedCache: string | undefined;

beforeAll(() => {
  savedCache = process.env.XDG_CACHE_HOME;
  process.env.XDG_CACHE_HOME = cache;
  copyFileSync('runbooks/cognito-migration.yaml', file);
});
afterAll(() => {
  if (savedCache === undefined) delete process.env.XDG_CACHE_HOME;
  else process.env.XDG_CACHE_HOME = savedCache;
  rmSync(dir, { recursive: true, force: true });
});

const kept = () => readdirSync(join(cache, 'migrate')).filter((f) => f.startsWith('validated-'));
const tf = parseOutputs(
  JSON.stringify({
    admins_ui_distribution_domain: { type: 'string', value: 'd111111abcdef8.cloudfront.net' },
    cognito_user_pool_id: { type: 'string', value: 'eu-west-2_Abc123' },
  }),
  'outputs.json',
);
const ENV = { MIGRATE_SANDBOX_TERRAFORM_OUTPUTS: '/tmp/tf.json', MIGRATE_SANDBOX_HEALTH_URL: 'http://127.0.0.1:4000' };

async function problem(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
  } catch (error) {
    const e = error as Error & { details?: string[] };
    return [e.message, ...(e.details ?? [])].join('\n');
  }
  throw new Error('expected a problem');
}

describe('the validated-runbook cache', () => {
  it('is written on a miss and gives back the same runbook, resolved the same, on a hit', async () => {
    const fresh = await loadRunbookFast(file);
    expect(() => kept()).toThrow(); // a run (no `cached`) neither reads nor writes it
    const miss = await loadRunbookFast(file, { cached: true });
    expect(kept()).toHaveLength(1);
    const hit = await loadRunbookFast(file, { cached: true });
    expect(hit).not.toBe(miss);
    expect(JSON.stringify(hit)).toBe(JSON.stringify(fresh));
    const resolve = (rb: typeof fresh) => resolveRunbookFast(rb, 'sandbox', ENV, tf).then((r) => JSON.stringify(r));
    expect(await resolve(hit)).toBe(await resolve(fresh));
    // The hit really comes from the kept entry (a fresh check would give the same runbook): an entry
    // altered behind migrate's back shows, for `cached` only. A run never reads it.
    const entry = join(cache, 'migrate', kept()[0]!);
    const original = readFileSync(entry, 'utf8');
    writeFileSync(entry, JSON.stringify({ ...JSON.parse(original), name: 'from-the-cache' }));
    expect((await loadRunbookFast(file, { cached: true })).name).toBe('from-the-cache');
    expect((await loadRunbookFast(file)).name).toBe(fresh.name);
    writeFileSync(entry, original);
  });

  it('locates a problem found at run time in a cached runbook exactly as in a fresh one', async () => {
    const hit = await loadRunbookFast(file, { cached: true });
    const fresh = await loadRunbookFast(file);
    const bad = parseOutputs(JSON.stringify({ admins_ui_distribution_domain: { type: 'string', value: 'not a host!' } }), 'outputs.json');
    const fromCache = await problem(() => resolveRunbookFast(hit, 'sandbox', ENV, bad));
    expect(fromCache).toMatch(/cognito-migration\.yaml:\d+:\d+ {2}phases\.mid\[2\]\.with\.alias\.cloudfront/);
    expect(fromCache).toBe(await problem(() => resolveRunbookFast(fresh, 'sandbox', ENV, bad)));
  });

  it('misses when a byte of the runbook changes, and an unreadable entry is validated again and replaced', async () => {
    writeFileSync(file, `${readFileSync(file, 'utf8')}\n# an edit\n`);
    const before = kept().length;
    await loadRunbookFast(file, { cached: true });
    expect(kept()).toHaveLength(before + 1);
    for (const entry of kept()) writeFileSync(join(cache, 'migrate', entry), '{ torn');
    const again = await loadRunbookFast(file, { cached: true });
    expect(JSON.stringify(again)).toBe(JSON.stringify(await loadRunbookFast(file)));
    expect(kept().some((entry) => readFileSync(join(cache, 'migrate', entry), 'utf8').startsWith('{"file"'))).toBe(true);
  });

  it('never keeps an invalid runbook', async () => {
    writeFileSync(file, readFileSync('runbooks/cognito-migration.yaml', 'utf8').replace('maxTtl: 60', 'maxTtl: -1'));
    const before = kept().length;
    expect(await problem(() => loadRunbookFast(file, { cached: true }))).toMatch(/maxTtl/);
    expect(kept()).toHaveLength(before);
  });
});
