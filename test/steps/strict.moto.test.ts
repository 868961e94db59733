import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { restrictMethods } from '../../src/steps/apigateway.restrictMethods.js';
import { setAuthorizerPool } from '../../src/steps/apigateway.setAuthorizerPool.js';
import { setStageVariables } from '../../src/steps/apigateway.setStageVariables.js';
import { switchRecord } from '../../src/steps/route53.switchRecord.js';
import type { Checkpoint } from '../../src/steps/types.js';
import { testContext } from './helpers/context.js';
import { startTestMoto, unique } from './helpers/moto.js';
import { roundTrip } from './helpers/roundtrip.js';
import { seedRestApi, seedUserPool, seedZone } from './helpers/seed.js';

/** The step fixes of issue 12, against the strict sandbox (which refuses what AWS refuses). */
let moto: MotoServer;
beforeAll(async () => {
  moto = await startTestMoto();
});
afterAll(async () => {
  await moto?.stop();
});

async function seedSets(ctx: ReturnType<typeof testContext>, zoneId: string, sets: ResourceRecordSet[]): Promise<void> {
  const r53 = await import('@aws-sdk/client-route-53');
  const client = await ctx.aws.client(r53.Route53Client);
  await client.send(
    new r53.ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: sets.map((ResourceRecordSet) => ({ Action: 'CREATE', ResourceRecordSet })) },
    }),
  );
}
async function listAt(ctx: ReturnType<typeof testContext>, zoneId: string, name: string): Promise<ResourceRecordSet[]> {
  const r53 = await import('@aws-sdk/client-route-53');
  const client = await ctx.aws.client(r53.Route53Client);
  return ((await client.send(new r53.ListResourceRecordSetsCommand({ HostedZoneId: zoneId }))).ResourceRecordSets ?? []).filter(
    (r) => r.Name === name,
  );
}

describe('route53.switchRecord on the strict sandbox', () => {
  it('lowers every weighted set of the name together, switches one, and undo restores all of them', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    const name = `api.${zone.name}.`;
    const blue: ResourceRecordSet = {
      Name: name,
      Type: 'CNAME',
      SetIdentifier: 'blue',
      Weight: 90,
      TTL: 3600,
      ResourceRecords: [{ Value: 'blue.example.net' }],
    };
    const green: ResourceRecordSet = {
      Name: name,
      Type: 'CNAME',
      SetIdentifier: 'green',
      Weight: 10,
      TTL: 3600,
      ResourceRecords: [{ Value: 'green.example.net' }],
    };
    await seedSets(ctx, zone.id, [blue, green]);
    const p = switchRecord.params.parse({
      zone: zone.name,
      name,
      setIdentifier: 'blue',
      values: ['new.example.net'],
      maxTtl: 60,
      lowerTtlFirst: true,
    });
    const trip = await roundTrip(switchRecord, ctx, p);
    expect(trip.applied).toEqual({ ...blue, TTL: 60, ResourceRecords: [{ Value: 'new.example.net' }] });
    expect(ctx.messages.some((m) => m.includes('(2 routed record sets)'))).toBe(true);
    expect(trip.final).toEqual(blue);
    expect(await listAt(ctx, zone.id, name)).toEqual([blue, green]);
  });

  it('refuses at plan a weighted CNAME -> alias switch beside other CNAME sets, and a CNAME at the apex', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    const name = `api.${zone.name}.`;
    await seedSets(ctx, zone.id, [
      { Name: name, Type: 'CNAME', SetIdentifier: 'blue', Weight: 50, TTL: 60, ResourceRecords: [{ Value: 'blue.example.net' }] },
      { Name: name, Type: 'CNAME', SetIdentifier: 'green', Weight: 50, TTL: 60, ResourceRecords: [{ Value: 'green.example.net' }] },
    ]);
    const toAlias = switchRecord.params.parse({
      zone: zone.name,
      name,
      setIdentifier: 'blue',
      alias: { cloudfront: 'd111111abcdef8.cloudfront.net' },
    });
    await expect(switchRecord.read(ctx, toAlias)).rejects.toMatchObject({ code: 'RUNBOOK_INVALID' });
    const apex = switchRecord.params.parse({ zone: zone.name, name: zone.name, values: ['elsewhere.example.net'] });
    await expect(switchRecord.read(ctx, apex)).rejects.toMatchObject({ code: 'RUNBOOK_INVALID', message: expect.stringContaining('apex') });
  });

  it('recreates a routed set deleted behind its back with the weight from the checkpoint', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    const name = `api.${zone.name}.`;
    const green: ResourceRecordSet = {
      Name: name,
      Type: 'CNAME',
      SetIdentifier: 'green',
      Weight: 10,
      TTL: 60,
      ResourceRecords: [{ Value: 'green.example.net' }],
    };
    await seedSets(ctx, zone.id, [green]);
    const p = switchRecord.params.parse({ zone: zone.name, name, setIdentifier: 'blue', values: ['new.example.net'], ttl: 60 });
    const change = switchRecord.plan(await switchRecord.read(ctx, p), p);
    if (change.noop) throw new Error('expected a change');
    await expect(switchRecord.apply(ctx, change, p)).rejects.toMatchObject({
      code: 'STEP_FAILED',
      message: expect.stringContaining('routing'),
    });
    const previous = { before: { ...green, SetIdentifier: 'blue', Weight: 90 }, status: 'failed' } as unknown as Checkpoint;
    const applied = await switchRecord.apply({ ...ctx, previous }, change, p);
    expect(applied).toMatchObject({ SetIdentifier: 'blue', Weight: 90, ResourceRecords: [{ Value: 'new.example.net' }] });
  });

  it('in a private zone, verifies by reading back (the sandbox refuses TestDNSAnswer there, as AWS does)', async () => {
    const ctx = testContext();
    const r53 = await import('@aws-sdk/client-route-53');
    const client = await ctx.aws.client(r53.Route53Client);
    const zoneName = `${unique('private')}.internal`;
    await client.send(
      new r53.CreateHostedZoneCommand({
        Name: zoneName,
        CallerReference: unique('ref'),
        HostedZoneConfig: { PrivateZone: true },
        VPC: { VPCRegion: 'eu-west-2', VPCId: 'vpc-12345678' },
      }),
    );
    const p = switchRecord.params.parse({ zone: zoneName, privateZone: true, name: `db.${zoneName}`, values: ['db.example.net'], ttl: 60 });
    const trip = await roundTrip(switchRecord, ctx, p);
    expect(trip.applied).toMatchObject({ Type: 'CNAME', ResourceRecords: [{ Value: 'db.example.net' }] });
    expect(ctx.messages.some((m) => m.startsWith(`read back db.${zoneName}.`))).toBe(true);
    expect(trip.final).toBeNull();
  });
});

describe('API Gateway steps on the strict sandbox', () => {
  it('restrictMethods refuses at plan a policy that would pass 8,192 characters once the Deny is added', async () => {
    const ctx = testContext();
    // An existing conditioned statement just under the limit (about 8,050 characters): the Deny tips it over.
    const ranges: string[] = [];
    const policyWith = (sourceIps: string[]) =>
      JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Sid: 'OfficeOnly',
            Effect: 'Allow',
            Principal: '*',
            Action: 'execute-api:Invoke',
            Resource: 'execute-api:/*',
            Condition: { IpAddress: { 'aws:SourceIp': sourceIps } },
          },
        ],
      });
    while (policyWith(ranges).length < 8050) ranges.push(`10.${ranges.length >> 8}.${ranges.length & 255}.0/24`);
    const policy = policyWith(ranges);
    expect(policy.length).toBeLessThan(8192);
    const api = await seedRestApi(ctx, { policy });
    const p = restrictMethods.params.parse({ restApiId: api.id, stage: 'prod' });
    const current = await restrictMethods.read(ctx, p);
    expect(() => restrictMethods.plan(current, p)).toThrow(
      expect.objectContaining({ code: 'RUNBOOK_INVALID', message: expect.stringContaining('8192') }),
    );
  });

  it('setStageVariables refuses at plan what would leave more than 100 variables on the stage', async () => {
    const ctx = testContext();
    const api = await seedRestApi(ctx, { variables: Object.fromEntries(Array.from({ length: 99 }, (_, i) => [`v${i}`, 'x'])) });
    const p = setStageVariables.params.parse({ restApiId: api.id, stage: 'prod', variables: { a: '1', b: '2' } });
    await expect(setStageVariables.read(ctx, p)).rejects.toMatchObject({
      code: 'RUNBOOK_INVALID',
      message: expect.stringContaining('101 stage variables'),
    });
    const fits = setStageVariables.params.parse({ restApiId: api.id, stage: 'prod', variables: { a: '1', v0: null } });
    await roundTrip(setStageVariables, ctx, fits);
  });

  it('setAuthorizerPool without a stage says no deployment is made', async () => {
    const ctx = testContext();
    const [oldPool, newPool] = [await seedUserPool(ctx, { name: unique('old') }), await seedUserPool(ctx, { name: unique('new') })];
    const api = await seedRestApi(ctx, { authorizer: { name: 'cognito', poolArns: [oldPool.arn] } });
    const p = setAuthorizerPool.params.parse({ restApiId: api.id, userPoolArn: newPool.arn });
    const change = setAuthorizerPool.plan(await setAuthorizerPool.read(ctx, p), p);
    expect(!change.noop && change.summary).toContain('NO deployment is made');
  });
});
