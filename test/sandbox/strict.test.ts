import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { startMoto } from '../../src/sandbox/moto.js';
import type { MotoServer } from '../../src/sandbox/moto.js';

/**
 * The strict layer (src/sandbox/moto_strict_*.py): each request AWS refuses is refused with AWS's
 * error code, through the JS SDK here and through botocore (the AWS CLI's library) in the last block.
 * Rate limits run at time scale 0.05 (windows 20x real time) so that "too soon" is certain.
 */
let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto({ timeScale: 0.05 });
});
afterAll(async () => {
  await moto?.stop();
});

const config = () => ({
  endpoint: moto.url,
  region: 'eu-west-2',
  credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  maxAttempts: 1,
});
const errorOf = async (p: Promise<unknown>): Promise<{ name: string; message: string; status?: number }> => {
  const e = (await p.then(
    () => undefined,
    (x: unknown) => x,
  )) as { name: string; message: string; $metadata?: { httpStatusCode?: number } } | undefined;
  if (!e) throw new Error('expected the request to be refused');
  return { name: e.name, message: e.message, ...(e.$metadata?.httpStatusCode ? { status: e.$metadata.httpStatusCode } : {}) };
};

async function route53() {
  const r53 = await import('@aws-sdk/client-route-53');
  const client = new r53.Route53Client(config());
  const zoneName = `z${Math.random().toString(36).slice(2, 8)}.example.org`;
  const zoneId = (await client.send(new r53.CreateHostedZoneCommand({ Name: zoneName, CallerReference: zoneName })))
    .HostedZone!.Id!.split('/')
    .pop()!;
  const change = (...Changes: Change[]) =>
    client.send(new r53.ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Changes } }));
  const cname = (name: string, value: string, TTL: number, routing: Partial<ResourceRecordSet> = {}): ResourceRecordSet => ({
    Name: `${name}.${zoneName}`,
    Type: 'CNAME',
    TTL,
    ResourceRecords: [{ Value: value }],
    ...routing,
  });
  const list = async (name?: string) =>
    (await client.send(new r53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets!.filter(
      (r) => !name || r.Name === `${name}.${zoneName}.`,
    );
  return { r53, client, zoneId, zoneName, change, cname, list };
}

const ALIAS = { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: 'd111111abcdef8.cloudfront.net', EvaluateTargetHealth: false };

describe('strict Route 53 ChangeResourceRecordSets', () => {
  it('refuses a record beside a CNAME of the same name (RFC 1034 3.6.2): InvalidChangeBatch', async () => {
    const { change, cname, zoneName } = await route53();
    await change({ Action: 'CREATE', ResourceRecordSet: cname('www', 'origin.example.net', 300) });
    const txt = await errorOf(
      change({
        Action: 'CREATE',
        ResourceRecordSet: { Name: `www.${zoneName}`, Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"x"' }] },
      }),
    );
    expect(txt).toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringMatching(/RRSet of type CNAME .* conflicting RRSet of type TXT/),
    });
  });

  it('refuses weighted sets of one name and type with different TTLs, and accepts them lowered together in one batch', async () => {
    const { change, cname, list } = await route53();
    const blue = cname('api', 'blue.example.net', 3600, { SetIdentifier: 'blue', Weight: 50 });
    const green = cname('api', 'green.example.net', 3600, { SetIdentifier: 'green', Weight: 50 });
    await change({ Action: 'CREATE', ResourceRecordSet: blue }, { Action: 'CREATE', ResourceRecordSet: green });
    expect(await errorOf(change({ Action: 'UPSERT', ResourceRecordSet: { ...blue, TTL: 60 } }))).toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('must contain the same TTL'),
    });
    await change(
      { Action: 'UPSERT', ResourceRecordSet: { ...blue, TTL: 60 } },
      { Action: 'UPSERT', ResourceRecordSet: { ...green, TTL: 60 } },
    );
    expect((await list('api')).map((r) => r.TTL)).toEqual([60, 60]);
  });

  it('refuses a routed record without its routing field (Weight): InvalidInput', async () => {
    const { change, cname } = await route53();
    expect(
      await errorOf(change({ Action: 'CREATE', ResourceRecordSet: cname('api', 'red.example.net', 60, { SetIdentifier: 'red' }) })),
    ).toMatchObject({
      name: 'InvalidInput',
      message: expect.stringContaining('Expected exactly one of [Weight'),
    });
  });

  it('refuses an alias with a TTL (InvalidInput), and lists an alias without TTL', async () => {
    const { change, zoneName, list } = await route53();
    const aliased = { Name: `cdn.${zoneName}`, Type: 'A' as const, AliasTarget: ALIAS };
    expect(await errorOf(change({ Action: 'CREATE', ResourceRecordSet: { ...aliased, TTL: 300 } }))).toMatchObject({
      name: 'InvalidInput',
    });
    await change({ Action: 'CREATE', ResourceRecordSet: aliased });
    const [listed] = await list('cdn');
    expect(listed).not.toHaveProperty('TTL');
  });

  it('refuses a CNAME at the zone apex: InvalidChangeBatch', async () => {
    const { change, zoneName } = await route53();
    expect(
      await errorOf(
        change({
          Action: 'CREATE',
          ResourceRecordSet: { Name: zoneName, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.example.net' }] },
        }),
      ),
    ).toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('not permitted at apex'),
    });
  });

  it('refuses a DELETE whose values do not match the live set, and deletes only the named routed set', async () => {
    const { change, cname, list } = await route53();
    const apiBlue = cname('api', 'blue.example.net', 300, { SetIdentifier: 'blue', Weight: 50 });
    const apiGreen = cname('api', 'green.example.net', 300, { SetIdentifier: 'green', Weight: 50 });
    const wwwBlue = cname('www', 'blue.example.net', 300, { SetIdentifier: 'blue', Weight: 100 });
    await change(...[apiBlue, apiGreen, wwwBlue].map((ResourceRecordSet) => ({ Action: 'CREATE' as const, ResourceRecordSet })));
    expect(await errorOf(change({ Action: 'DELETE', ResourceRecordSet: { ...apiBlue, TTL: 60 } }))).toMatchObject({
      name: 'InvalidChangeBatch',
      message: expect.stringContaining('values provided do not match'),
    });
    await change({ Action: 'DELETE', ResourceRecordSet: apiBlue });
    // moto 5.2.1 deleted www [blue] too: every set with that identifier, whatever its name.
    expect((await list('www')).map((r) => r.SetIdentifier)).toEqual(['blue']);
    expect((await list('api')).map((r) => r.SetIdentifier)).toEqual(['green']);
  });

  it('refuses switching one weighted CNAME set to an alias A while the others stay CNAME', async () => {
    const { change, cname, zoneName } = await route53();
    const blue = cname('api', 'blue.example.net', 300, { SetIdentifier: 'blue', Weight: 50 });
    await change(
      { Action: 'CREATE', ResourceRecordSet: blue },
      { Action: 'CREATE', ResourceRecordSet: cname('api', 'green.example.net', 300, { SetIdentifier: 'green', Weight: 50 }) },
    );
    const refused = await errorOf(
      change(
        { Action: 'DELETE', ResourceRecordSet: blue },
        {
          Action: 'CREATE',
          ResourceRecordSet: { Name: `api.${zoneName}`, Type: 'A', SetIdentifier: 'blue', Weight: 50, AliasTarget: ALIAS },
        },
      ),
    );
    expect(refused.name).toBe('InvalidChangeBatch');
  });
});

describe('strict Route 53 GetChange, paging and TestDNSAnswer', () => {
  it('gives each change its own id, and NoSuchChange (404) for an id never issued', async () => {
    const { r53, client, change, cname } = await route53();
    const a = (await change({ Action: 'CREATE', ResourceRecordSet: cname('a', 'x.example.net', 60) })).ChangeInfo!.Id!;
    const b = (await change({ Action: 'CREATE', ResourceRecordSet: cname('b', 'x.example.net', 60) })).ChangeInfo!.Id!;
    expect(a).not.toBe(b);
    expect((await client.send(new r53.GetChangeCommand({ Id: a }))).ChangeInfo).toMatchObject({ Id: a, Status: 'INSYNC' });
    expect(await errorOf(client.send(new r53.GetChangeCommand({ Id: 'CNOSUCHCHANGE000' })))).toMatchObject({
      name: 'NoSuchChange',
      status: 404,
    });
  });

  it('pages by name, type and set identifier (NextRecordIdentifier, StartRecordIdentifier)', async () => {
    const { r53, client, zoneId, zoneName, change, cname } = await route53();
    const ids = ['s1', 's2', 's3', 's4', 's5'];
    await change(
      ...ids.map((id) => ({
        Action: 'CREATE' as const,
        ResourceRecordSet: cname('api', `${id}.example.net`, 60, { SetIdentifier: id, Weight: 10 }),
      })),
    );
    const seen: string[] = [];
    let start: { StartRecordName?: string; StartRecordType?: 'CNAME'; StartRecordIdentifier?: string } = {
      StartRecordName: `api.${zoneName}`,
    };
    for (let pages = 0; pages < 10; pages++) {
      const page = await client.send(new r53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId, MaxItems: 2, ...start }));
      seen.push(...page.ResourceRecordSets!.map((r) => r.SetIdentifier ?? r.Type!));
      if (!page.IsTruncated) break;
      expect(page.NextRecordIdentifier).toBeDefined();
      start = {
        StartRecordName: page.NextRecordName!,
        StartRecordType: page.NextRecordType as 'CNAME',
        StartRecordIdentifier: page.NextRecordIdentifier!,
      };
    }
    expect(seen).toEqual(ids);
  });

  it('answers TestDNSAnswer only for public zones: InvalidInput for a private one', async () => {
    const r53 = await import('@aws-sdk/client-route-53');
    const client = new r53.Route53Client(config());
    const zone = await client.send(
      new r53.CreateHostedZoneCommand({
        Name: 'strict.internal',
        CallerReference: 'strict-private',
        HostedZoneConfig: { PrivateZone: true },
        VPC: { VPCRegion: 'eu-west-2', VPCId: 'vpc-12345678' },
      }),
    );
    const refused = await errorOf(
      client.send(
        new r53.TestDNSAnswerCommand({
          HostedZoneId: zone.HostedZone!.Id!.split('/').pop()!,
          RecordName: 'x.strict.internal',
          RecordType: 'A',
        }),
      ),
    );
    expect(refused).toMatchObject({ name: 'InvalidInput', message: expect.stringContaining('public hosted zones') });
  });
});

async function restApi() {
  const ag = await import('@aws-sdk/client-api-gateway');
  const client = new ag.APIGatewayClient(config());
  const id = (await client.send(new ag.CreateRestApiCommand({ name: `strict-${Math.random().toString(36).slice(2, 8)}` }))).id!;
  const root = (await client.send(new ag.GetResourcesCommand({ restApiId: id }))).items![0]!.id!;
  await client.send(new ag.PutMethodCommand({ restApiId: id, resourceId: root, httpMethod: 'GET', authorizationType: 'NONE' }));
  await client.send(new ag.PutIntegrationCommand({ restApiId: id, resourceId: root, httpMethod: 'GET', type: 'MOCK' }));
  return { ag, client, id };
}

describe('strict API Gateway', () => {
  it('refuses a resource policy over 8,192 characters: BadRequestException', async () => {
    const { ag, client, id } = await restApi();
    const big = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: `execute-api:/${'x'.repeat(8200)}` }],
    });
    const refused = await errorOf(
      client.send(new ag.UpdateRestApiCommand({ restApiId: id, patchOperations: [{ op: 'replace', path: '/policy', value: big }] })),
    );
    expect(refused).toMatchObject({ name: 'BadRequestException', message: expect.stringContaining('8192') });
  });

  it('returns the policy in AWS form (quotes escaped, execute-api:/ expanded) and omits it when empty', async () => {
    const { ag, client, id } = await restApi();
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' }],
    });
    await client.send(new ag.UpdateRestApiCommand({ restApiId: id, patchOperations: [{ op: 'replace', path: '/policy', value: policy }] }));
    const got = (await client.send(new ag.GetRestApiCommand({ restApiId: id }))).policy!;
    expect(got.startsWith('{\\"Version\\":\\"2012-10-17\\"')).toBe(true);
    expect(got).toMatch(new RegExp(`arn:aws:execute-api:eu-west-2:\\d{12}:${id}/\\*`));
    await client.send(new ag.UpdateRestApiCommand({ restApiId: id, patchOperations: [{ op: 'replace', path: '/policy', value: '' }] }));
    expect(await client.send(new ag.GetRestApiCommand({ restApiId: id }))).not.toHaveProperty('policy');
  });

  it('refuses more than 100 stage variables, bad names and values out of the character set: BadRequestException', async () => {
    const { ag, client, id } = await restApi();
    await client.send(new ag.CreateDeploymentCommand({ restApiId: id, stageName: 'vars' })).catch(async () => {
      await new Promise((r) => setTimeout(r, 100));
    });
    const stage = await client.send(new ag.GetStageCommand({ restApiId: id, stageName: 'vars' })).catch(() => undefined);
    if (!stage) {
      const deployments = await client.send(new ag.GetDeploymentsCommand({ restApiId: id }));
      await client.send(
        new ag.CreateStageCommand({ restApiId: id, stageName: 'vars', deploymentId: deployments.items?.[0]?.id ?? 'none' }),
      );
    }
    const update = (patchOperations: { op: 'replace'; path: string; value: string }[]) =>
      errorOf(client.send(new ag.UpdateStageCommand({ restApiId: id, stageName: 'vars', patchOperations })));
    expect(
      await update(Array.from({ length: 101 }, (_, i) => ({ op: 'replace' as const, path: `/variables/v${i}`, value: 'x' }))),
    ).toMatchObject({ name: 'BadRequestException', message: expect.stringContaining('100') });
    expect(await update([{ op: 'replace', path: '/variables/bad-name', value: 'x' }])).toMatchObject({ name: 'BadRequestException' });
    expect(await update([{ op: 'replace', path: '/variables/long', value: 'x'.repeat(513) }])).toMatchObject({
      name: 'BadRequestException',
    });
    expect(await update([{ op: 'replace', path: '/variables/spaced', value: 'has space' }])).toMatchObject({ name: 'BadRequestException' });
  });

  it('limits CreateDeployment to one every 5 s per account (divided by the time scale): TooManyRequestsException 429', async () => {
    const { ag, client, id } = await restApi();
    // The first may itself meet the window of an earlier test's deployment.
    await client.send(new ag.CreateDeploymentCommand({ restApiId: id, stageName: 'rate' })).catch(() => undefined);
    const refused = await errorOf(client.send(new ag.CreateDeploymentCommand({ restApiId: id, stageName: 'rate' })));
    expect(refused).toMatchObject({ name: 'TooManyRequestsException', status: 429 });
  });

  it('UpdateAuthorizer refuses a malformed ARN, a pool that does not exist, a duplicate add and /providerARNs/0', async () => {
    const { ag, client, id } = await restApi();
    const idp = await import('@aws-sdk/client-cognito-identity-provider');
    const pool = (await new idp.CognitoIdentityProviderClient(config()).send(new idp.CreateUserPoolCommand({ PoolName: 'strict' })))
      .UserPool!;
    const authorizerId = (
      await client.send(
        new ag.CreateAuthorizerCommand({
          restApiId: id,
          name: 'c',
          type: 'COGNITO_USER_POOLS',
          providerARNs: [pool.Arn!],
          identitySource: 'method.request.header.Authorization',
        }),
      )
    ).id!;
    const patch = (op: 'add' | 'remove', path: string, value?: string) =>
      errorOf(
        client.send(
          new ag.UpdateAuthorizerCommand({ restApiId: id, authorizerId, patchOperations: [{ op, path, ...(value ? { value } : {}) }] }),
        ),
      );
    expect(await patch('add', '/providerARNs', 'not-an-arn')).toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining('Invalid ARN'),
    });
    expect(await patch('add', '/providerARNs', pool.Arn!.replace(/[^/]+$/, 'eu-west-2_Nope12345'))).toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining('does not exist'),
    });
    expect(await patch('add', '/providerARNs', pool.Arn!)).toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining('already contains'),
    });
    expect(await patch('remove', '/providerARNs/0')).toMatchObject({
      name: 'BadRequestException',
      message: expect.stringContaining('Invalid patch path'),
    });
  });
});

describe('strict Cognito', () => {
  it('limits AdminCreateUser to 50 per second per account (UserCreation, divided by the time scale): TooManyRequestsException', async () => {
    const idp = await import('@aws-sdk/client-cognito-identity-provider');
    const client = new idp.CognitoIdentityProviderClient(config());
    const pool = (await client.send(new idp.CreateUserPoolCommand({ PoolName: 'quota' }))).UserPool!;
    const outcomes: string[] = [];
    for (let i = 0; i < 55; i++) {
      outcomes.push(
        await client
          .send(new idp.AdminCreateUserCommand({ UserPoolId: pool.Id!, Username: `u${i}@example.org`, MessageAction: 'SUPPRESS' }))
          .then(
            () => 'ok',
            (e: Error) => e.name,
          ),
      );
    }
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(50);
    expect(outcomes.slice(50)).toEqual(Array(5).fill('TooManyRequestsException'));
  });
});

describe("the same refusals through botocore (the AWS CLI's client)", () => {
  it('parses the same AWS error codes', async () => {
    const second = await startMoto({ timeScale: 0.05 });
    try {
      const script = fileURLToPath(new URL('./strict_botocore.py', import.meta.url));
      const stdout = await new Promise<string>((resolve, reject) =>
        execFile(process.env.MIGRATE_PYTHON ?? 'python3', [script, second.url], { timeout: 60_000 }, (error, out, err) =>
          error ? reject(new Error(`${error.message}\n${err}`)) : resolve(out),
        ),
      );
      expect(JSON.parse(stdout)).toEqual({
        cnameBesideOther: 'InvalidChangeBatch',
        weightedTtlDiffers: 'InvalidChangeBatch',
        routedWithoutWeight: 'InvalidInput',
        aliasWithTtl: 'InvalidInput',
        cnameAtApex: 'InvalidChangeBatch',
        deleteValuesDiffer: 'InvalidChangeBatch',
        weightedAliasBesideCname: 'InvalidChangeBatch',
        getChangeUnknown: 'NoSuchChange',
        testDnsAnswerPrivate: 'InvalidInput',
        webBlueKept: true,
        policyTooLong: 'BadRequestException',
        deployFirst: 'ok',
        deployTooSoon: 'TooManyRequestsException',
        stageVariablesTooMany: 'BadRequestException',
        stageVariableBadName: 'BadRequestException',
        stageVariableBadValue: 'BadRequestException',
        authorizerBadArn: 'BadRequestException',
        authorizerMissingPool: 'BadRequestException',
        authorizerDuplicate: 'BadRequestException',
        authorizerIndexPath: 'BadRequestException',
        policyForm: expect.stringMatching(/^\{\\"Version\\":\\"2012-10-17\\".*arn:aws:execute-api:eu-west-2:\d{12}:\w+\/\*/),
        policyClearedOmitted: true,
        adminCreateUserQuota: ['TooManyRequestsException', 'ok'],
      });
    } finally {
      await second.stop();
    }
  }, 90_000);

  it('and through the AWS CLI itself, where it is installed', async () => {
    const aws = process.env.MIGRATE_AWS_CLI ?? 'aws';
    const run = (...args: string[]) =>
      new Promise<{ code: number; stderr: string }>((resolve) =>
        execFile(
          aws,
          [...args, '--endpoint-url', moto.url, '--region', 'eu-west-2'],
          { env: { ...process.env, AWS_ACCESS_KEY_ID: 'testing', AWS_SECRET_ACCESS_KEY: 'testing' }, timeout: 60_000 },
          (error, _out, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? -1) : 0, stderr }),
        ),
      );
    const version = await run('--version');
    // No CLI on this machine: botocore above is the second client.
    if (version.code !== 0) return;
    const { zoneId, zoneName } = await route53();
    const apex = await run(
      'route53',
      'change-resource-record-sets',
      '--hosted-zone-id',
      zoneId,
      '--change-batch',
      JSON.stringify({
        Changes: [
          {
            Action: 'CREATE',
            ResourceRecordSet: { Name: zoneName, Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'x.example.net' }] },
          },
        ],
      }),
    );
    expect(apex.stderr).toContain('(InvalidChangeBatch)');
    const unknown = await run('route53', 'get-change', '--id', 'CNOSUCHCHANGE000');
    expect(unknown.stderr).toContain('(NoSuchChange)');
  }, 90_000);
});
