import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, localEnv, localRunbook, lockExists, readState, spawnCli, tempDir } from './helpers.js';

/** Issue 3: two runs on one environment at once. The second must not start; it says who holds the lock. */
describe('two runs at once', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('one proceeds; the other exits 3 naming the holder (pid, host, command) and changes nothing', async () => {
    // The first step takes 2s to write, so the first run holds the lock while the second starts.
    const book = localRunbook(dir.path, { steps: 2, slow: { 1: 2000 } });
    const state = `${dir.path}/state`;
    const env = localEnv(state);
    const args = ['--runbook', book.file, 'run', 'mid', '--yes'];

    const first = spawnCli(args, env);
    await first.waitForLine(/^▸ mid\.1 /);
    const second = await cli(args, env);
    expect(second.code).toBe(3);
    expect(second.stdout).toBe('');
    const pid = first.child.pid;
    expect(second.stderr).toMatch(new RegExp(`^error: environment "local" is locked by pid ${pid} on ${hostname()}, running "run mid" since \\d{4}-\\d\\d-\\d\\dT`, 'm'));
    expect(second.stderr).toMatch(/^hint: Wait for it to finish\./m);
    expect(second.stderr).not.toMatch(/\n\s+at /);

    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^done: 2 applied$/m);
    // Each change was made once, by the run that held the lock; the lock went with it.
    expect(book.writes()).toEqual(['set a=1', 'set b=2']);
    expect(Object.values(readState(state, 'local').steps).map((s) => s.status)).toEqual(['applied', 'applied']);
    expect(lockExists(state, 'local')).toBe(false);
  });
});
