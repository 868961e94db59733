import { isIP } from 'node:net';
import type { z } from 'zod';
import type { Change, RRType, ResourceRecordSet } from '@aws-sdk/client-route-53';
import { durationField } from '../runbook/constants.js';
import { RunbookError } from '../errors.js';
import { canonicalJson } from '../util/json.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import type { StepContext, StepType } from './types.js';
import { recordedBefore } from './support/checkpoint.js';
import { exactlyOne, rule } from './support/params.js';
import { lazySchema } from './support/zod.js';
import { CLOUDFRONT_ZONE_ID, changeRecords, dnsKey, findZone, fqdn, recordsAt, testAnswer, type DnsAnswer } from './support/route53.js';

const RECORD_TYPES = ['A', 'AAAA', 'CNAME', 'TXT', 'MX', 'SRV', 'CAA'] as const;

/**
 * What the fields say together. The compiled validator (src/runbook/compile-validator.ts) copies
 * this rule's source, so it names nothing from around it (recordType is spelt out).
 */
function consistentRecord(
  v: { alias?: unknown; type?: string | undefined; ttl?: number | undefined; maxTtl?: number | undefined; values?: string[] | undefined },
  ctx: z.RefinementCtx,
): void {
  if (v.alias && v.type && v.type !== 'A' && v.type !== 'AAAA')
    ctx.addIssue({ code: 'custom', message: 'an alias record is of type A or AAAA', path: ['type'] });
  if (v.alias && v.ttl !== undefined)
    ctx.addIssue({ code: 'custom', message: "an alias record has no TTL of its own (it takes the target's)", path: ['ttl'] });
  if ((v.type ?? (v.alias ? 'A' : 'CNAME')) === 'CNAME' && v.values && v.values.length !== 1)
    ctx.addIssue({ code: 'custom', message: 'a CNAME record has exactly one value', path: ['values'] });
  if (v.ttl !== undefined && v.maxTtl !== undefined && v.ttl > v.maxTtl)
    ctx.addIssue({ code: 'custom', message: `ttl ${v.ttl} is above maxTtl ${v.maxTtl}`, path: ['ttl'] });
}

const params = lazySchema((z) => {
  const host = z
    .string()
    .regex(/^(\*\.)?[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9])?\.?$/, { message: 'expected a DNS name such as "apps.tis.nhs.uk"' });
  const seconds = z.coerce.number().int().min(0).max(2_147_483_647);

  const alias = z
    .union([
      z.strictObject({ cloudfront: host.describe('The distribution\'s domain name, such as "d111111abcdef8.cloudfront.net".') }),
      z.strictObject({
        dnsName: host.describe("The alias target's DNS name."),
        hostedZoneId: z.string().min(1).describe("The alias target's hosted zone id (for a load balancer, its canonical hosted zone id)."),
        evaluateTargetHealth: z.boolean().default(false),
      }),
    ])
    .describe('An alias target: { cloudfront: "dxxxx.cloudfront.net" } for a CloudFront distribution, or { dnsName, hostedZoneId }.');

  return z
    .strictObject({
      zone: host.optional().describe('The hosted zone by name, such as "tis.nhs.uk". Give this or zoneId.'),
      zoneId: z.string().min(1).optional().describe('The hosted zone id, such as "Z0123456789ABCDEFGHIJ". Give this or zone.'),
      privateZone: z.boolean().default(false).describe('Look the zone up among private hosted zones instead of public ones.'),
      name: host.describe('The record name, fully qualified: "apps.tis.nhs.uk".'),
      type: z.enum(RECORD_TYPES).optional().describe('The record type; A for an alias, CNAME for values, unless given.'),
      setIdentifier: z
        .string()
        .min(1)
        .optional()
        .describe('For a weighted, latency, failover or geolocation record: which record set of the name to switch.'),
      alias: alias.optional(),
      values: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe('The record\'s values (instead of alias), such as ["old-admins.example.net"].'),
      ttl: seconds.optional().describe('TTL in seconds for a record with values; maxTtl if that is given, else 300.'),
      maxTtl: seconds
        .optional()
        .describe(
          'The highest TTL the live record may have before the switch, in seconds: a longer TTL keeps clients on the old target that long after the switch. Above it the step refuses, unless lowerTtlFirst.',
        ),
      lowerTtlFirst: z
        .boolean()
        .default(false)
        .describe(
          'When the live TTL is above maxTtl: first set it to maxTtl, wait for INSYNC and for the old TTL to run out, then switch.',
        ),
      insyncTimeout: durationField(z).default('15m').describe('How long to wait for each Route 53 change to be INSYNC.'),
    })
    .superRefine(...rule(exactlyOne('zone', 'zoneId')))
    .superRefine(...rule(exactlyOne('alias', 'values')))
    .superRefine(...rule(consistentRecord));
});
export type SwitchRecordParams = z.output<ReturnType<typeof params>>;

/** The record set at the name as ListResourceRecordSets returns it; null when there is none. */
export type RecordState = ResourceRecordSet | null;

/** Routing fields a switch keeps from the record set it replaces: only the target (and TTL) change. */
const ROUTING_FIELDS = [
  'SetIdentifier',
  'Weight',
  'Region',
  'GeoLocation',
  'GeoProximityLocation',
  'Failover',
  'MultiValueAnswer',
  'CidrRoutingConfig',
  'HealthCheckId',
] as const;

function recordType(p: { type?: RRType | undefined; alias?: unknown }): RRType {
  return p.type ?? (p.alias ? 'A' : 'CNAME');
}

export function desiredRecord(current: RecordState, p: SwitchRecordParams): ResourceRecordSet {
  const record: ResourceRecordSet = { Name: fqdn(p.name), Type: recordType(p) };
  if (p.setIdentifier) record.SetIdentifier = p.setIdentifier;
  if (current) for (const field of ROUTING_FIELDS) if (current[field] !== undefined) Object.assign(record, { [field]: current[field] });
  if (p.alias) {
    record.AliasTarget =
      'cloudfront' in p.alias
        ? { HostedZoneId: CLOUDFRONT_ZONE_ID, DNSName: p.alias.cloudfront, EvaluateTargetHealth: false }
        : { HostedZoneId: p.alias.hostedZoneId, DNSName: p.alias.dnsName, EvaluateTargetHealth: p.alias.evaluateTargetHealth };
  } else {
    record.TTL = p.ttl ?? p.maxTtl ?? 300;
    record.ResourceRecords = (p.values ?? []).map((Value) => ({ Value }));
  }
  return record;
}

/** Whether a routed record set carries its routing field (Weight, Region ...): AWS refuses one without. */
export function hasRouting(r: ResourceRecordSet): boolean {
  return r.SetIdentifier === undefined || ROUTING_FIELDS.some((f) => f !== 'SetIdentifier' && f !== 'HealthCheckId' && r[f] !== undefined);
}

/**
 * The other routed record sets of the record's name and type that have values: Route 53 requires
 * them all to share one TTL, so a TTL change of one is a TTL change of all, in one batch.
 */
export function routedSiblings(atName: ResourceRecordSet[], record: ResourceRecordSet): ResourceRecordSet[] {
  if (record.SetIdentifier === undefined) return [];
  return atName.filter(
    (r) => r.SetIdentifier !== undefined && r.SetIdentifier !== record.SetIdentifier && r.Type === record.Type && !r.AliasTarget,
  );
}

/** UPSERTs that give the siblings this TTL (those that have another). */
export function siblingTtlChanges(siblings: ResourceRecordSet[], ttl: number | undefined): Change[] {
  if (ttl === undefined) return [];
  return siblings.filter((r) => r.TTL !== ttl).map((r) => ({ Action: 'UPSERT', ResourceRecordSet: { ...r, TTL: ttl } }));
}

/** What a record set means, as text: names and values compared without case or trailing dots. */
function canonicalRecord(r: ResourceRecordSet | null): string {
  if (!r) return 'null';
  const a = r.AliasTarget;
  const routing = Object.fromEntries(ROUTING_FIELDS.map((f) => [f, r[f]]));
  return canonicalJson({
    ...routing,
    Name: fqdn(r.Name ?? ''),
    Type: r.Type,
    TTL: a ? undefined : r.TTL,
    Values: a ? undefined : (r.ResourceRecords ?? []).map((v) => (r.Type === 'CNAME' ? dnsKey(v.Value ?? '') : v.Value)).sort(),
    Alias: a
      ? { HostedZoneId: a.HostedZoneId, DNSName: dnsKey(a.DNSName ?? ''), EvaluateTargetHealth: a.EvaluateTargetHealth ?? false }
      : undefined,
  });
}

export function sameRecord(a: RecordState, b: RecordState): boolean {
  return canonicalRecord(a) === canonicalRecord(b);
}

export function describeRecord(r: RecordState): string {
  if (!r) return '(no record)';
  const target = r.AliasTarget
    ? `alias ${dnsKey(r.AliasTarget.DNSName ?? '')}`
    : `${(r.ResourceRecords ?? []).map((v) => v.Value).join(', ')} (TTL ${r.TTL ?? '?'}s)`;
  return `${r.Type} ${target}${r.SetIdentifier ? ` [${r.SetIdentifier}]` : ''}`;
}

/** The live TTL when it is above maxTtl (aliases have none of their own), else undefined. */
export function ttlAboveMax(current: RecordState, p: SwitchRecordParams): number | undefined {
  if (!current || current.AliasTarget || p.maxTtl === undefined || current.TTL === undefined) return undefined;
  return current.TTL > p.maxTtl ? current.TTL : undefined;
}

/**
 * A run stopped (kill, Ctrl-C, timeout) after lowering the TTL but before the old one had run out
 * leaves a record that no longer looks too long-lived, yet resolvers may still hold the old TTL.
 * Recognised by the checkpoint (its before-state had the high TTL) and a live record that is that
 * same record at maxTtl: the old TTL, in seconds, to wait out again.
 */
export function interruptedTtlWait(ctx: Pick<StepContext, 'previous'>, live: RecordState, p: SwitchRecordParams): number | undefined {
  const prev = ctx.previous;
  if (
    !p.lowerTtlFirst ||
    p.maxTtl === undefined ||
    !live ||
    !prev ||
    (prev.status !== 'applying' && prev.status !== 'failed' && prev.status !== 'interrupted')
  )
    return undefined;
  const before = prev.before as RecordState | undefined;
  const high = before ? ttlAboveMax(before, p) : undefined;
  if (!before || high === undefined || live.TTL !== p.maxTtl || !sameRecord(live, { ...before, TTL: p.maxTtl })) return undefined;
  return high;
}

function ttlRefusal(name: string, ttl: number, maxTtl: number): RunbookError {
  return new RunbookError(
    'STEP_FAILED',
    `${name} has a TTL of ${ttl}s, above maxTtl ${maxTtl}s: resolvers would keep the old target for up to ${formatDuration(ttl * 1000)} after the switch`,
    {
      hint: `Lower the record's TTL to ${maxTtl}s and wait ${formatDuration(ttl * 1000)} before this step, or set lowerTtlFirst: true to have the step do both.`,
    },
  );
}

/**
 * The record set the step acts on: the one of the wanted type, else the one it must replace (a
 * CNAME cannot sit beside other records of its name, so switching between them replaces it).
 */
export function pickRecord(atName: ResourceRecordSet[], p: SwitchRecordParams): RecordState {
  const type = recordType(p);
  const routed = atName.filter((r) => r.SetIdentifier !== undefined && r.Type !== 'NS' && r.Type !== 'SOA');
  const mine = atName.filter((r) => r.SetIdentifier === p.setIdentifier);
  if (!p.setIdentifier && mine.length === 0 && routed.length > 0) {
    throw new RunbookError(
      'RUNBOOK_INVALID',
      `${fqdn(p.name)} has routed record sets (${routed.map((r) => `${r.Type} ${r.SetIdentifier}`).join(', ')}): name the one to switch with setIdentifier`,
    );
  }
  const exact = mine.find((r) => r.Type === type);
  if (exact) return exact;
  if (p.setIdentifier) {
    const others = routed.filter((r) => r.SetIdentifier !== p.setIdentifier);
    const clash = others.find((r) => r.Type !== type && (type === 'CNAME' || r.Type === 'CNAME'));
    if (clash) {
      throw new RunbookError(
        'RUNBOOK_INVALID',
        `${fqdn(p.name)} [${p.setIdentifier}] cannot become ${type} while the routed set [${clash.SetIdentifier}] of the name stays ${clash.Type}: Route 53 refuses a CNAME beside any other type`,
        {
          hint:
            type === 'A' || type === 'AAAA'
              ? `Point the set at the target by value instead: type: CNAME with values: [the target's domain name] (for CloudFront, its dxxxx.cloudfront.net name), or switch every routed set of ${fqdn(p.name)} to an alias in one step per set after removing the CNAME sets.`
              : `Switch the other routed sets of ${fqdn(p.name)} to CNAME first, or keep this set of type ${clash.Type}.`,
        },
      );
    }
  }
  const conflicting = mine.filter((r) => (type === 'CNAME' ? r.Type !== 'NS' && r.Type !== 'SOA' : r.Type === 'CNAME'));
  if (conflicting.length > 1) {
    throw new RunbookError(
      'STEP_FAILED',
      `${fqdn(p.name)} has ${conflicting.map((r) => r.Type).join(' and ')} records; a CNAME cannot sit beside other records, and this step replaces only one record set`,
      {
        hint: 'Remove the extra record sets first (or switch them in separate steps of the same type).',
      },
    );
  }
  return conflicting[0] ?? null;
}

async function read(ctx: StepContext, p: SwitchRecordParams): Promise<RecordState> {
  const zone = await findZone(ctx, p);
  const name = fqdn(p.name);
  if (name !== zone.name && !name.endsWith(`.${zone.name}`)) {
    throw new RunbookError('RUNBOOK_INVALID', `${name} is not in the hosted zone ${zone.name}`, {
      hint: 'Give the record name fully qualified, inside the zone.',
    });
  }
  if (recordType(p) === 'CNAME' && name === zone.name) {
    throw new RunbookError('RUNBOOK_INVALID', `${name} is the apex of its zone, where DNS allows no CNAME (Route 53 refuses one)`, {
      hint: 'At the apex use an alias (alias: { cloudfront: ... } or { dnsName, hostedZoneId }) of type A, or values of type A/AAAA.',
    });
  }
  return pickRecord(await recordsAt(ctx, zone.id, name), p);
}

/** Whether Route 53's answer serves the record: its values, or for an alias its target (or the addresses it resolves to). */
export function answerMatches(record: ResourceRecordSet, answer: DnsAnswer): boolean {
  if (answer.responseCode !== 'NOERROR' || answer.data.length === 0) return false;
  const data = answer.data.map(dnsKey);
  if (record.AliasTarget) {
    const target = dnsKey(record.AliasTarget.DNSName ?? '');
    return data.includes(target) || data.every((d) => isIP(d) !== 0);
  }
  const values = (record.ResourceRecords ?? []).map((v) => dnsKey(v.Value ?? ''));
  // A routed record set answers with its own values or with another set's of the same name.
  if (record.SetIdentifier !== undefined) return data.length > 0;
  return data.length === values.length && data.every((d) => values.includes(d));
}

async function checkAnswer(ctx: StepContext, p: SwitchRecordParams, record: ResourceRecordSet): Promise<void> {
  const zone = await findZone(ctx, p);
  if (zone.privateZone) {
    // TestDNSAnswer answers only for public hosted zones: read the record back instead.
    const live = await read(ctx, p);
    if (live && sameRecord(live, record)) {
      ctx.progress(`read back ${fqdn(p.name)}: ${describeRecord(live)} (private zone: Route 53 cannot test its answers)`);
      return;
    }
    throw new RunbookError('STEP_FAILED', `${fqdn(p.name)} reads back as ${describeRecord(live)}, not ${describeRecord(record)}`, {
      hint: 'The change is INSYNC but the zone holds another record: look at the record in the console.',
    });
  }
  const type = record.Type as RRType;
  const answer = await testAnswer(ctx, zone.id, fqdn(p.name), type);
  if (answerMatches(record, answer)) {
    ctx.progress(`Route 53 answers ${fqdn(p.name)} ${type} with ${answer.data.join(', ')}`);
    return;
  }
  throw new RunbookError(
    'STEP_FAILED',
    `Route 53 answers ${fqdn(p.name)} ${type} with ${answer.responseCode}${answer.data.length ? ` ${answer.data.join(', ')}` : ''}, not ${describeRecord(record)}`,
    {
      hint: 'The change is INSYNC but the name servers give another answer: look at the record in the console and at any other record sets of the name.',
    },
  );
}

/**
 * A routed set that was missing when planned has no routing fields of its own: take them from this
 * step's last checkpoint (its `before`), or refuse, as AWS would refuse the set without them.
 */
export function withRoutingFromCheckpoint(ctx: Pick<StepContext, 'previous'>, desired: ResourceRecordSet): ResourceRecordSet {
  if (hasRouting(desired)) return desired;
  const before = ctx.previous?.before as RecordState | undefined;
  if (before && before.SetIdentifier === desired.SetIdentifier && hasRouting(before)) {
    const routing = Object.fromEntries(
      ROUTING_FIELDS.filter((f) => f !== 'SetIdentifier' && before[f] !== undefined).map((f) => [f, before[f]]),
    );
    return { ...desired, ...routing };
  }
  throw new RunbookError(
    'STEP_FAILED',
    `${desired.Name ?? '?'} [${desired.SetIdentifier ?? '?'}] is missing and nothing records its routing (Weight, Region ...): Route 53 refuses a routed set without it`,
    {
      hint: 'Recreate the record set with its weight (console or Terraform) and run again, or remove setIdentifier to switch an unrouted record.',
    },
  );
}

export const switchRecord: StepType<SwitchRecordParams, RecordState> = {
  name: 'route53.switchRecord',
  description:
    'Point a Route 53 record at a new target (CloudFront alias, other alias, or values), minding the TTL; waits for INSYNC and checks the answer.',
  get params() {
    return params();
  },
  mutates: true,
  usesAws: true,
  read,
  resources: (p) => [`route53:${p.zoneId ?? dnsKey(p.zone ?? '')}/${fqdn(p.name)}/${recordType(p)}/${p.setIdentifier ?? ''}`],
  plan(current, p) {
    const desired = desiredRecord(current, p);
    const name = fqdn(p.name);
    if (current && sameRecord(current, desired)) return { noop: true, current, summary: `${name} already ${describeRecord(current)}` };
    const high = ttlAboveMax(current, p);
    const ttlNote =
      high === undefined || p.maxTtl === undefined
        ? ''
        : p.lowerTtlFirst
          ? `; first lowers the TTL ${high}s -> ${p.maxTtl}s and waits ${formatDuration(high * 1000)} for the old TTL to expire`
          : `; REFUSES: live TTL ${high}s is above maxTtl ${p.maxTtl}s (lower it first, or set lowerTtlFirst: true)`;
    const routedNote =
      p.setIdentifier && !current
        ? `; REFUSES unless a checkpoint of this step recorded [${p.setIdentifier}]: the set is missing, so its routing fields (Weight ...) are unknown`
        : p.setIdentifier && desired.TTL !== undefined
          ? `; the other routed sets of ${name} ${desired.Type} get the same TTL in the same change (Route 53 requires one TTL)`
          : '';
    const verifyNote = p.privateZone ? '; verifies by reading the record back (TestDNSAnswer answers only for public zones)' : '';
    return {
      noop: false,
      before: current,
      after: desired,
      summary: `${name}: ${describeRecord(current)} -> ${describeRecord(desired)}${ttlNote}${routedNote}${verifyNote}`,
    };
  },
  async apply(ctx, change, p) {
    const name = fqdn(p.name);
    const zone = await findZone(ctx, p);
    const timeout = { insyncTimeoutMs: parseDuration(p.insyncTimeout) };
    let live = change.before;
    const high = ttlAboveMax(live, p);
    if (live && high !== undefined && p.maxTtl !== undefined) {
      if (!p.lowerTtlFirst) throw ttlRefusal(name, high, p.maxTtl);
      const lowered: ResourceRecordSet = { ...live, TTL: p.maxTtl };
      // Every routed set of the name and type shares one TTL on Route 53: lower them together.
      const siblings = routedSiblings(await recordsAt(ctx, zone.id, name), live);
      const lowering: Change[] = [{ Action: 'UPSERT', ResourceRecordSet: lowered }, ...siblingTtlChanges(siblings, p.maxTtl)];
      const sets = lowering.length > 1 ? ` (${lowering.length} routed record sets)` : '';
      await changeRecords(ctx, zone.id, lowering, {
        ...timeout,
        comment: `migrate: lower TTL of ${name}${sets} to ${p.maxTtl}s before switching it`,
      });
      await ctx.clock.sleep(high * 1000, `old TTL (${formatDuration(high * 1000)}) of ${name} to expire`);
      live = lowered;
    } else {
      const resumed = interruptedTtlWait(ctx, live, p);
      if (resumed !== undefined) {
        await ctx.clock.sleep(
          resumed * 1000,
          `old TTL (${formatDuration(resumed * 1000)}) of ${name} to expire (in full again after an interrupted run)`,
        );
      }
    }
    // plan always names a record to switch to; a null here would be a checkpoint edited by hand.
    const desired = withRoutingFromCheckpoint(ctx, change.after ?? desiredRecord(live, p));
    const changes: Change[] =
      live && live.Type !== desired.Type
        ? [
            { Action: 'DELETE', ResourceRecordSet: live },
            { Action: 'CREATE', ResourceRecordSet: desired },
          ]
        : [{ Action: 'UPSERT', ResourceRecordSet: desired }];
    if (desired.SetIdentifier !== undefined && !desired.AliasTarget)
      changes.push(...siblingTtlChanges(routedSiblings(await recordsAt(ctx, zone.id, name), desired), desired.TTL));
    await changeRecords(ctx, zone.id, changes, { ...timeout, comment: `migrate: switch ${name} to ${describeRecord(desired)}` });
    return read(ctx, p);
  },
  async verify(ctx, p, state) {
    if (!state)
      throw new RunbookError('STEP_FAILED', `${fqdn(p.name)} has no record after the switch`, {
        hint: 'Someone or something removed it; look at the zone.',
      });
    await checkAnswer(ctx, p, state);
  },
  async undo(ctx, checkpoint) {
    const p = checkpoint.params;
    const before = recordedBefore(checkpoint);
    const name = fqdn(p.name);
    const zone = await findZone(ctx, p);
    const live = await read(ctx, p);
    let changes: Change[];
    if (!before) changes = live ? [{ Action: 'DELETE', ResourceRecordSet: live }] : [];
    else if (!live) changes = [{ Action: 'CREATE', ResourceRecordSet: before }];
    else if (live.Type === before.Type) changes = [{ Action: 'UPSERT', ResourceRecordSet: before }];
    else
      changes = [
        { Action: 'DELETE', ResourceRecordSet: live },
        { Action: 'CREATE', ResourceRecordSet: before },
      ];
    // The routed sets lowered with this one go back to the TTL they shared with it.
    if (before?.SetIdentifier !== undefined && !before.AliasTarget)
      changes.push(...siblingTtlChanges(routedSiblings(await recordsAt(ctx, zone.id, name), before), before.TTL));
    if (changes.length) {
      await changeRecords(ctx, zone.id, changes, {
        insyncTimeoutMs: parseDuration(p.insyncTimeout),
        comment: `migrate: switch ${name} back to ${describeRecord(before)}`,
      });
    }
    if (before) await checkAnswer(ctx, p, before);
    return read(ctx, p);
  },
  same: sameRecord,
};
