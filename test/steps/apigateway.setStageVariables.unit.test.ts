import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  GetRestApiCommand,
  GetStageCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { setStageVariables, variableOps, type StageVariablesState } from '../../src/steps/apigateway.setStageVariables.js';
import type { Checkpoint } from '../../src/steps/types.js';
import { mockedContext } from './helpers/context.js';

const gw = mockClient(APIGatewayClient);
const params = (extra: Record<string, unknown> = {}) =>
  setStageVariables.params.parse({
    restApiId: 'um1',
    stage: 'prod',
    variables: { authProvider: 'COGNITO', userPoolId: 'eu-west-2_NewTis', maintenance: null },
    ...extra,
  });

function stage(variables: Record<string, string>): void {
  gw.on(GetRestApiCommand).resolves({ id: 'um1', name: 'usermanagement' });
  gw.on(GetStageCommand).resolves({ stageName: 'prod', deploymentId: 'dep1', variables });
  gw.on(UpdateStageCommand).resolves({});
  gw.on(CreateDeploymentCommand).resolves({ id: 'dep2' });
}

beforeEach(() => gw.reset());

describe('apigateway.setStageVariables', () => {
  it('patches only what differs: replace to set, remove to delete', () => {
    expect(
      variableOps(
        { authProvider: 'KEYCLOAK', maintenance: 'on', other: 'x' },
        { authProvider: 'COGNITO', userPoolId: 'p', maintenance: null },
      ),
    ).toEqual([
      { op: 'replace', path: '/variables/authProvider', value: 'COGNITO' },
      { op: 'replace', path: '/variables/userPoolId', value: 'p' },
      { op: 'remove', path: '/variables/maintenance' },
    ]);
    expect(variableOps({ a: '1' }, { a: '1', b: null })).toEqual([]);
  });

  it('reads only the variables it names, null for missing ones', async () => {
    stage({ authProvider: 'KEYCLOAK', maintenance: 'on', unrelated: 'x' });
    expect(await setStageVariables.read(mockedContext(), params())).toEqual({
      variables: { authProvider: 'KEYCLOAK', userPoolId: null, maintenance: 'on' },
    });
    expect(await setStageVariables.read(mockedContext(), params({ deploy: true }))).toEqual({
      variables: { authProvider: 'KEYCLOAK', userPoolId: null, maintenance: 'on' },
      deploymentId: 'dep1',
    });
  });

  it('plans the change and is a noop when the stage already has the values', () => {
    const current: StageVariablesState = { variables: { authProvider: 'KEYCLOAK', userPoolId: null, maintenance: 'on' } };
    const change = setStageVariables.plan(current, params());
    expect(change.noop === false && change.summary).toBe(
      'REST API um1 stage prod: authProvider: KEYCLOAK -> COGNITO, userPoolId: (not set) -> eu-west-2_NewTis, maintenance: on -> (removed)',
    );
    expect(
      setStageVariables.plan({ variables: { authProvider: 'COGNITO', userPoolId: 'eu-west-2_NewTis', maintenance: null } }, params()).noop,
    ).toBe(true);
  });

  it('apply sends one UpdateStage, and deploys only when asked', async () => {
    stage({ authProvider: 'KEYCLOAK', maintenance: 'on' });
    const change = setStageVariables.plan({ variables: { authProvider: 'KEYCLOAK', userPoolId: null, maintenance: 'on' } }, params());
    if (change.noop) throw new Error('expected a change');
    await setStageVariables.apply(mockedContext(), change, params());
    expect(gw).toHaveReceivedCommandExactlyOnceWith(UpdateStageCommand, {
      restApiId: 'um1',
      stageName: 'prod',
      patchOperations: [
        { op: 'replace', path: '/variables/authProvider', value: 'COGNITO' },
        { op: 'replace', path: '/variables/userPoolId', value: 'eu-west-2_NewTis' },
        { op: 'remove', path: '/variables/maintenance' },
      ],
    });
    expect(gw).not.toHaveReceivedCommand(CreateDeploymentCommand);
    await setStageVariables.apply(mockedContext(), change, params({ deploy: true }));
    expect(gw).toHaveReceivedCommandWith(CreateDeploymentCommand, { restApiId: 'um1', stageName: 'prod' });
  });

  it('undo restores previous values and removes the variables that did not exist', async () => {
    stage({ authProvider: 'COGNITO', userPoolId: 'eu-west-2_NewTis', other: 'x' });
    const cp: Checkpoint<StageVariablesState, ReturnType<typeof params>> = {
      ref: 'mid.5',
      type: 'apigateway.setStageVariables',
      title: 'Switch UserManagement',
      status: 'applied',
      params: params(),
      before: { variables: { authProvider: 'KEYCLOAK', userPoolId: null, maintenance: 'on' } },
      after: { variables: { authProvider: 'COGNITO', userPoolId: 'eu-west-2_NewTis', maintenance: null } },
      digest: 'd',
      at: '2026-01-01T00:00:00Z',
    };
    await setStageVariables.undo!(mockedContext(), cp);
    expect(gw).toHaveReceivedCommandExactlyOnceWith(UpdateStageCommand, {
      patchOperations: [
        { op: 'replace', path: '/variables/authProvider', value: 'KEYCLOAK' },
        { op: 'remove', path: '/variables/userPoolId' },
        { op: 'replace', path: '/variables/maintenance', value: 'on' },
      ],
    });
  });

  it('validates names and values as API Gateway does', () => {
    expect(setStageVariables.params.safeParse({ restApiId: 'um1', stage: 'prod', variables: { 'bad-name': 'x' } }).success).toBe(false);
    expect(setStageVariables.params.safeParse({ restApiId: 'um1', stage: 'prod', variables: { ok: 'has space' } }).success).toBe(false);
    expect(setStageVariables.params.safeParse({ restApiId: 'um1', stage: 'prod', variables: {} }).success).toBe(false);
  });
});
