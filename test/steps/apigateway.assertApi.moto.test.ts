import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { assertApi } from '../../src/steps/apigateway.assertApi.js';
import { RunbookError } from '../../src/errors.js';
import { testContext } from './helpers/context.js';
import { startTestMoto } from './helpers/moto.js';
import { seedRestApi, seedUserPool } from './helpers/seed.js';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startTestMoto();
});
afterAll(async () => {
  await moto?.stop();
});

async function judge(raw: Record<string, unknown>): Promise<string[] | 'pass'> {
  const p = assertApi.params.parse(raw);
  const state = await assertApi.read(testContext(), p);
  try {
    assertApi.plan(state, p);
    return 'pass';
  } catch (error) {
    if (error instanceof RunbookError && error.code === 'ASSERTION_FAILED') return error.details;
    throw error;
  }
}

describe('apigateway.assertApi against moto (plan pre 2)', () => {
  it('passes for a deployed API whose Cognito authorizer names the pool', async () => {
    const ctx = testContext();
    const pool = await seedUserPool(ctx);
    const api = await seedRestApi(ctx, { authorizer: { name: 'cognito', poolArns: [pool.arn] } });
    expect(await judge({ restApiName: api.name, stage: 'prod', authorizer: { name: 'cognito', userPoolName: pool.name } })).toBe('pass');
    expect(await judge({ restApiId: api.id, stage: 'prod', authorizer: { userPoolArn: pool.arn } })).toBe('pass');
    expect(await judge({ restApiId: api.id, authorizer: { userPoolId: pool.id } })).toBe('pass');
  });

  it('fails for a missing stage, and an authorizer naming another pool', async () => {
    const ctx = testContext();
    const oldPool = await seedUserPool(ctx);
    const tisPool = await seedUserPool(ctx);
    const api = await seedRestApi(ctx, { authorizer: { name: 'cognito', poolArns: [oldPool.arn] } });
    expect(await judge({ restApiName: api.name, stage: 'live', authorizer: { name: 'cognito', userPoolName: tisPool.name } })).toEqual([
      '  stage: expected a stage named "live", found no such stage',
      `  authorizer.cognito.providerARNs: expected to include ${tisPool.arn}, found ${oldPool.arn}`,
    ]);
  });

  it('fails for an API without a Cognito authorizer', async () => {
    const api = await seedRestApi(testContext());
    expect(await judge({ restApiId: api.id, stage: 'prod', authorizer: {} })).toEqual([
      '  authorizers: expected a COGNITO_USER_POOLS authorizer, found (none)',
    ]);
  });

  it('fails clearly for an API that does not exist', async () => {
    await expect(judge({ restApiName: 'no-such-api' })).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
      message: 'no REST API named "no-such-api" in eu-west-2',
    });
    await expect(judge({ restApiId: 'nosuchapi' })).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
      message: 'REST API nosuchapi does not exist in eu-west-2',
    });
  });
});
