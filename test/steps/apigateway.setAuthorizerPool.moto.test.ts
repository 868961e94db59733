import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { setAuthorizerPool } from '../../src/steps/apigateway.setAuthorizerPool.js';
import { testContext } from './helpers/context.js';
import { startTestMoto } from './helpers/moto.js';
import { roundTrip } from './helpers/roundtrip.js';
import { seedRestApi, seedUserPool } from './helpers/seed.js';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startTestMoto();
});
afterAll(async () => {
  await moto?.stop();
});

describe('apigateway.setAuthorizerPool against moto', () => {
  it("repoints Reval's authorizer to the TIS pool by name, deploys, and undo points it back", async () => {
    const ctx = testContext();
    const oldPool = await seedUserPool(ctx);
    const tisPool = await seedUserPool(ctx);
    const api = await seedRestApi(ctx, { authorizer: { name: 'cognito', poolArns: [oldPool.arn] } });
    const p = setAuthorizerPool.params.parse({ restApiName: api.name, userPoolName: tisPool.name, stage: 'prod' });
    const trip = await roundTrip(setAuthorizerPool, ctx, p);

    expect(trip.before).toMatchObject({
      authorizerId: api.authorizerId,
      authorizerName: 'cognito',
      providerARNs: [oldPool.arn],
      targetPoolArn: tisPool.arn,
    });
    expect(trip.applied.providerARNs).toEqual([tisPool.arn]);
    expect(trip.applied.deploymentId).not.toBe(trip.before.deploymentId);
    const { deploymentId: _b, ...beforeOwned } = trip.before;
    const { deploymentId: _f, ...finalOwned } = trip.final;
    expect(finalOwned).toEqual(beforeOwned);
  });

  it('takes the pool by id or ARN too, and is a noop once it is there', async () => {
    const ctx = testContext();
    const oldPool = await seedUserPool(ctx);
    const tisPool = await seedUserPool(ctx);
    const api = await seedRestApi(ctx, { authorizer: { name: 'cognito', poolArns: [oldPool.arn] } });
    const byId = setAuthorizerPool.params.parse({ restApiId: api.id, authorizerName: 'cognito', userPoolId: tisPool.id, stage: 'prod' });
    const change = setAuthorizerPool.plan(await setAuthorizerPool.read(ctx, byId), byId);
    if (change.noop) throw new Error('expected a change');
    await setAuthorizerPool.apply(ctx, change, byId);
    const byArn = setAuthorizerPool.params.parse({ restApiId: api.id, userPoolArn: tisPool.arn });
    expect(setAuthorizerPool.plan(await setAuthorizerPool.read(ctx, byArn), byArn).noop).toBe(true);
  });

  it('refuses a target pool that does not exist, without touching the authorizer', async () => {
    const ctx = testContext();
    const oldPool = await seedUserPool(ctx);
    const api = await seedRestApi(ctx, { authorizer: { name: 'cognito', poolArns: [oldPool.arn] } });
    const p = setAuthorizerPool.params.parse({ restApiId: api.id, userPoolId: 'eu-west-2_doesnotexist', stage: 'prod' });
    const state = await setAuthorizerPool.read(ctx, p);
    expect(() => setAuthorizerPool.plan(state, p)).toThrow(/eu-west-2_doesnotexist does not exist/);
    expect(state.providerARNs).toEqual([oldPool.arn]);
  });
});
