import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { switchRecord } from '../../src/steps/route53.switchRecord.js';
import { testContext } from './helpers/context.js';
import { startTestMoto } from './helpers/moto.js';
import { roundTrip } from './helpers/roundtrip.js';
import { seedRecord, seedZone } from './helpers/seed.js';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startTestMoto();
});
afterAll(async () => {
  await moto?.stop();
});

const CLOUDFRONT = 'd111111abcdef8.cloudfront.net';

describe('route53.switchRecord against moto', () => {
  it('refuses to switch a record whose TTL is above maxTtl, and leaves it alone', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    const old = {
      Name: `apps.${zone.name}.`,
      Type: 'CNAME' as const,
      TTL: 300,
      ResourceRecords: [{ Value: 'old-admins.eu-west-2.elb.amazonaws.com' }],
    };
    await seedRecord(ctx, zone.id, old);
    const p = switchRecord.params.parse({ zone: zone.name, name: `apps.${zone.name}`, alias: { cloudfront: CLOUDFRONT }, maxTtl: 60 });
    const before = await switchRecord.read(ctx, p);
    const change = switchRecord.plan(before, p);
    if (change.noop) throw new Error('expected a change');
    expect(change.summary).toMatch(/REFUSES: live TTL 300s is above maxTtl 60s/);
    await expect(switchRecord.apply(ctx, change, p)).rejects.toMatchObject({
      code: 'STEP_FAILED',
      hint: expect.stringMatching(/lowerTtlFirst: true/),
    });
    expect(await switchRecord.read(ctx, p)).toEqual(before);
  });

  it('lowers the TTL, waits it out, switches a CNAME to a CloudFront alias, and undo brings the CNAME back exactly', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    const old = {
      Name: `apps.${zone.name}.`,
      Type: 'CNAME' as const,
      TTL: 300,
      ResourceRecords: [{ Value: 'old-admins.eu-west-2.elb.amazonaws.com' }],
    };
    await seedRecord(ctx, zone.id, old);
    const p = switchRecord.params.parse({
      zone: zone.name,
      name: `apps.${zone.name}`,
      alias: { cloudfront: CLOUDFRONT },
      maxTtl: 60,
      lowerTtlFirst: true,
    });
    const trip = await roundTrip(switchRecord, ctx, p);

    expect(trip.before).toEqual(old);
    expect(trip.applied).toMatchObject({
      Name: `apps.${zone.name}.`,
      Type: 'A',
      AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: CLOUDFRONT, EvaluateTargetHealth: false },
    });
    expect(ctx.clock.sleeps).toEqual([{ ms: 300_000, label: `old TTL (5m) of apps.${zone.name}. to expire` }]);
    expect(ctx.messages.some((m) => m.startsWith(`Route 53 answers apps.${zone.name}. A with ${CLOUDFRONT}`))).toBe(true);
    expect(trip.final).toEqual(old);
  });

  it('creates a record that did not exist, and undo deletes it', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    const p = switchRecord.params.parse({
      zoneId: zone.id,
      name: `maintenance.${zone.name}`,
      values: ['maintenance.example.net'],
      ttl: 60,
    });
    const trip = await roundTrip(switchRecord, ctx, p);
    expect(trip.before).toBeNull();
    expect(trip.applied).toEqual({
      Name: `maintenance.${zone.name}.`,
      Type: 'CNAME',
      TTL: 60,
      ResourceRecords: [{ Value: 'maintenance.example.net' }],
    });
    expect(trip.final).toBeNull();
  });

  it('switches an A record between values and an alias in place (UPSERT), and back', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    const old = {
      Name: `revalidation.${zone.name}.`,
      Type: 'A' as const,
      TTL: 60,
      ResourceRecords: [{ Value: '10.0.0.1' }, { Value: '10.0.0.2' }],
    };
    await seedRecord(ctx, zone.id, old);
    const p = switchRecord.params.parse({
      zone: zone.name,
      name: `revalidation.${zone.name}`,
      alias: { cloudfront: CLOUDFRONT },
      maxTtl: 60,
    });
    const trip = await roundTrip(switchRecord, ctx, p);
    expect(ctx.clock.sleeps).toEqual([]);
    expect(trip.final).toEqual(old);
  });

  it('switches one weighted record set and keeps its weight, and undo restores it', async () => {
    const ctx = testContext();
    const zone = await seedZone(ctx);
    const blue = {
      Name: `apps.${zone.name}.`,
      Type: 'A' as const,
      SetIdentifier: 'blue',
      Weight: 90,
      TTL: 60,
      ResourceRecords: [{ Value: '10.0.0.1' }],
    };
    const green = {
      Name: `apps.${zone.name}.`,
      Type: 'A' as const,
      SetIdentifier: 'green',
      Weight: 10,
      TTL: 60,
      ResourceRecords: [{ Value: '10.0.0.2' }],
    };
    await seedRecord(ctx, zone.id, blue);
    await seedRecord(ctx, zone.id, green);
    const p = switchRecord.params.parse({
      zone: zone.name,
      name: `apps.${zone.name}`,
      setIdentifier: 'blue',
      values: ['10.0.0.3'],
      type: 'A',
      ttl: 60,
    });
    const trip = await roundTrip(switchRecord, ctx, p);
    expect(trip.applied).toEqual({ ...blue, ResourceRecords: [{ Value: '10.0.0.3' }] });
    expect(trip.final).toEqual(blue);
    const pGreen = switchRecord.params.parse({
      zone: zone.name,
      name: `apps.${zone.name}`,
      setIdentifier: 'green',
      values: ['10.0.0.2'],
      type: 'A',
      ttl: 60,
    });
    expect(await switchRecord.read(ctx, pGreen)).toEqual(green);
  });

  it('fails clearly on a zone that does not exist', async () => {
    const ctx = testContext();
    const p = switchRecord.params.parse({ zone: 'nowhere.example', name: 'apps.nowhere.example', values: ['x.example.net'] });
    await expect(switchRecord.read(ctx, p)).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
      message: 'no public hosted zone named nowhere.example.',
    });
  });
});
