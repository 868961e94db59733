import { describe, expect, it } from 'vitest';
import { snapshotDifferences } from '../../src/rehearse/routed.js';
import { rehearse } from './helpers.js';

function rehearseRouted(...args: string[]) {
  return rehearse('--runbook', 'runbooks/examples/routed-records.yaml', '--time-scale', '6000', ...args);
}

describe('migrate rehearse --runbook runbooks/examples/routed-records.yaml', () => {
  it('runs pre, mid, rollback 1 and comes back exactly, with no drift; conflict=0.3 converges to the same estate', async () => {
    // Two sandboxes of their own: side by side, each fills the other's waits.
    // A fixed seed (with a new one each run, some draw no conflict at all): seed 1 injects 3.
    const [run, conflicted] = await Promise.all([rehearseRouted(), rehearseRouted('--faults', 'conflict=0.3', '--seed', '1')]);
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
    // --seed reaches this rehearsal too, and is reported for repeating it.
    expect(conflicted.doc.seed).toBe(1);
    expect(conflicted.doc.finalEstate).toEqual(run.doc.finalEstate);
  }, 180_000);

  it('names the keys of two snapshots that differ', () => {
    expect(snapshotDifferences({ a: 1, b: [1, 2] }, { a: 1, b: [2, 1], c: null })).toEqual(['b: [1,2] != [2,1]', 'c: (missing) != null']);
  });
});
