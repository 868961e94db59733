import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  GetHostedZoneCommand,
  ListHostedZonesByNameCommand,
  ListResourceRecordSetsCommand,
  Route53Client,
  TestDNSAnswerCommand,
  type ResourceRecordSet,
} from '@aws-sdk/client-route-53';
import {
  hasRouting,
  pickRecord,
  routedSiblings,
  siblingTtlChanges,
  switchRecord,
  withRoutingFromCheckpoint,
} from '../../src/steps/route53.switchRecord.js';
import type { Checkpoint } from '../../src/steps/types.js';
import { mockedContext } from './helpers/context.js';

/** Route 53's rules for routed names, as the step must follow them on AWS (issue 12). */
const r53 = mockClient(Route53Client);
beforeEach(() => r53.reset());

const set = (id: string, value: string, TTL = 3600, Weight = 50): ResourceRecordSet => ({
  Name: 'api.tis.nhs.uk.',
  Type: 'CNAME',
  SetIdentifier: id,
  Weight,
  TTL,
  ResourceRecords: [{ Value: value }],
});
const BLUE = set('blue', 'blue.example.net');
const GREEN = set('green', 'green.example.net');
const params = (extra: Record<string, unknown> = {}) =>
  switchRecord.params.parse({ zone: 'tis.nhs.uk', name: 'api.tis.nhs.uk', setIdentifier: 'blue', values: ['new.example.net'], ...extra });

function zoneWith(records: ResourceRecordSet[], privateZone = false): void {
  r53.on(ListHostedZonesByNameCommand).resolves({
    HostedZones: [{ Id: '/hostedzone/ZTIS', Name: 'tis.nhs.uk.', CallerReference: 'x', Config: { PrivateZone: privateZone } }],
  });
  r53
    .on(GetHostedZoneCommand)
    .resolves({ HostedZone: { Id: '/hostedzone/ZTIS', Name: 'tis.nhs.uk.', CallerReference: 'x', Config: { PrivateZone: privateZone } } });
  r53.on(ListResourceRecordSetsCommand).resolves({ ResourceRecordSets: records, IsTruncated: false, MaxItems: 100 });
  r53.on(ChangeResourceRecordSetsCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
  r53.on(GetChangeCommand).resolves({ ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date() } });
}
const batches = () => r53.commandCalls(ChangeResourceRecordSetsCommand).map((c) => c.args[0].input.ChangeBatch?.Changes ?? []);

describe('routed record sets share one TTL', () => {
  it('finds the siblings of the same name and type, and the UPSERTs that give them a TTL', () => {
    const alias: ResourceRecordSet = {
      Name: 'api.tis.nhs.uk.',
      Type: 'CNAME',
      SetIdentifier: 'cdn',
      Weight: 1,
      AliasTarget: { HostedZoneId: 'Z', DNSName: 'x', EvaluateTargetHealth: false },
    };
    expect(routedSiblings([BLUE, GREEN, alias], BLUE)).toEqual([GREEN]);
    expect(routedSiblings([BLUE, GREEN], { ...BLUE, SetIdentifier: undefined })).toEqual([]);
    expect(siblingTtlChanges([GREEN], 60)).toEqual([{ Action: 'UPSERT', ResourceRecordSet: { ...GREEN, TTL: 60 } }]);
    expect(siblingTtlChanges([GREEN], 3600)).toEqual([]);
  });

  it('with lowerTtlFirst lowers every set of the name and type in one batch, then switches keeping them at that TTL', async () => {
    zoneWith([BLUE, GREEN]);
    r53.on(TestDNSAnswerCommand).resolves({
      ResponseCode: 'NOERROR',
      RecordData: ['new.example.net'],
      Nameserver: 'ns',
      RecordName: 'api.tis.nhs.uk',
      RecordType: 'CNAME',
      Protocol: 'UDP',
    });
    const p = params({ maxTtl: 60, lowerTtlFirst: true });
    const change = switchRecord.plan(BLUE, p);
    if (change.noop) throw new Error('expected a change');
    expect(change.summary).toContain('other routed sets of api.tis.nhs.uk. CNAME get the same TTL');
    await switchRecord.apply(mockedContext(), change, p);
    const [lowering, switching] = batches();
    expect(lowering).toEqual([
      { Action: 'UPSERT', ResourceRecordSet: { ...BLUE, TTL: 60 } },
      { Action: 'UPSERT', ResourceRecordSet: { ...GREEN, TTL: 60 } },
    ]);
    // The mock still lists the sets at 3600, so the switch batch gives green the new TTL again.
    expect(switching?.[0]).toEqual({
      Action: 'UPSERT',
      ResourceRecordSet: { ...BLUE, TTL: 60, ResourceRecords: [{ Value: 'new.example.net' }] },
    });
  });

  it('undo restores the siblings to the TTL they shared with the set before', async () => {
    zoneWith([set('blue', 'new.example.net', 60), set('green', 'green.example.net', 60)]);
    r53.on(TestDNSAnswerCommand).resolves({
      ResponseCode: 'NOERROR',
      RecordData: ['blue.example.net'],
      Nameserver: 'ns',
      RecordName: 'api.tis.nhs.uk',
      RecordType: 'CNAME',
      Protocol: 'UDP',
    });
    const checkpoint: Checkpoint<ResourceRecordSet | null, ReturnType<typeof params>> = {
      ref: 'x',
      type: 'route53.switchRecord',
      title: 't',
      status: 'applied',
      params: params({ maxTtl: 60, lowerTtlFirst: true }),
      before: BLUE,
      after: null,
      digest: 'd',
      at: 'now',
    };
    await switchRecord.undo!(mockedContext(), checkpoint);
    expect(batches()).toEqual([
      [
        { Action: 'UPSERT', ResourceRecordSet: BLUE },
        { Action: 'UPSERT', ResourceRecordSet: GREEN },
      ],
    ]);
  });
});

describe('routed record sets at plan time', () => {
  it('refuses switching one weighted CNAME set to an alias while the others stay CNAME, saying what to do', () => {
    const p = switchRecord.params.parse({
      zone: 'tis.nhs.uk',
      name: 'api.tis.nhs.uk',
      setIdentifier: 'blue',
      alias: { cloudfront: 'd1.cloudfront.net' },
    });
    expect(() => pickRecord([BLUE, GREEN], p)).toThrow(
      expect.objectContaining({ code: 'RUNBOOK_INVALID', hint: expect.stringContaining('type: CNAME with values') }),
    );
    expect(pickRecord([BLUE], p)).toEqual(BLUE);
  });

  it('says a missing routed set is refused unless a checkpoint has its routing, and takes it from there', () => {
    const change = switchRecord.plan(null, params());
    expect(!change.noop && change.summary).toContain('REFUSES unless a checkpoint of this step recorded [blue]');
    const bare: ResourceRecordSet = {
      Name: 'api.tis.nhs.uk.',
      Type: 'CNAME',
      SetIdentifier: 'blue',
      TTL: 60,
      ResourceRecords: [{ Value: 'new.example.net' }],
    };
    expect(hasRouting(bare)).toBe(false);
    expect(withRoutingFromCheckpoint({ previous: { before: BLUE } as Checkpoint }, bare)).toEqual({ ...bare, Weight: 50 });
    expect(() => withRoutingFromCheckpoint({}, bare)).toThrow(
      expect.objectContaining({ code: 'STEP_FAILED', message: expect.stringContaining('routing') }),
    );
  });

  it('refuses a CNAME at the zone apex when reading', async () => {
    zoneWith([]);
    const p = switchRecord.params.parse({ zone: 'tis.nhs.uk', name: 'tis.nhs.uk', values: ['elsewhere.example.net'] });
    await expect(switchRecord.read(mockedContext(), p)).rejects.toMatchObject({
      code: 'RUNBOOK_INVALID',
      message: expect.stringContaining('apex'),
    });
  });

  it('in a private zone, says it verifies by reading back and never asks TestDNSAnswer', async () => {
    const p = switchRecord.params.parse({
      zone: 'tis.nhs.uk',
      privateZone: true,
      name: 'www.tis.nhs.uk',
      values: ['new.example.net'],
      ttl: 60,
    });
    const change = switchRecord.plan(null, p);
    expect(!change.noop && change.summary).toContain('verifies by reading the record back');
    const record: ResourceRecordSet = { Name: 'www.tis.nhs.uk.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'new.example.net' }] };
    zoneWith([record], true);
    const ctx = mockedContext();
    await switchRecord.verify!(ctx, p, record);
    expect(ctx.messages.some((m) => m.startsWith('read back www.tis.nhs.uk.'))).toBe(true);
    expect(r53.commandCalls(TestDNSAnswerCommand)).toHaveLength(0);
  });
});
