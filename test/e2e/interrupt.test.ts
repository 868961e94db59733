import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { auditLines, cli, localEnv, localRunbook, lockExists, readState, spawnCli, tempDir } from './helpers.js';

/**
 * Issue 5: Ctrl-C (SIGINT, as a pipeline's cancel sends it) while a step waits, in a run with --yes
 * and no terminal. The run stops cleanly: exit 4, state consistent, lock released; the next run
 * finishes and makes no change twice (the plugin logs every write it makes).
 */
describe('Ctrl-C during a step', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('stops with exit 4 and a consistent state; the next run completes and writes each key once', async () => {
    // 10 s: the signal ends it long before, and a loaded machine still has time to send it mid-write.
    // Once interrupted, the test creates `hurried`: the resumed run writes b without the 10 s wait.
    const hurried = join(dir.path, 'interrupted');
    const book = localRunbook(dir.path, { steps: 3, slow: { 2: 10_000 }, slowUnless: { 2: hurried } });
    const state = `${dir.path}/state`;
    const env = localEnv(state);
    const args = ['--runbook', book.file, 'run', 'mid', '--yes'];

    const run = spawnCli(args, env);
    // The plugin's slow write of b reports its countdown; interrupt in the middle of it.
    await run.waitForLine(/^\s+… slow write of b: \d+s left/);
    run.child.kill('SIGINT');
    const stopped = await run.done;
    expect(stopped.signal).toBeNull();
    expect(stopped.code).toBe(4);
    expect(stopped.stderr).toMatch(/^error: interrupted during mid\.2$/m);
    expect(stopped.stderr).toContain(
      `\nhint: The state was saved and the lock released. To resume: migrate run mid --runbook ${book.file} --env local --from 2\n`,
    );
    expect(stopped.stdout).toContain(`\nto resume: migrate run mid --runbook ${book.file} --env local --from 2\n`);
    // Not "skipped": the step was stopped in the middle, and the line says so.
    expect(stopped.stdout).toMatch(/^ {2}■ mid\.2 interrupted \(\d+m?s\): interrupted during mid\.2$/m);
    expect(lockExists(state, 'local')).toBe(false);

    // mid.2 is "interrupted" (its intent recorded, the signal came before its write) or "applied"; nothing after it ran.
    const after = readState(state, 'local');
    expect(after.steps['mid.1']?.status).toBe('applied');
    expect(['interrupted', 'applied']).toContain(after.steps['mid.2']?.status);
    expect(after.steps['mid.2']?.before).toEqual({ value: null });
    expect(after.steps['mid.3']).toBeUndefined();
    expect(book.writes()).toEqual(['set a=1']);
    const audit = auditLines(state, 'local');
    expect(audit.at(-1)).toMatchObject({ event: 'run-end', result: 'aborted', detail: 'interrupted during mid.2' });
    expect(audit.find((l) => l.step === 'mid.2' && l.event === 'apply-end')).toMatchObject({ result: 'interrupted' });

    writeFileSync(hurried, '');
    const resumed = await cli(args, env);
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/✔ mid\.1 already applied/);
    expect(resumed.stdout).toMatch(/✔ mid\.2 applied/);
    expect(resumed.stdout).toMatch(/✔ mid\.3 applied/);
    expect(Object.values(readState(state, 'local').steps).map((s) => s.status)).toEqual(['applied', 'applied', 'applied']);
    expect(book.writes()).toEqual(['set a=1', 'set b=2', 'set c=3']);
    expect(lockExists(state, 'local')).toBe(false);
  });
});
