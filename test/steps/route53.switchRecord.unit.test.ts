import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  TestDNSAnswerCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import { answerMatches, pickRecord, sameRecord, switchRecord } from '../../src/steps/route53.switchRecord.js';
import type { Checkpoint } from '../../src/steps/types.js';
import { RunbookError } from '../../src/errors.js';
import { mockedContext } from './helpers/context.js';

const r53 = mockClient(Route53Client);

const OLD_CNAME: ResourceRecordSet = {
  Name: 'apps.tis.nhs.uk.',
  Type: 'CNAME',
  TTL: 300,
  ResourceRecords: [{ Value: 'old-admins.eu-west-2.elb.amazonaws.com' }],
};
const CF_ALIAS: ResourceRecordSet = {
  Name: 'apps.tis.nhs.uk.',
  Type: 'A',
  AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: 'd111111abcdef8.cloudfront.net.', EvaluateTargetHealth: false },
};

const params = (extra: Record<string, unknown> = {}) =>
  switchRecord.params.parse({
    zone: 'tis.nhs.uk',
    name: 'apps.tis.nhs.uk',
    alias: { cloudfront: 'd111111abcdef8.cloudfront.net' },
    maxTtl: 60,
    ...extra,
  });

function zoneWith(records: ResourceRecordSet[]): void {
  r53
    .on(ListHostedZonesByNameCommand)
    .resolves({ HostedZones: [{ Id: '/hostedzone/ZTIS', Name: 'tis.nhs.uk.', CallerReference: 'x', Config: { PrivateZone: false } }] });
  r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: records, IsTruncated: false, MaxItems: 100 });
  r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
  r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
}

function changeBatches(): { Action?: string; ResourceRecordSet?: ResourceRecordSet }[][] {
  return r53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input.ChangeBatch?.Changes ?? []);
}

beforeEach(() => r53.reset());

describe('route53.switchRecord params', () => {
  it('defaults the type to A for an alias and CNAME for values', () => {
    expect(switchRecord.plan(null, params()).noop).toBe(false);
    const change = switchRecord.plan(null, params());
    expect(change.noop === false && change.after).toEqual({
      Name: 'apps.tis.nhs.uk.',
      Type: 'A',
      AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: 'd111111abcdef8.cloudfront.net', EvaluateTargetHealth: false },
    });
    const values = switchRecord.plan(null, params({ alias: undefined, values: ['old.example.net'], ttl: 60 }));
    expect(values.noop === false && values.after).toEqual({
      Name: 'apps.tis.nhs.uk.',
      Type: 'CNAME',
      TTL: 60,
      ResourceRecords: [{ Value: 'old.example.net' }],
    });
  });

  it('refuses nonsense: both alias and values, a TTL on an alias, a ttl above maxTtl, two zones', () => {
    expect(
      switchRecord.params.safeParse({ zone: 'tis.nhs.uk', name: 'a.tis.nhs.uk', alias: { cloudfront: 'd1.cloudfront.net' }, values: ['x'] })
        .success,
    ).toBe(false);
    expect(
      switchRecord.params.safeParse({ zone: 'tis.nhs.uk', name: 'a.tis.nhs.uk', alias: { cloudfront: 'd1.cloudfront.net' }, ttl: 60 })
        .success,
    ).toBe(false);
    expect(switchRecord.params.safeParse({ zone: 'tis.nhs.uk', name: 'a.tis.nhs.uk', values: ['x'], ttl: 300, maxTtl: 60 }).success).toBe(
      false,
    );
    expect(switchRecord.params.safeParse({ zone: 'tis.nhs.uk', zoneId: 'Z1', name: 'a.tis.nhs.uk', values: ['x'] }).success).toBe(false);
    expect(switchRecord.params.safeParse({ zone: 'tis.nhs.uk', name: 'a.tis.nhs.uk', values: ['x', 'y'] }).success).toBe(false);
  });
});

describe('route53.switchRecord plan', () => {
  it('is a noop when the record already points there, whatever the case, trailing dot or alias TTL', () => {
    const live: ResourceRecordSet = {
      ...CF_ALIAS,
      Name: 'APPS.tis.nhs.uk',
      TTL: 0,
      AliasTarget: { ...CF_ALIAS.AliasTarget!, DNSName: 'D111111ABCDEF8.cloudfront.net' },
    };
    const change = switchRecord.plan(live, params());
    expect(change.noop).toBe(true);
  });

  it('says it will refuse when the live TTL is above maxTtl', () => {
    const change = switchRecord.plan(OLD_CNAME, params());
    expect(change.noop).toBe(false);
    expect(change.noop === false && change.summary).toMatch(/REFUSES: live TTL 300s is above maxTtl 60s/);
  });

  it('says it will lower the TTL and wait the old one out with lowerTtlFirst', () => {
    const change = switchRecord.plan(OLD_CNAME, params({ lowerTtlFirst: true }));
    expect(change.noop === false && change.summary).toMatch(/first lowers the TTL 300s -> 60s and waits 5m/);
  });

  it('keeps routing fields of a weighted record set and switches only the target', () => {
    const weighted: ResourceRecordSet = {
      Name: 'apps.tis.nhs.uk.',
      Type: 'A',
      SetIdentifier: 'blue',
      Weight: 10,
      TTL: 60,
      ResourceRecords: [{ Value: '10.0.0.1' }],
    };
    const change = switchRecord.plan(weighted, params({ setIdentifier: 'blue' }));
    expect(change.noop === false && change.after).toMatchObject({
      SetIdentifier: 'blue',
      Weight: 10,
      AliasTarget: { DNSName: 'd111111abcdef8.cloudfront.net' },
    });
  });
});

describe('route53.switchRecord read', () => {
  it('takes the record of the wanted type, else the CNAME it must replace', () => {
    const other: ResourceRecordSet = { Name: 'apps.tis.nhs.uk.', Type: 'TXT', TTL: 300, ResourceRecords: [{ Value: '"x"' }] };
    expect(pickRecord([OLD_CNAME], params())).toEqual(OLD_CNAME);
    expect(pickRecord([CF_ALIAS, other], params())).toEqual(CF_ALIAS);
    expect(pickRecord([], params())).toBeNull();
  });

  it('asks for setIdentifier when the name has routed record sets', () => {
    const weighted: ResourceRecordSet = {
      Name: 'apps.tis.nhs.uk.',
      Type: 'A',
      SetIdentifier: 'blue',
      Weight: 10,
      TTL: 60,
      ResourceRecords: [{ Value: '10.0.0.1' }],
    };
    expect(() => pickRecord([weighted], params())).toThrow(/name the one to switch with setIdentifier/);
  });

  it('finds the zone by name and lists from the record name', async () => {
    zoneWith([OLD_CNAME, { Name: 'b.apps.tis.nhs.uk.', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '1.2.3.4' }] }]);
    const state = await switchRecord.read(mockedContext(), params());
    expect(state).toEqual(OLD_CNAME);
    expect(r53).toHaveReceivedCommandWith(ListResourceRecordSetsCommand, { HostedZoneId: 'ZTIS', StartRecordName: 'apps.tis.nhs.uk.' });
  });

  it('refuses a record outside the zone', async () => {
    zoneWith([]);
    await expect(switchRecord.read(mockedContext(), params({ name: 'apps.example.org' }))).rejects.toThrow(
      /not in the hosted zone tis.nhs.uk./,
    );
  });
});

describe('route53.switchRecord apply', () => {
  it('refuses a TTL above maxTtl without lowerTtlFirst, and changes nothing', async () => {
    zoneWith([OLD_CNAME]);
    const p = params();
    const change = switchRecord.plan(OLD_CNAME, p);
    if (change.noop) throw new Error('expected a change');
    const error = await switchRecord.apply(mockedContext(), change, p).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunbookError);
    expect((error as RunbookError).message).toMatch(/TTL of 300s, above maxTtl 60s/);
    expect((error as RunbookError).hint).toMatch(/lowerTtlFirst: true/);
    expect(r53).not.toHaveReceivedCommand(ChangeResourceRecordSetsCommand);
  });

  it('with lowerTtlFirst: lowers the TTL, waits INSYNC, waits out the old TTL, then replaces the CNAME by the alias in one batch', async () => {
    zoneWith([OLD_CNAME]);
    const p = params({ lowerTtlFirst: true });
    const ctx = mockedContext();
    const change = switchRecord.plan(OLD_CNAME, p);
    if (change.noop) throw new Error('expected a change');
    await switchRecord.apply(ctx, change, p);

    const batches = changeBatches();
    expect(batches).toHaveLength(2);
    expect(batches[0]).toEqual([{ Action: 'UPSERT', ResourceRecordSet: { ...OLD_CNAME, TTL: 60 } }]);
    expect(batches[1]).toEqual([
      { Action: 'DELETE', ResourceRecordSet: { ...OLD_CNAME, TTL: 60 } },
      { Action: 'CREATE', ResourceRecordSet: change.after },
    ]);
    expect(ctx.clock.sleeps).toEqual([{ ms: 300_000, label: 'old TTL (5m) of apps.tis.nhs.uk. to expire' }]);
    expect(r53).toHaveReceivedCommandTimes(GetChangeCommand, 2);
    // The wait for the old TTL comes after the lowered TTL is INSYNC and before the switch.
    const order = r53.calls().map((c) => c.args[0].constructor.name);
    expect(order.indexOf('GetChangeCommand')).toBeLessThan(order.lastIndexOf('ChangeResourceRecordSetsCommand'));
    expect(ctx.messages.some((m) => m.includes('to be INSYNC'))).toBe(true);
  });

  it('upserts when the record keeps its type, and does not wait when the TTL is low enough', async () => {
    const low = { ...OLD_CNAME, TTL: 60 };
    zoneWith([low]);
    const p = params({ alias: undefined, values: ['new-admins.example.net'] });
    const ctx = mockedContext();
    const change = switchRecord.plan(low, p);
    if (change.noop) throw new Error('expected a change');
    await switchRecord.apply(ctx, change, p);
    expect(changeBatches()).toEqual([
      [
        {
          Action: 'UPSERT',
          ResourceRecordSet: { Name: 'apps.tis.nhs.uk.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'new-admins.example.net' }] },
        },
      ],
    ]);
    expect(ctx.clock.sleeps).toEqual([]);
  });

  it('polls GetChange with the SDK waiter until INSYNC, with delays scaled down to a second', async () => {
    zoneWith([]);
    r53
      .on(GetChangeCommand)
      .resolvesOnce({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } })
      .resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
    const p = params();
    const change = switchRecord.plan(null, p);
    if (change.noop) throw new Error('expected a change');
    await switchRecord.apply(mockedContext({ scale: 600 }), change, p);
    expect(r53).toHaveReceivedCommandTimes(GetChangeCommand, 2);
    expect(r53).toHaveReceivedCommandWith(GetChangeCommand, { Id: '/change/C1' });
  });

  it('stops with STEP_TIMEOUT when the change never gets INSYNC', async () => {
    zoneWith([]);
    r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'PENDING', SubmittedAt: new Date() } });
    // 20 s of plan time at scale 10: the waiter polls every second and gives up after two.
    const p = params({ insyncTimeout: '20s' });
    const change = switchRecord.plan(null, p);
    if (change.noop) throw new Error('expected a change');
    const ctx = mockedContext({ scale: 10 });
    await expect(switchRecord.apply(ctx, change, p)).rejects.toMatchObject({
      code: 'STEP_TIMEOUT',
      message: expect.stringMatching(/INSYNC: not done after 20s/),
    });
  });
});

describe('route53.switchRecord verify', () => {
  it('accepts the alias target name or addresses for an alias, and the values for a plain record', () => {
    expect(answerMatches(CF_ALIAS, { responseCode: 'NOERROR', data: ['d111111abcdef8.cloudfront.net'] })).toBe(true);
    expect(answerMatches(CF_ALIAS, { responseCode: 'NOERROR', data: ['D111111ABCDEF8.cloudfront.net.'] })).toBe(true);
    expect(answerMatches(CF_ALIAS, { responseCode: 'NOERROR', data: ['13.224.0.1', '2600:9000:2000::1'] })).toBe(true);
    expect(answerMatches(CF_ALIAS, { responseCode: 'NOERROR', data: ['deadbeef'] })).toBe(false);
    expect(answerMatches(CF_ALIAS, { responseCode: 'NOERROR', data: ['old-admins.eu-west-2.elb.amazonaws.com'] })).toBe(false);
    expect(answerMatches(CF_ALIAS, { responseCode: 'NXDOMAIN', data: [] })).toBe(false);
    expect(answerMatches(OLD_CNAME, { responseCode: 'NOERROR', data: ['old-admins.eu-west-2.elb.amazonaws.com.'] })).toBe(true);
    expect(answerMatches(OLD_CNAME, { responseCode: 'NOERROR', data: ['other.example.net'] })).toBe(false);
  });

  it('asks TestDNSAnswer and fails with what Route 53 answered', async () => {
    zoneWith([CF_ALIAS]);
    r53.on(TestDNSAnswerCommand).resolves({
      ResponseCode: 'NOERROR',
      RecordData: ['old-admins.eu-west-2.elb.amazonaws.com'],
      Nameserver: 'ns',
      RecordName: 'apps.tis.nhs.uk',
      RecordType: 'A',
      Protocol: 'UDP',
    });
    await expect(switchRecord.verify!(mockedContext(), params(), CF_ALIAS)).rejects.toThrow(
      /answers apps.tis.nhs.uk. A with NOERROR old-admins/,
    );
    expect(r53).toHaveReceivedCommandWith(TestDNSAnswerCommand, { HostedZoneId: 'ZTIS', RecordName: 'apps.tis.nhs.uk.', RecordType: 'A' });
    r53.on(TestDNSAnswerCommand).resolves({
      ResponseCode: 'NOERROR',
      RecordData: ['d111111abcdef8.cloudfront.net'],
      Nameserver: 'ns',
      RecordName: 'apps.tis.nhs.uk',
      RecordType: 'A',
      Protocol: 'UDP',
    });
    await expect(switchRecord.verify!(mockedContext(), params(), CF_ALIAS)).resolves.toBeUndefined();
  });
});

describe('route53.switchRecord undo', () => {
  function checkpoint(
    before: ResourceRecordSet | null,
    after: ResourceRecordSet | null,
    p = params(),
  ): Checkpoint<ResourceRecordSet | null, ReturnType<typeof params>> {
    return {
      ref: 'mid.3',
      type: 'route53.switchRecord',
      title: 'Switch DNS',
      status: 'applied',
      params: p,
      before,
      after,
      digest: 'd',
      at: '2026-01-01T00:00:00Z',
    };
  }
  const answer = (data: string[]) => ({
    ResponseCode: 'NOERROR',
    RecordData: data,
    Nameserver: 'ns',
    RecordName: 'apps.tis.nhs.uk',
    RecordType: 'A' as const,
    Protocol: 'UDP',
  });

  it('deletes the alias and recreates the old CNAME in one batch when the type changed', async () => {
    zoneWith([{ ...CF_ALIAS, TTL: 0 }]);
    r53.on(TestDNSAnswerCommand).resolves(answer(['old-admins.eu-west-2.elb.amazonaws.com']));
    await switchRecord.undo!(mockedContext(), checkpoint(OLD_CNAME, CF_ALIAS));
    // The alias goes out without the TTL of 0 some emulators report: AWS refuses a TTL on an alias.
    expect(changeBatches()).toEqual([
      [
        { Action: 'DELETE', ResourceRecordSet: CF_ALIAS },
        { Action: 'CREATE', ResourceRecordSet: OLD_CNAME },
      ],
    ]);
    expect(r53).toHaveReceivedCommand(GetChangeCommand);
  });

  it('upserts the exact previous record set when the type is the same', async () => {
    const before: ResourceRecordSet = {
      Name: 'apps.tis.nhs.uk.',
      Type: 'A',
      SetIdentifier: 'blue',
      Weight: 10,
      TTL: 120,
      ResourceRecords: [{ Value: '10.0.0.1' }],
    };
    const after: ResourceRecordSet = {
      Name: 'apps.tis.nhs.uk.',
      Type: 'A',
      SetIdentifier: 'blue',
      Weight: 10,
      AliasTarget: CF_ALIAS.AliasTarget!,
    };
    zoneWith([after]);
    r53.on(TestDNSAnswerCommand).resolves(answer(['10.0.0.1']));
    await switchRecord.undo!(mockedContext(), checkpoint(before, after, params({ setIdentifier: 'blue', maxTtl: 300 })));
    expect(changeBatches()).toEqual([[{ Action: 'UPSERT', ResourceRecordSet: before }]]);
  });

  it('deletes the record when there was none before', async () => {
    zoneWith([CF_ALIAS]);
    await switchRecord.undo!(mockedContext(), checkpoint(null, CF_ALIAS));
    expect(changeBatches()).toEqual([[{ Action: 'DELETE', ResourceRecordSet: CF_ALIAS }]]);
    expect(r53).not.toHaveReceivedCommand(TestDNSAnswerCommand);
  });
});

describe('route53.switchRecord same', () => {
  it('compares what the record means, not how it is spelt', () => {
    expect(sameRecord(CF_ALIAS, { ...CF_ALIAS, TTL: 0, Name: 'apps.tis.nhs.uk' })).toBe(true);
    expect(sameRecord(OLD_CNAME, { ...OLD_CNAME, TTL: 60 })).toBe(false);
    expect(sameRecord(null, null)).toBe(true);
    expect(sameRecord(OLD_CNAME, null)).toBe(false);
  });
});
