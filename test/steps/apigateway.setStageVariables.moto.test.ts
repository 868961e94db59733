import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { setStageVariables } from '../../src/steps/apigateway.setStageVariables.js';
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

async function liveVariables(apiId: string): Promise<Record<string, string>> {
  const gw = await import('@aws-sdk/client-api-gateway');
  const client = await testContext().aws.client(gw.APIGatewayClient);
  return (await client.send(new gw.GetStageCommand({ restApiId: apiId, stageName: 'prod' }))).variables ?? {};
}

describe('apigateway.setStageVariables against moto', () => {
  it('sets, adds and removes variables; undo restores the old values and removes the new ones', async () => {
    const ctx = testContext();
    const api = await seedRestApi(ctx, { variables: { authProvider: 'KEYCLOAK', maintenance: 'on', untouched: 'yes' } });
    const p = setStageVariables.params.parse({
      restApiName: api.name,
      stage: 'prod',
      variables: { authProvider: 'COGNITO', userPoolId: 'eu-west-2_Tis', maintenance: null },
    });
    const trip = await roundTrip(setStageVariables, ctx, p);

    expect(trip.before).toEqual({ variables: { authProvider: 'KEYCLOAK', userPoolId: null, maintenance: 'on' } });
    expect(trip.applied).toEqual({ variables: { authProvider: 'COGNITO', userPoolId: 'eu-west-2_Tis', maintenance: null } });
    expect(trip.final).toEqual(trip.before);
    expect(await liveVariables(api.id)).toEqual({ authProvider: 'KEYCLOAK', maintenance: 'on', untouched: 'yes' });
  });

  it('with deploy: true, deploys the stage and keeps its variables', async () => {
    const ctx = testContext();
    const api = await seedRestApi(ctx, { variables: { authProvider: 'KEYCLOAK', untouched: 'yes' } });
    const p = setStageVariables.params.parse({ restApiId: api.id, stage: 'prod', variables: { authProvider: 'COGNITO' }, deploy: true });
    const trip = await roundTrip(setStageVariables, ctx, p);
    expect(trip.applied.deploymentId).not.toBe(trip.before.deploymentId);
    expect(trip.final.variables).toEqual({ authProvider: 'KEYCLOAK' });
    expect(await liveVariables(api.id)).toEqual({ authProvider: 'KEYCLOAK', untouched: 'yes' });
  });
});
