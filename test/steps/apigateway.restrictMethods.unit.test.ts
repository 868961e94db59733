import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  APIGatewayClient,
  CreateDeploymentCommand,
  GetRestApiCommand,
  GetRestApisCommand,
  GetStageCommand,
  UpdateRestApiCommand,
} from '@aws-sdk/client-api-gateway';
import { restrictMethods, type RestrictMethodsState } from '../../src/steps/apigateway.restrictMethods.js';
import { normalizePolicy, parsePolicy, policyToSend } from '../../src/steps/support/policy.js';
import type { Checkpoint } from '../../src/steps/types.js';
import { mockedContext } from './helpers/context.js';

const gw = mockClient(APIGatewayClient);
const params = (extra: Record<string, unknown> = {}) =>
  restrictMethods.params.parse({ restApiName: 'usermanagement', stage: 'prod', ...extra });

function api(policy?: string): void {
  gw.on(GetRestApisCommand).resolves({
    items: [
      { id: 'um1', name: 'usermanagement' },
      { id: 'other', name: 'reval' },
    ],
  });
  gw.on(GetRestApiCommand, { restApiId: 'um1' }).resolves({ id: 'um1', name: 'usermanagement', policy });
  gw.on(GetStageCommand).resolves({ stageName: 'prod', deploymentId: 'dep1' });
  gw.on(UpdateRestApiCommand).resolves({ id: 'um1' });
  gw.on(CreateDeploymentCommand).resolves({ id: 'dep2' });
}

beforeEach(() => gw.reset());

/** AWS answers GetRestApi with the policy's quotes escaped and its short resources expanded to ARNs. */
function asAwsReturnsIt(policy: string): string {
  const expanded = policy.replace(/execute-api:\//g, 'arn:aws:execute-api:eu-west-2:123456789012:um1/');
  return expanded.replace(/"/g, '\\"');
}

describe('apigateway.restrictMethods plan', () => {
  it('adds an Allow and an explicit Deny of every other method on the stage when the API has no policy', () => {
    const change = restrictMethods.plan({ policy: null, deploymentId: 'dep1' }, params());
    if (change.noop) throw new Error('expected a change');
    expect(JSON.parse(change.after.policy ?? '')).toEqual({
      Version: '2012-10-17',
      Statement: [
        { Sid: 'MigrateAllowInvoke', Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
        {
          Sid: 'MigrateDenyMethods',
          Effect: 'Deny',
          Principal: '*',
          Action: 'execute-api:Invoke',
          Resource: ['execute-api:/prod/POST/*', 'execute-api:/prod/PUT/*', 'execute-api:/prod/PATCH/*', 'execute-api:/prod/DELETE/*'],
        },
      ],
    });
    expect(change.summary).toBe(
      'REST API "usermanagement" stage prod: allow only GET, HEAD, OPTIONS; POST, PUT, PATCH, DELETE answer 403 (resource policy, then deploy)',
    );
  });

  it("keeps an existing policy's statements and adds only the Deny", () => {
    const existing = JSON.stringify({
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: '*',
          Action: 'execute-api:Invoke',
          Resource: 'execute-api:/*',
          Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } },
        },
      ],
    });
    const change = restrictMethods.plan({ policy: existing, deploymentId: 'dep1' }, params({ allow: ['GET'] }));
    if (change.noop) throw new Error('expected a change');
    const doc = JSON.parse(change.after.policy ?? '');
    expect(doc.Statement).toHaveLength(2);
    expect(doc.Statement[0].Condition).toEqual({ IpAddress: { 'aws:SourceIp': ['10.0.0.0/8'] } });
    expect(doc.Statement[1].Resource).toEqual([
      'execute-api:/prod/HEAD/*',
      'execute-api:/prod/OPTIONS/*',
      'execute-api:/prod/POST/*',
      'execute-api:/prod/PUT/*',
      'execute-api:/prod/PATCH/*',
      'execute-api:/prod/DELETE/*',
    ]);
  });

  it('is a noop when the live policy already says the same, even escaped and with full ARNs as AWS returns it', () => {
    const change = restrictMethods.plan({ policy: null, deploymentId: 'dep1' }, params());
    if (change.noop) throw new Error('expected a change');
    const live = asAwsReturnsIt(change.after.policy ?? '');
    expect(live).not.toBe(change.after.policy);
    expect(restrictMethods.plan({ policy: live, deploymentId: 'dep2' }, params()).noop).toBe(true);
    expect(restrictMethods.plan({ policy: change.after.policy, deploymentId: 'dep2' }, params()).noop).toBe(true);
  });

  it('is not a noop when a different set of methods is restricted', () => {
    const change = restrictMethods.plan({ policy: null, deploymentId: 'dep1' }, params());
    if (change.noop) throw new Error('expected a change');
    expect(restrictMethods.plan({ policy: change.after.policy, deploymentId: 'dep2' }, params({ allow: ['GET'] })).noop).toBe(false);
  });

  it('refuses a policy that is not JSON rather than overwrite it', () => {
    expect(() => restrictMethods.plan({ policy: 'not json', deploymentId: 'dep1' }, params())).toThrow(/not a JSON document/);
  });

  it('allowing every method lifts the restriction: its statements go, and an empty policy is removed', () => {
    const all = restrictMethods.params.parse({
      restApiId: 'um1',
      stage: 'prod',
      allow: ['GET', 'HEAD', 'OPTIONS', 'POST', 'PUT', 'PATCH', 'DELETE'],
    });
    const restricted = restrictMethods.plan({ policy: null, deploymentId: 'dep1' }, params());
    if (restricted.noop) throw new Error('expected a change');
    const lift = restrictMethods.plan({ policy: restricted.after.policy, deploymentId: 'dep2' }, all);
    expect(lift).toMatchObject({ noop: false, after: { policy: null }, summary: expect.stringContaining('lift the restriction') });
    expect(restrictMethods.plan({ policy: null, deploymentId: 'dep1' }, all)).toMatchObject({ noop: true });
    const theirs =
      '{"Version":"2012-10-17","Statement":[{"Sid":"Theirs","Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"}]}';
    const restrictedTheirs = restrictMethods.plan({ policy: theirs, deploymentId: 'dep1' }, params());
    if (restrictedTheirs.noop) throw new Error('expected a change');
    const liftTheirs = restrictMethods.plan({ policy: restrictedTheirs.after.policy, deploymentId: 'dep2' }, all);
    expect(liftTheirs.noop ? null : JSON.parse(liftTheirs.after.policy ?? 'null')).toEqual(JSON.parse(theirs));
  });
});

describe('apigateway.restrictMethods apply and undo', () => {
  it('reads the policy and the stage deployment', async () => {
    api('{"Version":"2012-10-17","Statement":[]}');
    expect(await restrictMethods.read(mockedContext(), params())).toEqual({
      policy: '{"Version":"2012-10-17","Statement":[]}',
      deploymentId: 'dep1',
    });
    gw.reset();
    api('');
    expect(await restrictMethods.read(mockedContext(), params())).toEqual({ policy: null, deploymentId: 'dep1' });
  });

  it('replaces /policy, then deploys the stage', async () => {
    api(undefined);
    const change = restrictMethods.plan({ policy: null, deploymentId: 'dep1' }, params());
    if (change.noop) throw new Error('expected a change');
    await restrictMethods.apply(mockedContext(), change, params());
    expect(gw).toHaveReceivedCommandWith(UpdateRestApiCommand, {
      restApiId: 'um1',
      patchOperations: [{ op: 'replace', path: '/policy', value: change.after.policy ?? '' }],
    });
    expect(gw).toHaveReceivedCommandWith(CreateDeploymentCommand, { restApiId: 'um1', stageName: 'prod' });
    const order = gw.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('UpdateRestApiCommand')).toBeLessThan(order.indexOf('CreateDeploymentCommand'));
  });

  const checkpoint = (before: RestrictMethodsState): Checkpoint<RestrictMethodsState, ReturnType<typeof params>> => ({
    ref: 'mid.2',
    type: 'apigateway.restrictMethods',
    title: 'Restrict UserManagement',
    status: 'applied',
    params: params(),
    before,
    after: { policy: '{}', deploymentId: 'dep2' },
    digest: 'd',
    at: '2026-01-01T00:00:00Z',
  });

  it('undo puts back the previous policy byte for byte and deploys', async () => {
    api(undefined);
    const original =
      '{ "Version": "2012-10-17",\n  "Statement": [ {"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"execute-api:/*"} ] }';
    await restrictMethods.undo!(mockedContext(), checkpoint({ policy: original, deploymentId: 'dep1' }));
    expect(gw).toHaveReceivedCommandWith(UpdateRestApiCommand, { patchOperations: [{ op: 'replace', path: '/policy', value: original }] });
    expect(gw).toHaveReceivedCommand(CreateDeploymentCommand);
  });

  it('undo sends an escaped policy (as AWS returns it) unescaped, so AWS stores the same document again', async () => {
    api(undefined);
    const plain =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"execute-api:Invoke","Resource":"arn:aws:execute-api:eu-west-2:123456789012:um1/*"}]}';
    await restrictMethods.undo!(mockedContext(), checkpoint({ policy: plain.replace(/"/g, '\\"'), deploymentId: 'dep1' }));
    expect(gw).toHaveReceivedCommandWith(UpdateRestApiCommand, { patchOperations: [{ op: 'replace', path: '/policy', value: plain }] });
  });

  it('undo removes the policy when there was none', async () => {
    api(undefined);
    await restrictMethods.undo!(mockedContext(), checkpoint({ policy: null, deploymentId: 'dep1' }));
    expect(gw).toHaveReceivedCommandWith(UpdateRestApiCommand, { patchOperations: [{ op: 'replace', path: '/policy', value: '' }] });
  });

  it('same compares only the policy, by meaning', () => {
    const doc =
      '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke","Resource":["execute-api:/prod/PUT/*","execute-api:/prod/POST/*"]}]}';
    const spelt =
      '{"Statement":[{"Resource":["arn:aws:execute-api:eu-west-2:123456789012:um1/prod/POST/*","arn:aws:execute-api:eu-west-2:123456789012:um1/prod/PUT/*"],"Effect":"Deny","Principal":"*","Action":"execute-api:Invoke"}],"Version":"2012-10-17"}';
    expect(restrictMethods.same!({ policy: doc, deploymentId: 'a' }, { policy: spelt.replace(/"/g, '\\"'), deploymentId: 'b' })).toBe(true);
    expect(restrictMethods.same!({ policy: doc, deploymentId: 'a' }, { policy: null, deploymentId: 'a' })).toBe(false);
  });
});

describe('policy text', () => {
  it('parses plain and escaped policies, and knows what to send back', () => {
    const plain = '{"Version":"2012-10-17","Statement":[{"Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0\\/8"}}}]}';
    expect(parsePolicy(plain)).toBeDefined();
    expect(parsePolicy(plain.replace(/"/g, '\\"'))).toEqual(parsePolicy(plain));
    expect(policyToSend(plain)).toBe(plain);
    expect(normalizePolicy('')).toBeNull();
    expect(normalizePolicy('garbage')).toBe('garbage');
  });
});
