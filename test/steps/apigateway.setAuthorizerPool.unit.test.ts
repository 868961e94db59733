import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  APIGatewayClient,
  type AuthorizerType,
  CreateDeploymentCommand,
  GetAuthorizersCommand,
  GetRestApiCommand,
  GetStageCommand,
  UpdateAuthorizerCommand,
} from '@aws-sdk/client-api-gateway';
import { CognitoIdentityProviderClient, DescribeUserPoolCommand, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { providerArnOps, setAuthorizerPool, type AuthorizerPoolState } from '../../src/steps/apigateway.setAuthorizerPool.js';
import type { Checkpoint } from '../../src/steps/types.js';
import { mockedContext } from './helpers/context.js';

const gw = mockClient(APIGatewayClient);
const idp = mockClient(CognitoIdentityProviderClient);

const OLD = 'arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_OldReval';
const NEW = 'arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_NewTis';
const params = (extra: Record<string, unknown> = {}) =>
  setAuthorizerPool.params.parse({ restApiId: 'reval1', userPoolName: 'tis', stage: 'prod', ...extra });

function estate(providerARNs: string[], more: { name: string; type: AuthorizerType }[] = []): void {
  gw.on(GetRestApiCommand).resolves({ id: 'reval1', name: 'reval' });
  gw.on(GetAuthorizersCommand).resolves({
    items: [{ id: 'auth1', name: 'cognito', type: 'COGNITO_USER_POOLS', providerARNs }, ...more.map((m, i) => ({ id: `x${i}`, ...m }))],
  });
  gw.on(GetStageCommand).resolves({ stageName: 'prod', deploymentId: 'dep1' });
  gw.on(UpdateAuthorizerCommand).resolves({});
  gw.on(CreateDeploymentCommand).resolves({ id: 'dep2' });
  idp.on(ListUserPoolsCommand).resolves({
    UserPools: [
      { Id: 'eu-west-2_NewTis', Name: 'tis' },
      { Id: 'eu-west-2_OldReval', Name: 'reval' },
    ],
  });
  idp
    .on(DescribeUserPoolCommand, { UserPoolId: 'eu-west-2_NewTis' })
    .resolves({ UserPool: { Id: 'eu-west-2_NewTis', Name: 'tis', Arn: NEW } });
  idp
    .on(DescribeUserPoolCommand, { UserPoolId: 'eu-west-2_OldReval' })
    .resolves({ UserPool: { Id: 'eu-west-2_OldReval', Name: 'reval', Arn: OLD } });
}

beforeEach(() => {
  gw.reset();
  idp.reset();
});

describe('apigateway.setAuthorizerPool', () => {
  it('adds every new ARN before removing any old one, so the list is never empty', () => {
    expect(providerArnOps([OLD], [NEW])).toEqual([
      { op: 'add', path: '/providerARNs', value: NEW },
      { op: 'remove', path: '/providerARNs', value: OLD },
    ]);
    expect(providerArnOps([OLD, NEW], [NEW])).toEqual([{ op: 'remove', path: '/providerARNs', value: OLD }]);
    expect(providerArnOps([NEW], [NEW])).toEqual([]);
  });

  it('reads the authorizer, the stage and the target pool resolved by name', async () => {
    estate([OLD]);
    expect(await setAuthorizerPool.read(mockedContext(), params())).toEqual({
      authorizerId: 'auth1',
      authorizerName: 'cognito',
      providerARNs: [OLD],
      deploymentId: 'dep1',
      targetPoolArn: NEW,
    });
  });

  it('plans the switch, and is a noop once the authorizer names only the target', () => {
    const current: AuthorizerPoolState = {
      authorizerId: 'auth1',
      authorizerName: 'cognito',
      providerARNs: [OLD],
      deploymentId: 'dep1',
      targetPoolArn: NEW,
    };
    const change = setAuthorizerPool.plan(current, params());
    expect(change.noop === false && change.after.providerARNs).toEqual([NEW]);
    expect(change.noop === false && change.summary).toBe(
      `authorizer "cognito" of REST API reval1: user pool ${OLD} -> ${NEW}, then deploy prod`,
    );
    expect(setAuthorizerPool.plan({ ...current, providerARNs: [NEW] }, params()).noop).toBe(true);
    expect(setAuthorizerPool.plan({ ...current, providerARNs: [NEW, OLD] }, params()).noop).toBe(false);
  });

  it('refuses to point the authorizer at a pool that does not exist', async () => {
    estate([OLD]);
    const state = await setAuthorizerPool.read(mockedContext(), params({ userPoolName: 'nope' }));
    expect(state.targetPoolArn).toBeNull();
    expect(() => setAuthorizerPool.plan(state, params({ userPoolName: 'nope' }))).toThrow(/no Cognito user pool named "nope"/);
  });

  it('apply sends add-then-remove in one UpdateAuthorizer, then deploys the stage', async () => {
    estate([OLD]);
    const p = params();
    const change = setAuthorizerPool.plan(await setAuthorizerPool.read(mockedContext(), p), p);
    if (change.noop) throw new Error('expected a change');
    await setAuthorizerPool.apply(mockedContext(), change, p);
    expect(gw).toHaveReceivedCommandExactlyOnceWith(UpdateAuthorizerCommand, {
      restApiId: 'reval1',
      authorizerId: 'auth1',
      patchOperations: [
        { op: 'add', path: '/providerARNs', value: NEW },
        { op: 'remove', path: '/providerARNs', value: OLD },
      ],
    });
    expect(gw).toHaveReceivedCommandWith(CreateDeploymentCommand, { restApiId: 'reval1', stageName: 'prod' });
    const order = gw.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('UpdateAuthorizerCommand')).toBeLessThan(order.indexOf('CreateDeploymentCommand'));
  });

  it('undo restores the previous pools the same way, and redeploys', async () => {
    estate([NEW]);
    const cp: Checkpoint<AuthorizerPoolState, ReturnType<typeof params>> = {
      ref: 'mid.4',
      type: 'apigateway.setAuthorizerPool',
      title: 'Switch Reval',
      status: 'applied',
      params: params(),
      before: { authorizerId: 'auth1', authorizerName: 'cognito', providerARNs: [OLD], deploymentId: 'dep1', targetPoolArn: NEW },
      after: { authorizerId: 'auth1', authorizerName: 'cognito', providerARNs: [NEW], deploymentId: 'dep2', targetPoolArn: NEW },
      digest: 'd',
      at: '2026-01-01T00:00:00Z',
    };
    await setAuthorizerPool.undo!(mockedContext(), cp);
    expect(gw).toHaveReceivedCommandExactlyOnceWith(UpdateAuthorizerCommand, {
      patchOperations: [
        { op: 'add', path: '/providerARNs', value: OLD },
        { op: 'remove', path: '/providerARNs', value: NEW },
      ],
    });
    expect(gw).toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it('needs the authorizer named when the API has several Cognito authorizers', async () => {
    estate([OLD], [{ name: 'second', type: 'COGNITO_USER_POOLS' }]);
    await expect(setAuthorizerPool.read(mockedContext(), params())).rejects.toThrow(
      /does not have exactly one COGNITO_USER_POOLS authorizer/,
    );
    await expect(setAuthorizerPool.read(mockedContext(), params({ authorizerName: 'cognito' }))).resolves.toMatchObject({
      authorizerId: 'auth1',
    });
  });

  it('refuses an authorizer that is not a Cognito one', async () => {
    estate([OLD], [{ name: 'lambda', type: 'TOKEN' }]);
    await expect(setAuthorizerPool.read(mockedContext(), params({ authorizerName: 'lambda' }))).rejects.toThrow(
      /is of type TOKEN, not COGNITO_USER_POOLS/,
    );
  });

  it('same compares only the pools', () => {
    const a: AuthorizerPoolState = {
      authorizerId: 'auth1',
      authorizerName: 'cognito',
      providerARNs: [OLD, NEW],
      deploymentId: 'dep1',
      targetPoolArn: NEW,
    };
    expect(setAuthorizerPool.same!(a, { ...a, providerARNs: [NEW, OLD], deploymentId: 'dep9', targetPoolArn: null })).toBe(true);
    expect(setAuthorizerPool.same!(a, { ...a, providerARNs: [NEW] })).toBe(false);
  });
});
