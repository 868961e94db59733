import { describe, expect, it } from 'vitest';
import { countApprovals, type GivenApproval } from '../../src/plan/approvals.js';
import { fingerprint, redact } from '../../src/plan/fingerprint.js';
import { buildPlanFile, planDigest } from '../../src/plan/file.js';
import { expectedMs } from '../../src/plan/evidence.js';

describe('plan files', () => {
  it('redacts secret-looking string values and keeps the fields steps compare', () => {
    expect(
      redact({
        ClientSecret: 's3cr3t',
        accessToken: 'eyJ',
        preTokenGeneration: true,
        authorizationType: 'COGNITO_USER_POOLS',
        nested: [{ password: 'x' }],
      }),
    ).toEqual({
      ClientSecret: '(redacted)',
      accessToken: '(redacted)',
      preTokenGeneration: true,
      authorizationType: 'COGNITO_USER_POOLS',
      nested: [{ password: '(redacted)' }],
    });
    expect(fingerprint('mid.3', { b: 1, a: 2 }).sha256).toBe(fingerprint('mid.3', { a: 2, b: 1 }).sha256);
  });

  it('has a digest that changes with any edit, and timing from the rehearsal', () => {
    const plan = buildPlanFile({
      runbook: { name: 'rb', file: 'rb.yaml', digest: 'd1' },
      env: { name: 'prod', account: '123456789012', region: 'eu-west-2' },
      phase: 'mid',
      planned: [
        {
          ref: 'mid.1',
          id: '1',
          title: 'a',
          type: 'manual',
          mutates: true,
          change: { noop: false, before: { confirmed: false }, after: { confirmed: true }, summary: 'do it' },
        },
        { ref: 'mid.2', id: '2', title: 'b', type: 'wait', mutates: false, change: { noop: true } },
      ],
      author: { user: 'jane', identity: 'arn:a' },
      evidence: { at: 'then', ok: true, runbookDigest: 'd0', timeScale: 600, steps: { 'mid.1': { expectedMs: 1000 } } },
      now: new Date(0),
    });
    expect(plan.rehearsal).toMatchObject({ current: false });
    expect(plan.timing).toEqual({ totalMs: 1000, unknown: ['mid.2'] });
    expect(plan.steps[0]!.diff).toEqual(['confirmed: false -> true']);
    expect(planDigest({ ...plan, phase: 'post' })).not.toBe(planDigest(plan));
    // 300s of TTL wait took 0.5s at scale 600; the calls around it took 0.2s.
    expect(expectedMs(700, 300_000, 600)).toBe(300_200);
  });

  it("counts one approval per identity, never the author's or the runner's", () => {
    const a = (identity: string): GivenApproval => ({ time: 't', user: 'u', identity, comment: '' });
    const { counted, ignored } = countApprovals(
      [a('author'), a('bob'), a('bob'), a('runner'), a('carol')],
      { author: { user: 'x', identity: 'author' } },
      'runner',
    );
    expect(counted.map((x) => x.identity)).toEqual(['bob', 'carol']);
    expect(ignored.map((x) => `${x.approval.identity}: ${x.why}`)).toEqual([
      "author: the plan's author",
      'bob: already counted',
      'runner: the runner',
    ]);
  });
});
