import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { normalizePolicy, parsePolicy } from '../../src/steps/support/policy.js';
import { restrictMethods } from '../../src/steps/apigateway.restrictMethods.js';
import { testContext } from './helpers/context.js';
import { startTestMoto } from './helpers/moto.js';
import { roundTrip } from './helpers/roundtrip.js';
import { seedRestApi } from './helpers/seed.js';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startTestMoto();
});
afterAll(async () => {
  await moto?.stop();
});

describe('apigateway.restrictMethods against moto', () => {
  it('restricts an API without a policy, then undo removes the policy again', async () => {
    const ctx = testContext();
    const api = await seedRestApi(ctx);
    const p = restrictMethods.params.parse({ restApiName: api.name, stage: 'prod' });
    const trip = await roundTrip(restrictMethods, ctx, p);

    expect(trip.before.policy).toBeNull();
    const policy = parsePolicy(trip.applied.policy ?? '') as { Statement: Record<string, unknown>[] };
    // GetRestApi answers with execute-api:/ expanded to the API's ARN, as AWS does.
    expect(policy.Statement[1]).toMatchObject({
      Effect: 'Deny',
      Resource: ['POST', 'PUT', 'PATCH', 'DELETE'].map((m) =>
        expect.stringMatching(new RegExp(`^arn:aws:execute-api:eu-west-2:\\d{12}:${api.id}/prod/${m}/\\*$`)),
      ),
    });
    expect(trip.applied.deploymentId).not.toBe(trip.before.deploymentId);
    expect(trip.final.policy).toBeNull();
    expect(trip.final.deploymentId).not.toBe(trip.applied.deploymentId);
    expect(ctx.messages).toContain(`deploying REST API ${api.id} to stage prod`);
  });

  it('keeps an existing policy and restores it to the exact text GetRestApi gave before', async () => {
    const ctx = testContext();
    // Spacing and key order as a person (or Terraform's jsonencode) wrote them. AWS answers in its own
    // form (compact, quotes escaped, ARNs expanded); undo must give that same answer back.
    const original =
      '{\n  "Version" : "2012-10-17",\n  "Statement" : [ { "Effect" : "Allow", "Principal" : "*", "Action" : "execute-api:Invoke", "Resource" : "execute-api:/*", "Condition" : { "IpAddress" : { "aws:SourceIp" : [ "10.0.0.0/8" ] } } } ]\n}';
    const api = await seedRestApi(ctx, { policy: original });
    const p = restrictMethods.params.parse({ restApiId: api.id, stage: 'prod', allow: ['GET'] });
    const trip = await roundTrip(restrictMethods, ctx, p);

    expect(normalizePolicy(trip.before.policy)).toBe(normalizePolicy(original));
    const statements = (parsePolicy(trip.applied.policy ?? '') as { Statement: Record<string, unknown>[] }).Statement;
    expect(statements).toHaveLength(2);
    expect(statements[0]?.Condition).toEqual({ IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } });
    expect(trip.final.policy).toBe(trip.before.policy);
    expect(trip.undone.policy).toBe(trip.before.policy);
  });

  it('is a noop on a second run', async () => {
    const ctx = testContext();
    const api = await seedRestApi(ctx);
    const p = restrictMethods.params.parse({ restApiName: api.name, stage: 'prod' });
    const change = restrictMethods.plan(await restrictMethods.read(ctx, p), p);
    if (change.noop) throw new Error('expected a change');
    await restrictMethods.apply(ctx, change, p);
    expect(restrictMethods.plan(await restrictMethods.read(ctx, p), p)).toMatchObject({
      noop: true,
      summary: `REST API "${api.name}" stage prod already allows only GET, HEAD, OPTIONS`,
    });
  });

  it('lifts its own restriction when every method is allowed, and undo of the lift restricts again', async () => {
    const ctx = testContext();
    const api = await seedRestApi(ctx);
    const restrict = restrictMethods.params.parse({ restApiId: api.id, stage: 'prod' });
    const change = restrictMethods.plan(await restrictMethods.read(ctx, restrict), restrict);
    if (change.noop) throw new Error('expected a change');
    const restricted = await restrictMethods.apply(ctx, change, restrict);
    const lift = restrictMethods.params.parse({
      restApiId: api.id,
      stage: 'prod',
      allow: ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'],
    });
    const trip = await roundTrip(restrictMethods, ctx, lift);
    expect(trip.before.policy).toBe(restricted.policy);
    expect(trip.applied.policy).toBeNull();
    expect(trip.final.policy).toBe(restricted.policy);
  });

  it('fails clearly on a stage that does not exist', async () => {
    const ctx = testContext();
    const api = await seedRestApi(ctx);
    await expect(restrictMethods.read(ctx, restrictMethods.params.parse({ restApiId: api.id, stage: 'nope' }))).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
      message: `REST API ${api.id} has no stage "nope"`,
    });
  });
});
