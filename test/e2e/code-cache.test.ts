import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, cli, localEnv, localRunbook, tempDir } from './helpers.js';

/**
 * Issue 17: the short commands that load the AWS SDK run the one-file bundle (dist/chunks/main.cjs)
 * from a V8 code cache, on Node 20 and 22. It must change how fast they start and nothing else;
 * the cache must never be a reason to fail.
 */
describe('the V8 code cache of the one-file bundle', () => {
  const root = tempDir('migrate-code-cache-');
  afterAll(() => root.remove());
  let n = 0;
  const fresh = () => {
    const dir = join(root.path, `case-${++n}`);
    mkdirSync(dir);
    return { dir, book: localRunbook(dir, { steps: 2 }), cacheHome: join(dir, 'cache'), state: join(dir, 'state') };
  };
  const v8Files = (cacheHome: string) => {
    const dir = join(cacheHome, 'migrate', 'v8');
    return existsSync(dir) ? readdirSync(dir).map((f) => join(dir, f)) : [];
  };
  // Timings differ run to run; everything else must not.
  const steady = (text: string) =>
    text.replace(/"(\w*(?:Ms|At|ms|duration|at))":\s*("[^"]*"|[\d.]+)/g, '"$1":0').replace(/\(\d+ms\)/g, '(Tms)');

  it('plan from the chunks, from the bundle compiling afresh and from its cache: the same output; the cache is written once, then read', async () => {
    const { book, cacheHome, state } = fresh();
    const plan = async (extra: NodeJS.ProcessEnv = {}) => {
      const result = await cli(['--runbook', book.file, 'plan', 'mid', '--json'], localEnv(state, { XDG_CACHE_HOME: cacheHome, ...extra }));
      expect(result.code, result.stderr).toBe(0);
      return steady(result.stdout);
    };
    const chunks = await plan({ MIGRATE_CODE_CACHE: '0' });
    expect(v8Files(cacheHome)).toEqual([]);
    expect(await plan()).toBe(chunks);
    const [kept, ...others] = v8Files(cacheHome);
    expect(others).toEqual([]);
    expect(kept).toMatch(/-plan-[0-9a-f]+\.bin$/);
    // Compiled code someone else could swap would run as this user.
    expect(statSync(join(cacheHome, 'migrate', 'v8')).mode & 0o777).toBe(0o700);
    const written = statSync(kept!).mtimeMs;
    const bytes = readFileSync(kept!);
    expect(await plan()).toBe(chunks);
    // Read, not written again.
    expect(statSync(kept!).mtimeMs).toBe(written);
    expect(readFileSync(kept!).equals(bytes)).toBe(true);

    // Other builds' caches go once a day old, not before (two installs side by side).
    const v8 = join(cacheHome, 'migrate', 'v8');
    writeFileSync(join(v8, 'oldbuild-plan-0.bin'), 'x');
    writeFileSync(join(v8, 'otherbuild-plan-0.bin'), 'x');
    utimesSync(join(v8, 'oldbuild-plan-0.bin'), new Date(Date.now() - 2 * 86_400_000), new Date(Date.now() - 2 * 86_400_000));

    // A damaged cache is refused by V8: the same output, and a good cache in its place.
    writeFileSync(kept!, Buffer.alloc(bytes.length, 7));
    expect(await plan()).toBe(chunks);
    expect(readFileSync(kept!).equals(Buffer.alloc(bytes.length, 7))).toBe(false);
    expect(readdirSync(v8).sort()).toEqual([basename(kept!), 'otherbuild-plan-0.bin'].sort());
  });

  it('a rebuilt main.cjs of the same length runs its own code, not the cached code of the one before', async () => {
    // V8 checks a code cache against the source's length only. A copy of dist/ inside the project
    // (node_modules still resolves) whose bundle is changed to a text of the same length.
    const copy = join(ROOT, 'test-artifacts', `dist-code-cache-${process.pid}`);
    cpSync(join(BIN, '..'), copy, { recursive: true });
    try {
      const { book, cacheHome, state } = fresh();
      const plan = () =>
        cli(['--runbook', book.file, 'plan', 'mid'], localEnv(state, { XDG_CACHE_HOME: cacheHome }), { bin: join(copy, 'bin.js') });
      const before = await plan();
      expect(before.code, before.stderr).toBe(0);
      expect(`${before.stdout}${before.stderr}`).toContain('would change');
      const bundle = join(copy, 'chunks', 'main.cjs');
      const text = readFileSync(bundle, 'utf8');
      writeFileSync(bundle, text.replaceAll('would change', 'WOULD CHANGE'));
      expect(readFileSync(bundle, 'utf8').length).toBe(text.length);
      utimesSync(bundle, new Date(), new Date(Date.now() + 5000));
      const after = await plan();
      expect(after.code, after.stderr).toBe(0);
      expect(`${after.stdout}${after.stderr}`).toContain('WOULD CHANGE');
      expect(`${after.stdout}${after.stderr}`).not.toContain('would change');
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  });

  it('a run loads the step plugin (an ES module outside the bundle) and applies, as from the chunks', async () => {
    const { book, cacheHome, state } = fresh();
    const run = await cli(['--runbook', book.file, 'run', 'mid', '--yes'], localEnv(state, { XDG_CACHE_HOME: cacheHome }));
    expect(run.code, run.stderr).toBe(0);
    expect(book.writes()).toEqual(['set a=1', 'set b=2']);
    expect(v8Files(cacheHome).some((f) => /-run-/.test(f))).toBe(true);
  });

  it('nothing is kept from a failed command, --debug, --help or a command that loads no SDK', async () => {
    const { book, cacheHome, state } = fresh();
    const env = localEnv(state, { XDG_CACHE_HOME: cacheHome });
    expect((await cli(['--runbook', book.file, 'plan', 'nosuch'], env)).code).not.toBe(0);
    expect((await cli(['--runbook', book.file, 'plan', 'mid', '--debug'], env)).code).toBe(0);
    expect((await cli(['--runbook', book.file, 'plan', '--help'], env)).code).toBe(0);
    expect((await cli(['--runbook', book.file, 'status'], env)).code).toBe(0);
    expect(v8Files(cacheHome)).toEqual([]);
  });

  it('a cache folder that cannot be written costs time, not the command', async () => {
    const { dir, book, state } = fresh();
    const notADir = join(dir, 'cache-is-a-file');
    writeFileSync(notADir, '');
    const result = await cli(['--runbook', book.file, 'plan', 'mid'], localEnv(state, { XDG_CACHE_HOME: notADir }));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).not.toMatch(/error|ENOTDIR/i);
  });
});
