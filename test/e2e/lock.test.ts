import { writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLines, cli, localEnv, localRunbook, lockExists, readState, spawnCli, tempDir } from './helpers.js';

/** Issue 3: two runs on one environment at once. The second must not start; it says who holds the lock. */
describe('two runs at once', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('one proceeds; the other exits 3 naming the holder (pid, host, command) and changes nothing', async () => {
    // The first step holds its write until the gate opens, so the first run holds the lock while
    // the second starts, however slowly a loaded machine starts it.
    const gate = join(dir.path, 'gate');
    const book = localRunbook(dir.path, { steps: 2, hold: { 1: gate } });
    const state = `${dir.path}/state`;
    const env = localEnv(state);
    const args = ['--runbook', book.file, 'run', 'mid', '--yes'];

    const first = spawnCli(args, env);
    await first.waitForLine(/^▸ mid\.1 /);
    const second = await cli(args, env);
    expect(second.code).toBe(3);
    expect(second.stdout).toBe('');
    const pid = first.child.pid;
    expect(second.stderr).toMatch(
      new RegExp(
        `^error: environment "local" is locked by pid ${pid} on ${hostname()}, running "run mid" since \\d{4}-\\d\\d-\\d\\dT`,
        'm',
      ),
    );
    expect(second.stderr).toMatch(/^hint: Wait for it to finish\./m);
    expect(second.stderr).not.toMatch(/\n\s+at /);

    writeFileSync(gate, '');
    const done = await first.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout).toMatch(/^done: 2 applied$/m);
    // Each change was made once, by the run that held the lock; the lock went with it.
    expect(book.writes()).toEqual(['set a=1', 'set b=2']);
    expect(Object.values(readState(state, 'local').steps).map((s) => s.status)).toEqual(['applied', 'applied']);
    expect(lockExists(state, 'local')).toBe(false);
  });
});

/** Issue 11: `unlock` typed while five runs start never lets two of them run (test/state/lock.test.ts races the functions 100 times). */
describe('unlock racing five starting runs', () => {
  it('through real processes: `migrate unlock` against five `migrate run` gives one run per round', async () => {
    const root = tempDir();
    try {
      for (let round = 0; round < 3; round++) {
        // The winner holds the lock until a gate opens, and the gate opens only once the four
        // others have been turned away and unlock has answered: every starter tries while the lock
        // is held, however loaded the machine (a fixed 5 s hold was a race, and 15 s of waiting).
        const gate = join(root.path, `gate-${round}`);
        const book = localRunbook(join(root.path), { steps: 1, hold: { 1: gate } });
        const state = join(root.path, `state-${round}`);
        const env = localEnv(state);
        const runs = Array.from({ length: 5 }, () => cli(['--runbook', book.file, 'run', 'mid', '--yes'], env));
        const unlock = cli(['--runbook', book.file, 'unlock'], env);
        let ended = 0;
        const othersEnded = new Promise<void>((resolve) => {
          for (const run of runs) void run.then(() => ++ended === 4 && resolve());
        });
        // Should two runs ever hold the lock, neither ends by itself: open the gate anyway after a
        // while, so the assertions below say what went wrong instead of the test timing out.
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([Promise.all([othersEnded, unlock]), new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
        clearTimeout(timer);
        writeFileSync(gate, '');
        const results = await Promise.all([...runs, unlock]);
        const codes = results.slice(0, 5).map((r) => r.code);
        expect(
          codes.filter((c) => c === 0),
          JSON.stringify(results.map((r) => r.stderr)),
        ).toHaveLength(1);
        expect(codes.filter((c) => c === 3)).toHaveLength(4);
        expect([0, 3]).toContain(results[5]!.code);
        expect(results[5]!.stdout).not.toMatch(/released/);
        const events = auditLines(state, 'local').map((l) => l.event);
        expect(events.filter((e) => e === 'run-start')).toHaveLength(1);
        expect(events.filter((e) => e === 'run-end')).toHaveLength(1);
        writeFileSync(book.data, '{}');
      }
    } finally {
      root.remove();
    }
  }, 120_000);
});
