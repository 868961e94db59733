import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import type { StepType } from '../../src/steps/types.js';

/**
 * The AWS step types are registered elsewhere; this registry adds a stand-in route53.switchRecord so
 * the loader is shown to take every type from the registry, never from a list of its own.
 */
vi.mock('../../src/steps/index.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/steps/index.js')>();
  const switchRecord: StepType = {
    name: 'route53.switchRecord',
    description: 'Point a DNS record somewhere else.',
    params: z.strictObject({ zone: z.string(), name: z.string(), maxTtl: z.number().int().max(300).default(60) }),
    mutates: true,
    read: async () => ({}),
    plan: (current) => ({ noop: true, current }),
    apply: async () => ({}),
    undo: async () => ({}),
  };
  const stepTypes = new Map([...real.stepTypes, [switchRecord.name, switchRecord]]);
  return {
    stepTypes,
    getStepType: (name: string) => stepTypes.get(name),
    stepTypeNames: () => [...stepTypes.keys()].sort(),
  };
});

const { parseRunbookText } = await import('../../src/runbook/load.js');
const { resolveRunbook } = await import('../../src/runbook/resolve.js');
const { problems } = await import('./helpers.js');
const { HEAD } = await import('./helpers.js');

const dns = `${HEAD}vars: { zone: tis.nhs.uk, ttl: 60 }
phases:
  mid:
    - id: 3
      title: Switch Admins-UI DNS to CloudFront
      type: route53.switchRecrod
      with: { zone: "\${vars.zone}", name: "admin.\${vars.zone}", maxTtl: "\${vars.ttl}" }
`;

describe('with route53.switchRecord registered', () => {
  it('suggests it for "route53.switchRecrod"', () => {
    expect(problems(dns)).toEqual([
      'rb.yaml:10:13  phases.mid[0].type  unknown step type "route53.switchRecrod"; did you mean "route53.switchRecord"? (known types: apigateway.assertApi, apigateway.restrictMethods, apigateway.setAuthorizerPool, apigateway.setStageVariables, cloudfront.assertDistribution, cloudwatch.alarm, cognito.assertUserPool, http.check, manual, route53.switchRecord, wait)',
    ]);
  });

  it('accepts an undo of it, and keeps a number a number through ${vars.ttl}', () => {
    const runbook = parseRunbookText(
      `${dns.replace('switchRecrod', 'switchRecord')}rollback:\n  - { id: 3, title: DNS back, undo: [mid.3] }\n`,
      'rb.yaml',
    );
    expect(runbook.rollback[0]!.undo).toEqual(['mid.3']);
    const resolved = resolveRunbook(runbook, undefined, {});
    expect(resolved.phases.mid[0]!.params).toEqual({ zone: 'tis.nhs.uk', name: 'admin.tis.nhs.uk', maxTtl: 60 });
  });

  it('checks its params through interpolation', () => {
    const details = problems(dns.replace('switchRecrod', 'switchRecord').replace('ttl: 60', 'ttl: 3600'));
    expect(details).toEqual(['rb.yaml:11:73  phases.mid[0].with.maxTtl  Too big: expected number to be <=300 (from ${vars.ttl} = 3600)']);
  });
});
