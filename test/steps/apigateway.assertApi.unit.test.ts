import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  APIGatewayClient,
  GetAuthorizersCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  GetStageCommand,
  NotFoundException,
} from '@aws-sdk/client-api-gateway';
import { CognitoIdentityProviderClient, DescribeUserPoolCommand } from '@aws-sdk/client-cognito-identity-provider';
import { assertApi, type ApiState } from '../../src/steps/apigateway.assertApi.js';
import { RunbookError } from '../../src/errors.js';
import { mockedContext } from './helpers/context.js';

const gw = mockClient(APIGatewayClient);
const idp = mockClient(CognitoIdentityProviderClient);
const TIS = 'arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_Tis';
const OLD = 'arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_Old';
const params = (extra: Record<string, unknown> = {}) => assertApi.params.parse({ restApiName: 'admins', stage: 'prod', ...extra });

const good: ApiState = {
  restApiId: 'adm1',
  restApiName: 'admins',
  stage: { name: 'prod', deploymentId: 'dep1' },
  authorizers: [{ id: 'a1', name: 'cognito', type: 'COGNITO_USER_POOLS', providerARNs: [TIS] }],
  userPoolArn: TIS,
};

function details(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    if (error instanceof RunbookError && error.code === 'ASSERTION_FAILED') return error.details;
    throw error;
  }
  throw new Error('expected an assertion failure');
}

beforeEach(() => {
  gw.reset();
  idp.reset();
});

describe('apigateway.assertApi', () => {
  it('passes with a deployed stage and a Cognito authorizer naming the pool', () => {
    expect(assertApi.plan(good, params({ authorizer: { name: 'cognito', userPoolId: 'eu-west-2_Tis' } })).noop).toBe(true);
    expect(assertApi.plan(good, params({ authorizer: {} })).noop).toBe(true);
  });

  it('lists what differs', () => {
    expect(details(() => assertApi.plan({ ...good, stage: null }, params()))).toEqual([
      '  stage: expected a stage named "prod", found no such stage',
    ]);
    expect(details(() => assertApi.plan({ ...good, stage: { name: 'prod', deploymentId: null } }, params()))).toEqual([
      '  stage.prod.deploymentId: expected a deployment, found (not set)',
    ]);
    expect(
      details(() => assertApi.plan({ ...good, userPoolArn: OLD }, params({ authorizer: { name: 'cognito', userPoolArn: OLD } }))),
    ).toEqual([`  authorizer.cognito.providerARNs: expected to include ${OLD}, found ${TIS}`]);
    expect(details(() => assertApi.plan(good, params({ authorizer: { name: 'jwt' } })))).toEqual([
      '  authorizers: expected one named "jwt", found cognito',
    ]);
    const lambdaOnly = { ...good, authorizers: [{ id: 'a2', name: 'lambda', type: 'TOKEN', providerARNs: [] }] };
    expect(details(() => assertApi.plan(lambdaOnly, params({ authorizer: {} })))).toEqual([
      '  authorizers: expected a COGNITO_USER_POOLS authorizer, found lambda (TOKEN)',
    ]);
    expect(details(() => assertApi.plan(lambdaOnly, params({ authorizer: { name: 'lambda' } })))).toEqual([
      '  authorizer.lambda.type: expected COGNITO_USER_POOLS, found TOKEN',
    ]);
  });

  it('reads the API by name, the stage, the authorizers and the pool ARN', async () => {
    gw.on(GetRestApisCommand).resolves({ items: [{ id: 'adm1', name: 'admins' }] });
    gw.on(GetRestApiCommand).resolves({ id: 'adm1', name: 'admins' });
    gw.on(GetStageCommand).resolves({ stageName: 'prod', deploymentId: 'dep1' });
    gw.on(GetAuthorizersCommand).resolves({ items: [{ id: 'a1', name: 'cognito', type: 'COGNITO_USER_POOLS', providerARNs: [TIS] }] });
    idp.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: 'eu-west-2_Tis', Name: 'tis', Arn: TIS } });
    expect(await assertApi.read(mockedContext(), params({ authorizer: { userPoolId: 'eu-west-2_Tis' } }))).toEqual(good);
  });

  it('reads a missing stage as null, for plan to report', async () => {
    gw.on(GetRestApiCommand).resolves({ id: 'adm1', name: 'admins' });
    gw.on(GetStageCommand).rejects(
      new NotFoundException({ message: 'Invalid stage identifier specified', $metadata: { httpStatusCode: 404 } }),
    );
    const state = await assertApi.read(mockedContext(), assertApi.params.parse({ restApiId: 'adm1', stage: 'prod' }));
    expect(state.stage).toBeNull();
  });

  it('lets other SDK errors through as they are', async () => {
    const denied = Object.assign(new Error('User is not authorized'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 403, requestId: 'r9' },
    });
    gw.on(GetRestApiCommand).rejects(denied);
    await expect(assertApi.read(mockedContext(), assertApi.params.parse({ restApiId: 'adm1' }))).rejects.toBe(denied);
  });
});
