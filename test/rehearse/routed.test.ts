import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { snapshotDifferences } from '../../src/rehearse/routed.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

interface Rehearsal {
  code: number | null;
  doc: { ok: boolean; stages: { name: string; ok: boolean; detail: string }[]; finalEstate: unknown; injected: number };
  stderr: string;
}

function rehearse(...args: string[]): Promise<Rehearsal> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['dist/bin.js', 'rehearse', '--json', '--runbook', 'runbooks/examples/routed-records.yaml', '--time-scale', '6000', ...args],
      {
        cwd: root,
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        resolve({ code, doc: JSON.parse(out) as Rehearsal['doc'], stderr: err });
      } catch {
        reject(new Error(`rehearse printed no JSON (exit ${code}):\n${err.slice(-3000)}`));
      }
    });
  });
}

describe('migrate rehearse --runbook runbooks/examples/routed-records.yaml', () => {
  it('runs pre, mid, rollback 1 and comes back exactly, with no drift; conflict=0.3 converges to the same estate', async () => {
    // Two sandboxes of their own: side by side, each fills the other's waits.
    const [run, conflicted] = await Promise.all([rehearse(), rehearse('--faults', 'conflict=0.3')]);
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
      'rollback 1',
      'estate back where it was, exactly',
      'run mid again',
      'estate equals the first cutover',
    ]);
    expect(run.doc.stages.find((s) => s.name === 'run mid')?.detail).toContain('both weighted sets of api at TTL 60');

    expect(
      conflicted.doc.stages.filter((s) => !s.ok),
      conflicted.stderr.slice(-2000),
    ).toEqual([]);
    expect(conflicted.doc.injected).toBeGreaterThan(0);
    expect(conflicted.doc.finalEstate).toEqual(run.doc.finalEstate);
  }, 180_000);

  it('names the keys of two snapshots that differ', () => {
    expect(snapshotDifferences({ a: 1, b: [1, 2] }, { a: 1, b: [2, 1], c: null })).toEqual(['b: [1,2] != [2,1]', 'c: (missing) != null']);
  });
});
