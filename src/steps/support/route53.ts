import type { Change, RRType, ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53';
import { RunbookError } from '../../errors.js';
import { fqdn, listRecordSetsAt } from '../../aws/route53.js';
import { formatDuration } from '../../util/duration.js';
import type { StepContext } from '../types.js';
import { errorName } from './assert.js';
import { shared } from './lookups.js';
import { waitWithProgress, waiterTiming } from './waiter.js';

/** The hosted zone id every CloudFront alias target uses. */
export const CLOUDFRONT_ZONE_ID = 'Z2FDTNDATAQYW2';

export { dnsKey, fqdn } from '../../aws/route53.js';

export async function route53Client(ctx: StepContext): Promise<Route53Client> {
  const { Route53Client } = await import('../../aws/sdk/route53.js');
  return ctx.aws.client(Route53Client);
}

export interface ZoneRef {
  zone?: string | undefined;
  zoneId?: string | undefined;
  privateZone: boolean;
}

export interface Zone {
  id: string;
  name: string;
  /** A private zone: Route 53's TestDNSAnswer does not answer for it. */
  privateZone?: boolean;
}

const bareZoneId = (id: string): string => id.replace(/^\/hostedzone\//, '');

/** The hosted zone a step names: GetHostedZone by id, or the one public (or private) zone of that name. */
export async function findZone(ctx: StepContext, ref: ZoneRef): Promise<Zone> {
  const { GetHostedZoneCommand, ListHostedZonesByNameCommand } = await import('../../aws/sdk/route53.js');
  const zoneId = ref.zoneId;
  if (zoneId) {
    const zone = await shared(ctx, 'route53', 'GetHostedZone', { Id: zoneId }, async () => {
      const client = await route53Client(ctx);
      try {
        return (await client.send(new GetHostedZoneCommand({ Id: zoneId }))).HostedZone;
      } catch (error) {
        if (errorName(error) === 'NoSuchHostedZone') {
          throw new RunbookError('ASSERTION_FAILED', `hosted zone ${zoneId} does not exist`, {
            cause: error,
            hint: 'Check zoneId and the environment (--env), or name the zone by zone.',
          });
        }
        throw error;
      }
    });
    return {
      id: bareZoneId(zone?.Id ?? zoneId),
      name: fqdn(zone?.Name ?? ''),
      privateZone: zone?.Config?.PrivateZone ?? ref.privateZone,
    };
  }
  const name = fqdn(ref.zone ?? '');
  const input = { DNSName: name, MaxItems: 100 };
  const listed = await shared(ctx, 'route53', 'ListHostedZonesByName', input, async () => {
    const client = await route53Client(ctx);
    return (await client.send(new ListHostedZonesByNameCommand(input))).HostedZones ?? [];
  });
  const zones = listed.filter((z) => fqdn(z.Name ?? '') === name && (z.Config?.PrivateZone ?? false) === ref.privateZone);
  const kind = ref.privateZone ? 'private' : 'public';
  if (zones.length === 0) {
    throw new RunbookError('ASSERTION_FAILED', `no ${kind} hosted zone named ${name}`, {
      hint: `Check the zone name and the environment (--env)${ref.privateZone ? '' : ', or set privateZone: true'}.`,
    });
  }
  if (zones.length > 1) {
    throw new RunbookError(
      'STEP_FAILED',
      `${zones.length} ${kind} hosted zones are named ${name}: ${zones.map((z) => bareZoneId(z.Id ?? '')).join(', ')}`,
      { hint: 'Name the zone by zoneId.' },
    );
  }
  return { id: bareZoneId(zones[0]?.Id ?? ''), name, privateZone: ref.privateZone };
}

/** Every record set at exactly this name, whatever its type. */
export async function recordsAt(ctx: StepContext, zoneId: string, name: string): Promise<ResourceRecordSet[]> {
  return shared(ctx, 'route53', 'ListResourceRecordSets', { HostedZoneId: zoneId, StartRecordName: fqdn(name) }, async () =>
    listRecordSetsAt(await route53Client(ctx), zoneId, name),
  );
}

/**
 * A record set as a change may carry it. An alias has no TTL of its own (some emulators answer one
 * of 0, which AWS would refuse in a change), and nothing undefined is sent.
 */
export function toChangeRecord(record: ResourceRecordSet): ResourceRecordSet {
  const out = JSON.parse(JSON.stringify(record)) as ResourceRecordSet;
  if (out.AliasTarget) delete out.TTL;
  return out;
}

export interface ChangeOptions {
  comment: string;
  insyncTimeoutMs: number;
}

/** Submits one change batch and waits (SDK waiter, scaled) until Route 53 has it INSYNC. */
export async function changeRecords(ctx: StepContext, zoneId: string, changes: Change[], options: ChangeOptions): Promise<string> {
  const { ChangeResourceRecordSetsCommand, waitUntilResourceRecordSetsChanged } = await import('../../aws/sdk/route53.js');
  const client = await route53Client(ctx);
  const out = await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: {
        Comment: options.comment.slice(0, 256),
        Changes: changes.map((c) => ({ Action: c.Action, ResourceRecordSet: toChangeRecord(c.ResourceRecordSet as ResourceRecordSet) })),
      },
    }),
  );
  const id = out.ChangeInfo?.Id ?? '';
  ctx.progress(`Route 53 change ${id.replace(/^\/change\//, '')} submitted (${options.comment})`);
  const timing = waiterTiming(ctx, options.insyncTimeoutMs, 10, 30);
  await waitWithProgress(
    ctx,
    `Route 53 change ${id.replace(/^\/change\//, '')} to be INSYNC`,
    options.insyncTimeoutMs,
    () => waitUntilResourceRecordSetsChanged({ client, ...timing }, { Id: id }),
    `Route 53 accepted the change but has not propagated it to all its name servers in ${formatDuration(options.insyncTimeoutMs)} (it usually takes under a minute). Look at the AWS Health Dashboard, then run again or raise insyncTimeout.`,
  );
  return id;
}

export interface DnsAnswer {
  responseCode: string;
  data: string[];
}

/** What Route 53's own name servers answer for the name and type (TestDNSAnswer, read-only). */
export async function testAnswer(ctx: StepContext, zoneId: string, name: string, type: RRType): Promise<DnsAnswer> {
  const { TestDNSAnswerCommand } = await import('../../aws/sdk/route53.js');
  const client = await route53Client(ctx);
  const out = await client.send(new TestDNSAnswerCommand({ HostedZoneId: zoneId, RecordName: name, RecordType: type }));
  return { responseCode: out.ResponseCode ?? '', data: out.RecordData ?? [] };
}
