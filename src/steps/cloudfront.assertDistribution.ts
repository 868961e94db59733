import type { z } from 'zod';
import { lazySchema } from './support/zod.js';
import type { CloudFrontClient, Distribution } from '@aws-sdk/client-cloudfront';
import { durationField } from '../runbook/constants.js';
import { RunbookError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import type { StepContext, StepType } from './types.js';
import { assertionFailed, diffLine, errorName } from './support/assert.js';
import { rule } from './support/params.js';
import { waitWithProgress, waiterTiming } from './support/waiter.js';
import { shared } from './support/lookups.js';

const params = lazySchema((z) => {
  const host = z
    .string()
    .regex(/^[A-Za-z0-9*]([A-Za-z0-9.-]*[A-Za-z0-9])?\.?$/, { message: 'expected a host name such as "apps.tis.nhs.uk"' });

  return z
    .strictObject({
      distributionId: z
        .string()
        .regex(/^[A-Z0-9]+$/, { message: 'expected a distribution id such as "E2QWRUHAPOMQZL"' })
        .optional()
        .describe('The distribution id. Give this, alias, or both.'),
      alias: host
        .optional()
        .describe(
          'A host the distribution serves (one of its Aliases, such as "apps.tis.nhs.uk"). Without distributionId, the distribution is found by it.',
        ),
      domainName: host.optional().describe('The distribution\'s own domain name it must have, such as "d111111abcdef8.cloudfront.net".'),
      enabled: z.boolean().default(true).describe('Whether the distribution must be enabled.'),
      waitDeployed: durationField(z)
        .optional()
        .describe(
          'If the distribution is still InProgress, wait up to this long for it to be Deployed before judging (a change to a distribution takes minutes).',
        ),
    })
    .superRefine(
      ...rule((v: { distributionId?: unknown; alias?: unknown }, ctx: z.RefinementCtx) => {
        if (v.distributionId === undefined && v.alias === undefined)
          ctx.addIssue({ code: 'custom', message: 'give distributionId or alias (or both)', path: [] });
      }),
    );
});
export type AssertDistributionParams = z.output<ReturnType<typeof params>>;

export interface DistributionState {
  id: string;
  arn: string;
  domainName: string;
  status: string;
  enabled: boolean | null;
  aliases: string[];
}

const hostKey = (h: string): string => h.toLowerCase().replace(/\.$/, '');

function stateOf(d: Distribution): DistributionState {
  return {
    id: d.Id ?? '',
    arn: d.ARN ?? '',
    domainName: d.DomainName ?? '',
    status: d.Status ?? '',
    enabled: d.DistributionConfig?.Enabled ?? null,
    aliases: [...(d.DistributionConfig?.Aliases?.Items ?? [])],
  };
}

async function getDistribution(client: CloudFrontClient, id: string, ctx: StepContext): Promise<Distribution> {
  const { GetDistributionCommand } = await import('../aws/sdk/cloudfront.js');
  try {
    const out = await client.send(new GetDistributionCommand({ Id: id }));
    if (!out.Distribution) throw new RunbookError('AWS_ERROR', `GetDistribution answered without a distribution for ${id}`);
    return out.Distribution;
  } catch (error) {
    if (errorName(error) === 'NoSuchDistribution') {
      throw new RunbookError('ASSERTION_FAILED', `CloudFront distribution ${id} does not exist (account ${ctx.env.account})`, {
        cause: error,
        hint: 'Check the distribution id and the environment (--env).',
      });
    }
    throw error;
  }
}

/** Every distribution's id and aliases: one listing per read pass. */
function listDistributions(ctx: StepContext, client: CloudFrontClient): Promise<{ id: string; aliases: string[] }[]> {
  return shared(ctx, 'cloudfront', 'ListDistributions', {}, async () => {
    const { paginateListDistributions } = await import('../aws/sdk/cloudfront.js');
    const all: { id: string; aliases: string[] }[] = [];
    for await (const page of paginateListDistributions({ client }, {})) {
      for (const d of page.DistributionList?.Items ?? []) if (d.Id) all.push({ id: d.Id, aliases: [...(d.Aliases?.Items ?? [])] });
    }
    return all;
  });
}

async function findIdByAlias(ctx: StepContext, client: CloudFrontClient, alias: string): Promise<string> {
  const ids = (await listDistributions(ctx, client)).filter((d) => d.aliases.some((a) => hostKey(a) === hostKey(alias))).map((d) => d.id);
  if (ids.length === 0) {
    throw new RunbookError('ASSERTION_FAILED', `no CloudFront distribution has the alias ${alias}`, {
      hint: "The alias (alternate domain name) is set in the distribution's Terraform; check it has been applied, or give distributionId.",
    });
  }
  if (ids.length > 1)
    throw new RunbookError('STEP_FAILED', `${ids.length} CloudFront distributions have the alias ${alias}: ${ids.join(', ')}`, {
      hint: 'Give distributionId.',
    });
  return ids[0] as string;
}

export function diffDistribution(current: DistributionState, p: AssertDistributionParams): string[] {
  const lines: string[] = [];
  if (current.status !== 'Deployed') lines.push(diffLine('status', 'Deployed', current.status));
  if (current.enabled !== p.enabled) lines.push(diffLine('enabled', p.enabled, current.enabled));
  if (p.alias && !current.aliases.some((a) => hostKey(a) === hostKey(p.alias ?? '')))
    lines.push(diffLine('aliases', `to include ${p.alias}`, current.aliases.join(', ') || '(none)'));
  if (p.domainName && hostKey(current.domainName) !== hostKey(p.domainName))
    lines.push(diffLine('domainName', p.domainName, current.domainName));
  return lines;
}

export const assertDistribution: StepType<AssertDistributionParams, DistributionState> = {
  name: 'cloudfront.assertDistribution',
  description: 'Check a CloudFront distribution (by id or alias) is Deployed, enabled, and serves the given host.',
  get params() {
    return params();
  },
  mutates: false,
  usesAws: true,
  async read(ctx, p) {
    const { CloudFrontClient, waitUntilDistributionDeployed } = await import('../aws/sdk/cloudfront.js');
    const client = await ctx.aws.client(CloudFrontClient);
    const id = p.distributionId ?? (await findIdByAlias(ctx, client, p.alias ?? ''));
    let dist = await getDistribution(client, id, ctx);
    if (p.waitDeployed && dist.Status !== 'Deployed') {
      const maxWait = parseDuration(p.waitDeployed);
      try {
        await waitWithProgress(ctx, `CloudFront distribution ${id} to be Deployed`, maxWait, () =>
          waitUntilDistributionDeployed({ client, ...waiterTiming(ctx, maxWait, 20, 60) }, { Id: id }),
        );
      } catch (error) {
        // Still InProgress after the wait: plan reports the status like any other difference.
        if (!(error instanceof RunbookError && error.code === 'STEP_TIMEOUT')) throw error;
      }
      dist = await getDistribution(client, id, ctx);
    }
    return stateOf(dist);
  },
  plan(current, p) {
    const subject = `CloudFront distribution ${current.id} (${current.domainName})`;
    const lines = diffDistribution(current, p);
    if (lines.length) {
      const deploying = current.status === 'InProgress' && lines.length === 1;
      throw assertionFailed(
        subject,
        lines,
        deploying
          ? 'The distribution is still deploying: run again in a few minutes, or set waitDeployed: "20m".'
          : 'The distribution is terraformed: correct it in the Terraform and apply, then run this phase again.',
      );
    }
    return {
      noop: true,
      current,
      summary: `${subject}: Deployed, ${current.enabled ? 'enabled' : 'disabled'}${p.alias ? `, serves ${p.alias}` : ''}`,
    };
  },
  async apply(_ctx, change) {
    return change.after;
  },
};
