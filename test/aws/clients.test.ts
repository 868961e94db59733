import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { ChangeResourceRecordSetsCommand, ListHostedZonesCommand, Route53Client } from '@aws-sdk/client-route-53';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { createAwsSession, guardReadOnly, isReadOnlyCommand } from '../../src/aws/clients.js';

const env = { name: 'prod', region: 'eu-west-2', account: '123456789012', protected: true };

describe('dry-run guard', () => {
  it('classifies commands by name', () => {
    for (const name of ['GetRestApiCommand', 'ListHostedZones', 'DescribeUserPool', 'TestDNSAnswerCommand', 'AdminGetUser'])
      expect(isReadOnlyCommand(name)).toBe(true);
    for (const name of [
      'ChangeResourceRecordSetsCommand',
      'UpdateAuthorizer',
      'CreateDeployment',
      'AdminCreateUser',
      'DeleteStage',
      'PutRestApi',
    ])
      expect(isReadOnlyCommand(name)).toBe(false);
  });

  it('rejects a write before it leaves the process, even when a step tries one', async () => {
    // Pointed at a closed port: a request that got past the guard would fail differently.
    const client = new Route53Client({
      region: 'eu-west-2',
      endpoint: 'http://127.0.0.1:9',
      credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
      maxAttempts: 1,
    });
    guardReadOnly(client);
    await expect(
      client.send(new ChangeResourceRecordSetsCommand({ HostedZoneId: 'Z1', ChangeBatch: { Changes: [] } })),
    ).rejects.toMatchObject({ code: 'DRY_RUN_WRITE', message: expect.stringContaining('ChangeResourceRecordSets') });
    await expect(client.send(new ListHostedZonesCommand({}))).rejects.not.toMatchObject({ code: 'DRY_RUN_WRITE' });
  });
});

describe('account check', () => {
  const sts = mockClient(STSClient);
  afterEach(() => {
    sts.reset();
    delete process.env.AWS_REGION;
  });

  it('stops before the first AWS call when the credentials are for another account', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/someone', UserId: 'U' });
    const session = createAwsSession({ env, dryRun: false });
    await expect(session.client(Route53Client)).rejects.toMatchObject({
      code: 'WRONG_ACCOUNT',
      exitCode: 2,
      message: expect.stringContaining('999999999999'),
    });
  });

  it('stops when AWS_REGION names another region', async () => {
    process.env.AWS_REGION = 'us-east-1';
    const session = createAwsSession({ env, dryRun: false });
    await expect(session.ensureIdentity()).rejects.toMatchObject({ code: 'WRONG_REGION' });
  });

  it('hands out clients once the account matches, and remembers the caller', async () => {
    sts.on(GetCallerIdentityCommand).resolves({ Account: '123456789012', Arn: 'arn:aws:iam::123456789012:user/ops', UserId: 'U' });
    const session = createAwsSession({ env, dryRun: true });
    const a = await session.client(Route53Client);
    const b = await session.client(Route53Client);
    expect(a).toBe(b);
    expect(session.identity?.arn).toBe('arn:aws:iam::123456789012:user/ops');
    expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1);
    expect(await a.config.region()).toBe('eu-west-2');
  });
});
