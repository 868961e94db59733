import {
  APIGatewayClient,
  CreateDeploymentCommand,
  GetAuthorizersCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  GetStageCommand,
  UpdateAuthorizerCommand,
  UpdateRestApiCommand,
  UpdateStageCommand,
} from '@aws-sdk/client-api-gateway';
import { CognitoIdentityProviderClient, DescribeUserPoolCommand, ListUserPoolsCommand } from '@aws-sdk/client-cognito-identity-provider';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAwsSession, type AwsSession } from '../../src/aws/clients.js';
import { runPhase } from '../../src/engine/engine.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { RunbookError } from '../../src/errors.js';
import { getStepType } from '../../src/steps/index.js';
import type { StepType } from '../../src/steps/types.js';
import { FakeWorld, harness, step } from '../helpers/fake-steps.js';

const sts = mockClient(STSClient);
const gw = mockClient(APIGatewayClient);
const idp = mockClient(CognitoIdentityProviderClient);

const env = { name: 'sandbox', region: 'eu-west-2', account: '000000000000', protected: false };
const OLD = 'arn:aws:cognito-idp:eu-west-2:000000000000:userpool/eu-west-2_OldReval';
const NEW = 'arn:aws:cognito-idp:eu-west-2:000000000000:userpool/eu-west-2_NewTis';

function typeOf(name: string): StepType {
  const type = getStepType(name);
  if (!type) throw new Error(`no step type ${name}`);
  return type;
}

const mid = (id: string, type: string, params: Record<string, unknown>) => step('mid', id, type, typeOf(type).params.parse(params));

/** The API Gateway steps of the TIS mid phase: two on usermanagement-api's policy, one on its stage, one on reval-api. */
const midPhase = () => [
  mid('2', 'apigateway.restrictMethods', { restApiName: 'usermanagement-api', stage: 'prod', allow: ['GET', 'HEAD', 'OPTIONS'] }),
  mid('4', 'apigateway.setAuthorizerPool', {
    restApiName: 'reval-api',
    authorizerName: 'reval-cognito',
    userPoolName: 'tis',
    stage: 'prod',
  }),
  mid('5a', 'apigateway.setStageVariables', {
    restApiName: 'usermanagement-api',
    stage: 'prod',
    variables: { authenticationProvider: 'cognito' },
    deploy: true,
  }),
  mid('5b', 'apigateway.restrictMethods', {
    restApiName: 'usermanagement-api',
    stage: 'prod',
    allow: ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'],
  }),
];

/** A small estate whose REST API policy and stage variables follow the writes made to them. */
function estate(): void {
  let policy: string | undefined;
  let variables: Record<string, string> = {};
  let deployment = 1;
  sts.on(GetCallerIdentityCommand).resolves({ Account: env.account, Arn: 'arn:aws:iam::000000000000:user/ops', UserId: 'U' });
  gw.on(GetRestApisCommand).resolves({
    items: [
      { id: 'um1', name: 'usermanagement-api' },
      { id: 'rv1', name: 'reval-api' },
    ],
  });
  gw.on(GetRestApiCommand, { restApiId: 'um1' }).callsFake(async () => ({ id: 'um1', name: 'usermanagement-api', policy }));
  gw.on(GetRestApiCommand, { restApiId: 'rv1' }).resolves({ id: 'rv1', name: 'reval-api' });
  gw.on(GetStageCommand).callsFake(async () => ({ stageName: 'prod', deploymentId: `d${deployment}`, variables }));
  gw.on(GetAuthorizersCommand).resolves({ items: [{ id: 'a1', name: 'reval-cognito', type: 'COGNITO_USER_POOLS', providerARNs: [OLD] }] });
  gw.on(UpdateRestApiCommand).callsFake(async (input: { patchOperations: { value?: string }[] }) => {
    policy = input.patchOperations[0]?.value || undefined;
    return {};
  });
  gw.on(UpdateStageCommand).callsFake(async (input: { patchOperations: { path?: string; value?: string }[] }) => {
    variables = { ...variables };
    for (const op of input.patchOperations) variables[(op.path ?? '').replace('/variables/', '')] = op.value ?? '';
    return {};
  });
  gw.on(UpdateAuthorizerCommand).resolves({});
  gw.on(CreateDeploymentCommand).callsFake(async () => ({ id: `d${++deployment}` }));
  idp.on(ListUserPoolsCommand).resolves({ UserPools: [{ Id: 'eu-west-2_NewTis', Name: 'tis' }] });
  idp.on(DescribeUserPoolCommand).resolves({ UserPool: { Id: 'eu-west-2_NewTis', Name: 'tis', Arn: NEW } });
}

/** The engine's deps as a command builds them: the real step types, contexts on one AWS session. */
function engine(options: { dryRun: boolean; readPass?: boolean }) {
  const h = harness(new FakeWorld(), { dryRun: options.dryRun, answers: Array(10).fill('apply') });
  const aws: AwsSession = createAwsSession({ env, dryRun: options.dryRun });
  h.deps.stepType = typeOf;
  h.deps.contextFor = (_step, previous, signal) => ({
    env,
    aws: options.dryRun ? aws.readAhead : aws,
    dryRun: options.dryRun,
    clock: { scale: 1000, now: () => Date.now(), sleep: async () => undefined },
    signal,
    operator: 'tester',
    previous,
    progress: () => undefined,
  });
  if (options.readPass !== false) h.deps.readPass = (work) => aws.lookups.readPass(work);
  return { ...h, aws };
}

const run = { command: 'migrate plan mid', resumeCommand: (id: string) => `migrate run mid --from ${id}` };
const calls = (mock: typeof gw | typeof idp, command: Parameters<typeof gw.commandCalls>[0]) =>
  (mock as typeof gw).commandCalls(command).length;
const outcomes = (events: EngineEvent[]) =>
  events.flatMap((e) => (e.kind === 'step-end' ? [{ ref: e.ref, status: e.status, message: e.message, plan: e.plan }] : []));

beforeEach(() => {
  sts.reset();
  gw.reset();
  idp.reset();
  estate();
});
afterEach(() => vi.restoreAllMocks());

describe('look-ups shared by the steps of a plan', () => {
  it('one plan of the mid phase lists the REST APIs once, and reads each API, stage and pool once', async () => {
    const h = engine({ dryRun: true });
    const result = await runPhase(h.deps, midPhase(), run);
    expect(result.summary.wouldChange).toEqual(['mid.2', 'mid.4', 'mid.5a', 'mid.5b']);
    expect(calls(gw, GetRestApisCommand)).toBe(1);
    expect(calls(gw, GetRestApiCommand)).toBe(1);
    expect(calls(gw, GetStageCommand)).toBe(2);
    expect(calls(gw, GetAuthorizersCommand)).toBe(1);
    expect(calls(idp, ListUserPoolsCommand)).toBe(1);
    expect(calls(idp, DescribeUserPoolCommand)).toBe(1);
    expect(h.aws.lookups.size).toBe(0);
  });

  it('plans exactly what every step reading for itself plans', async () => {
    const shared = engine({ dryRun: true });
    await runPhase(shared.deps, midPhase(), run);
    const alone = engine({ dryRun: true, readPass: false });
    gw.resetHistory();
    await runPhase(alone.deps, midPhase(), run);
    expect(calls(gw, GetRestApisCommand)).toBe(3);
    expect(outcomes(alone.events)).toEqual(outcomes(shared.events));
  });

  it('a run that writes plans every step from live state: mid.5b sees the policy mid.2 wrote', async () => {
    const h = engine({ dryRun: false });
    const result = await runPhase(h.deps, midPhase(), { ...run, command: 'migrate run mid' });
    expect(result.ok).toBe(true);
    expect(result.summary.applied).toEqual(['mid.2', 'mid.4', 'mid.5a', 'mid.5b']);
    // mid.5b lifted the restriction mid.2 put on: planned from what mid.2 left live, not from a memo of before it.
    const lift = outcomes(h.events).find((o) => o.ref === 'mid.5b');
    expect(lift?.message).toMatch(/lift the restriction/);
    expect(calls(gw, UpdateRestApiCommand)).toBe(2);
    expect(calls(gw, GetRestApisCommand)).toBeGreaterThanOrEqual(4);
  });
});

describe('a plan reads while the account is checked', () => {
  it('its reads go out before the check answers; nothing is announced or recorded until it does', async () => {
    let confirm: (() => void) | undefined;
    const ready = new Promise<void>((resolve) => {
      confirm = resolve;
    });
    const h = engine({ dryRun: true });
    const plan = runPhase(h.deps, midPhase(), { ...run, ready });
    await vi.waitFor(() => expect(calls(gw, GetRestApisCommand)).toBe(1));
    expect(h.events).toEqual([]);
    expect(h.audit).toEqual([]);
    confirm?.();
    const result = await plan;
    expect(h.events[0]).toMatchObject({ kind: 'run-start' });
    expect(result.summary.wouldChange).toHaveLength(4);
  });

  it('a failed check stops the plan with its own error before anything is shown or recorded', async () => {
    const refused = new RunbookError('WRONG_ACCOUNT', 'these credentials are for account 999999999999');
    const ready = Promise.reject(refused);
    ready.catch(() => undefined);
    const h = engine({ dryRun: true });
    await expect(runPhase(h.deps, midPhase(), { ...run, ready })).rejects.toBe(refused);
    expect(h.events).toEqual([]);
    expect(h.audit).toEqual([]);
    expect(h.aws.lookups.size).toBe(0);
  });
});
