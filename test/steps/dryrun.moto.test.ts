import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { startProxy, type FrontProxy } from '../../src/sandbox/proxy.js';
import { getStepType } from '../../src/steps/index.js';
import type { StepType } from '../../src/steps/types.js';
import { testContext } from './helpers/context.js';
import { startTestMoto } from './helpers/moto.js';
import { seedRecord, seedRestApi, seedUserPool, seedZone } from './helpers/seed.js';

let moto: MotoServer;
let proxy: FrontProxy;
beforeAll(async () => {
  moto = await startTestMoto();
  // Through the sandbox's front proxy, whose request log shows what reached moto.
  proxy = await startProxy({ target: moto.url });
  process.env.AWS_ENDPOINT_URL = proxy.url;
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

/** A dry run reads and plans like a real one, and the session refuses every write the step tries. */
async function dryRun(name: string, raw: Record<string, unknown>): Promise<void> {
  const step = getStepType(name) as StepType;
  expect(step.mutates).toBe(true);
  const p = step.params.parse(raw);
  const ctx = testContext({ dryRun: true });
  proxy.clearLog();
  const before = await step.read(ctx, p);
  const change = step.plan(before, p);
  if (change.noop) throw new Error(`expected ${name} to plan a change`);
  await expect(step.apply(ctx, change, p)).rejects.toMatchObject({ code: 'DRY_RUN_WRITE' });
  expect(proxy.requests.length).toBeGreaterThan(0);
  expect(proxy.writes()).toEqual([]);
  expect(await step.read(testContext(), p)).toEqual(before);
}

describe('dry run: every mutating AWS step reads, and is refused at its first write', () => {
  it('apigateway.restrictMethods', async () => {
    const api = await seedRestApi(testContext());
    await dryRun('apigateway.restrictMethods', { restApiId: api.id, stage: 'prod' });
  });

  it('apigateway.setAuthorizerPool', async () => {
    const ctx = testContext();
    const oldPool = await seedUserPool(ctx);
    const tisPool = await seedUserPool(ctx);
    const api = await seedRestApi(ctx, { authorizer: { name: 'cognito', poolArns: [oldPool.arn] } });
    await dryRun('apigateway.setAuthorizerPool', { restApiId: api.id, userPoolName: tisPool.name, stage: 'prod' });
  });

  it('apigateway.setStageVariables', async () => {
    const api = await seedRestApi(testContext(), { variables: { authProvider: 'KEYCLOAK' } });
    await dryRun('apigateway.setStageVariables', {
      restApiId: api.id,
      stage: 'prod',
      variables: { authProvider: 'COGNITO' },
      deploy: true,
    });
  });

  it('route53.switchRecord, also with lowerTtlFirst', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    await seedRecord(ctx, zone.id, {
      Name: `apps.${zone.name}.`,
      Type: 'CNAME',
      TTL: 300,
      ResourceRecords: [{ Value: 'old.example.net' }],
    });
    await dryRun('route53.switchRecord', {
      zone: zone.name,
      name: `apps.${zone.name}`,
      alias: { cloudfront: 'd111.cloudfront.net' },
      maxTtl: 60,
      lowerTtlFirst: true,
    });
    await dryRun('route53.switchRecord', { zone: zone.name, name: `apps.${zone.name}`, values: ['new.example.net'], ttl: 300 });
  });
});
