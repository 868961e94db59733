import { describe, expect, it } from 'vitest';
import { rehearse } from './helpers.js';

describe('migrate rehearse --faults conflict=0.3 (TIS plan, strict sandbox)', () => {
  it('retries API Gateway ConflictException through and converges to the same estate as a clean rehearsal', async () => {
    // Two sandboxes of their own: side by side, each fills the other's waits. A fixed seed: with a
    // new one each run, about one run in thirty drew no conflict at all (CI on Node 22 saw one).
    // Seed 1 injects 4 of them, the same 4 every run.
    const [clean, conflicted] = await Promise.all([rehearse(), rehearse('--faults', 'conflict=0.3', '--seed', '1')]);
    expect(clean.code, clean.stderr.slice(-2000)).toBe(0);
    expect(
      conflicted.doc.stages.filter((s) => !s.ok),
      conflicted.stderr.slice(-2000),
    ).toEqual([]);
    expect(conflicted.code).toBe(0);
    expect(conflicted.doc.injected).toBeGreaterThan(0);
    expect(conflicted.doc.finalEstate).toEqual(clean.doc.finalEstate);
  }, 120_000);
});
