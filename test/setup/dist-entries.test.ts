import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => /\.(ts|mjs|js)$/.test(f))
    .map((f) => join(dir, f));
}

describe('the bundle (scripts/build.mjs)', () => {
  it('has an entry for every dist/ module a test, bench or npm script imports by path', async () => {
    // A path, not a literal: the build script is plain JS with no types for tsc to check.
    const script = '../../scripts/build.mjs';
    const { DIST_ENTRIES, DIST_SDK_ENTRIES } = (await import(script)) as { DIST_ENTRIES: string[]; DIST_SDK_ENTRIES: string[] };
    const entries = [...DIST_ENTRIES, ...DIST_SDK_ENTRIES.map((c) => `sdk/${c}`)];
    const named = new Set<string>();
    const texts = [...sources('test'), ...sources('bench')].map((f) => readFileSync(join(root, f), 'utf8'));
    texts.push(readFileSync(join(root, 'package.json'), 'utf8'));
    for (const text of texts) {
      for (const m of text.matchAll(/dist\/([\w/.-]+?)\.js\b/g)) named.add(m[1]!);
      // bench/users.mjs and bench/plan.mjs name them as dist('users/progress.js') or join(root, 'dist', 'sandbox', 'sandbox.js').
      for (const m of text.matchAll(/dist\(['"`]([\w/.-]+?)\.js['"`]\)/g)) named.add(m[1]!);
      for (const m of text.matchAll(/'dist', ((?:'[\w.-]+', )*'[\w.-]+)\.js'/g)) named.add(m[1]!.replace(/', '/g, '/').replace(/^'/, ''));
    }
    expect(named.size).toBeGreaterThan(5);
    expect([...named].filter((m) => !entries.includes(m)).sort()).toEqual([]);
  });
});
