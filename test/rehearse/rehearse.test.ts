import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { rehearse } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

// Each rehearsal starts a sandbox of its own and spends part of its time in scaled waits: the
// cases run side by side (two at a time, vitest's maxConcurrency), as do the clean and faulted
// rehearsals compared in the first.
describe.concurrent('migrate rehearse', () => {
  it('rehearses the whole plan on a fresh sandbox and passes every gate', async ({ expect }) => {
    const [run, faulted] = await Promise.all([rehearse(), rehearse('--faults', 'throttle=0.3,5xx=0.1')]);
    expect(
      run.doc.stages.filter((s) => !s.ok),
      run.stderr.slice(-2000),
    ).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.doc.stages.map((s) => s.name)).toEqual([
      'validate',
      'run pre',
      'snapshot the estate before mid',
      'run mid',
      'rollback 4 (chains rollback 3)',
      'estate back where it was',
      'run mid again',
      'estate equals the first cutover',
      'run post',
    ]);
    const status = Object.fromEntries(run.doc.steps.map((s) => [s.step, s.status]));
    expect(status).toMatchObject({
      'mid.2': 'applied',
      'mid.3': 'applied',
      'mid.4': 'applied',
      'mid.5a': 'applied',
      'mid.5b': 'applied',
      'pre.1a': 'noop',
    });
    expect(run.stderr).toContain('Rehearsal passed');

    // With 30% throttling and 10% 5xx at the proxy the SDK retries through, to the same estate.
    expect(
      faulted.doc.stages.filter((s) => !s.ok),
      faulted.stderr.slice(-2000),
    ).toEqual([]);
    expect(faulted.code).toBe(0);
    expect(faulted.doc.injected).toBeGreaterThan(0);
    expect(faulted.doc.finalEstate).toEqual(run.doc.finalEstate);
    // Each rehearsal draws its faults from a seed of its own, printed so that it can be repeated.
    expect(Number.isInteger(faulted.doc.seed)).toBe(true);
    expect(faulted.doc.seed).not.toBe(run.doc.seed);
    expect(faulted.stderr).toContain(`repeat with --seed ${faulted.doc.seed}`);
  }, 120_000);

  it("the README's --faults insync=20s passes at the default time scale (the hold is scaled like every wait), with the seed given", async ({
    expect,
  }) => {
    const run = await rehearse('--faults', 'insync=20s,throttle=0.1', '--seed', '42');
    expect(
      run.doc.stages.filter((s) => !s.ok),
      run.stderr.slice(-2000),
    ).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.doc.seed).toBe(42);
    expect(run.stderr).toMatch(/faults: insync=20s,throttle=0\.1, seed 42 \.\.\./);
  }, 120_000);

  it("with the reval-down incident, mid stops at Reval's gate and the watch fires rollback 4 after the scaled hour", async ({ expect }) => {
    const run = await rehearse('--faults', 'reval-down');
    expect(run.code, run.stderr.slice(-2000)).toBe(0);
    const stage = (name: string) => run.doc.stages.find((s) => s.name.startsWith(name));
    expect(stage('run mid with Reval down')).toMatchObject({
      ok: true,
      detail: expect.stringContaining('gate "reval" failed after mid.4'),
    });
    expect(stage('migrate watch --auto-rollback fires rollback 4')).toMatchObject({
      ok: true,
      detail: expect.stringMatching(/rollback 4 fired after 1h\S* of plan time \(chained 3\)/),
    });
  }, 120_000);

  it('says clearly when moto is missing', async ({ expect }) => {
    const child = spawn(process.execPath, ['dist/bin.js', 'rehearse'], {
      cwd: root,
      env: { ...process.env, MIGRATE_PYTHON: '/nonexistent/python3' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    const code = await new Promise<number | null>((r) => child.on('exit', r));
    expect(code).not.toBe(0);
    expect(err).toMatch(/moto/);
    expect(err).toMatch(/pip install "moto\[server\]"/);
    expect(err).not.toMatch(/\n\s+at /);
  });
});
