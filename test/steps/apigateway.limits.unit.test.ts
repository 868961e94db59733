import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { APIGatewayClient, GetRestApiCommand, GetStageCommand } from '@aws-sdk/client-api-gateway';
import { POLICY_MAX_CHARS, restrictMethods } from '../../src/steps/apigateway.restrictMethods.js';
import { setAuthorizerPool } from '../../src/steps/apigateway.setAuthorizerPool.js';
import { STAGE_VARIABLES_MAX, setStageVariables } from '../../src/steps/apigateway.setStageVariables.js';
import { mockedContext } from './helpers/context.js';

/** API Gateway's limits, refused at plan time instead of at apply (issue 12). */
const gw = mockClient(APIGatewayClient);
beforeEach(() => gw.reset());

describe('API Gateway limits at plan time', () => {
  it('restrictMethods refuses a policy that would exceed 8,192 characters with its statements, and plans one that fits', () => {
    const policyOf = (pad: number) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'Existing',
            Effect: 'Allow',
            Principal: '*',
            Action: 'execute-api:Invoke',
            Resource: `execute-api:/prod/GET/${'x'.repeat(pad)}`,
          },
        ],
      });
    const nearLimit = policyOf(POLICY_MAX_CHARS - 100 - policyOf(0).length);
    expect(nearLimit.length).toBe(POLICY_MAX_CHARS - 100);
    const p = restrictMethods.params.parse({ restApiId: 'abc123', stage: 'prod' });
    expect(() => restrictMethods.plan({ policy: nearLimit, deploymentId: 'd1' }, p)).toThrow(
      expect.objectContaining({ code: 'RUNBOOK_INVALID', hint: expect.stringContaining('Shorten') }),
    );
    expect(restrictMethods.plan({ policy: policyOf(10), deploymentId: 'd1' }, p).noop).toBe(false);
  });

  it('setStageVariables refuses, when reading, a change that would leave more than 100 variables; removals count down', async () => {
    gw.on(GetRestApiCommand).resolves({ id: 'abc123', name: 'um' });
    gw.on(GetStageCommand).resolves({
      stageName: 'prod',
      deploymentId: 'd1',
      variables: Object.fromEntries(Array.from({ length: STAGE_VARIABLES_MAX }, (_, i) => [`v${i}`, 'x'])),
    });
    const adding = setStageVariables.params.parse({ restApiId: 'abc123', stage: 'prod', variables: { extra: 'y' } });
    await expect(setStageVariables.read(mockedContext(), adding)).rejects.toMatchObject({
      code: 'RUNBOOK_INVALID',
      message: expect.stringContaining('101 stage variables'),
    });
    const swapping = setStageVariables.params.parse({ restApiId: 'abc123', stage: 'prod', variables: { extra: 'y', v0: null } });
    await expect(setStageVariables.read(mockedContext(), swapping)).resolves.toMatchObject({ variables: { extra: null, v0: 'x' } });
  });

  it('setAuthorizerPool without a stage says no deployment is made; with one, that it deploys', () => {
    const state = { authorizerId: 'a1', authorizerName: 'cognito', providerARNs: ['arn:old'], targetPoolArn: 'arn:new' };
    const without = setAuthorizerPool.plan(state, setAuthorizerPool.params.parse({ restApiId: 'abc123', userPoolName: 'tis' }));
    expect(!without.noop && without.summary).toContain('NO deployment is made');
    const withStage = setAuthorizerPool.plan(
      { ...state, deploymentId: 'd1' },
      setAuthorizerPool.params.parse({ restApiId: 'abc123', userPoolName: 'tis', stage: 'prod' }),
    );
    expect(!withStage.noop && withStage.summary).toContain('then deploy prod');
  });
});
