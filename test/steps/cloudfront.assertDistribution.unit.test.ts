import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import { CloudFrontClient, GetDistributionCommand, ListDistributionsCommand, type Distribution } from '@aws-sdk/client-cloudfront';
import { assertDistribution, type DistributionState } from '../../src/steps/cloudfront.assertDistribution.js';
import type { RunbookError } from '../../src/errors.js';
import { mockedContext } from './helpers/context.js';

const cf = mockClient(CloudFrontClient);
const params = (extra: Record<string, unknown> = {}) => assertDistribution.params.parse({ alias: 'apps.tis.nhs.uk', ...extra });

const state: DistributionState = {
  id: 'EADMINS',
  arn: 'arn:aws:cloudfront::123456789012:distribution/EADMINS',
  domainName: 'd111.cloudfront.net',
  status: 'Deployed',
  enabled: true,
  aliases: ['apps.tis.nhs.uk'],
};

function distribution(status: string, enabled = true): { Distribution: Distribution } {
  return {
    Distribution: {
      Id: 'EADMINS',
      ARN: state.arn,
      DomainName: 'd111.cloudfront.net',
      Status: status,
      LastModifiedTime: new Date(),
      InProgressInvalidationBatches: 0,
      ActiveTrustedSigners: { Enabled: false, Quantity: 0 },
      DistributionConfig: { Enabled: enabled, Aliases: { Quantity: 1, Items: ['apps.tis.nhs.uk'] } } as Distribution['DistributionConfig'],
    },
  };
}

beforeEach(() => cf.reset());

describe('cloudfront.assertDistribution', () => {
  it('passes when Deployed, enabled and serving the host', () => {
    expect(assertDistribution.plan(state, params({ domainName: 'd111.cloudfront.net.' })).noop).toBe(true);
  });

  it('lists what differs, and says to wait when the only problem is InProgress', () => {
    const error = (() => {
      try {
        assertDistribution.plan(
          { ...state, status: 'InProgress', enabled: false, aliases: ['stage-apps.tis.nhs.uk'] },
          params({ domainName: 'd222.cloudfront.net' }),
        );
      } catch (e) {
        return e as RunbookError;
      }
      throw new Error('expected a failure');
    })();
    expect(error.details).toEqual([
      '  status: expected Deployed, found InProgress',
      '  enabled: expected true, found false',
      '  aliases: expected to include apps.tis.nhs.uk, found stage-apps.tis.nhs.uk',
      '  domainName: expected d222.cloudfront.net, found d111.cloudfront.net',
    ]);
    expect(() => assertDistribution.plan({ ...state, status: 'InProgress' }, params())).toThrow(
      expect.objectContaining({ hint: expect.stringMatching(/still deploying/) }),
    );
  });

  it('finds the distribution by alias through ListDistributions', async () => {
    cf.on(ListDistributionsCommand)
      .resolvesOnce({
        DistributionList: {
          Marker: '',
          MaxItems: 1,
          IsTruncated: true,
          NextMarker: 'm1',
          Quantity: 1,
          Items: [{ Id: 'EOTHER', Aliases: { Quantity: 1, Items: ['revalidation.tis.nhs.uk'] } } as never],
        },
      })
      .resolves({
        DistributionList: {
          Marker: 'm1',
          MaxItems: 1,
          IsTruncated: false,
          Quantity: 1,
          Items: [{ Id: 'EADMINS', Aliases: { Quantity: 1, Items: ['APPS.tis.nhs.uk'] } } as never],
        },
      });
    cf.on(GetDistributionCommand).resolves(distribution('Deployed'));
    expect(await assertDistribution.read(mockedContext(), params())).toEqual(state);
    expect(cf).toHaveReceivedCommandWith(GetDistributionCommand, { Id: 'EADMINS' });
  });

  it('fails clearly when no distribution has the alias', async () => {
    cf.on(ListDistributionsCommand).resolves({ DistributionList: { Marker: '', MaxItems: 100, IsTruncated: false, Quantity: 0 } });
    await expect(assertDistribution.read(mockedContext(), params())).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
      message: 'no CloudFront distribution has the alias apps.tis.nhs.uk',
    });
  });

  it('with waitDeployed, waits for Deployed with the SDK waiter before judging', async () => {
    cf.on(GetDistributionCommand)
      .resolvesOnce(distribution('InProgress'))
      .resolvesOnce(distribution('InProgress'))
      .resolves(distribution('Deployed'));
    const ctx = mockedContext({ scale: 1000 });
    const read = await assertDistribution.read(ctx, params({ distributionId: 'EADMINS', waitDeployed: '20m' }));
    expect(read.status).toBe('Deployed');
    expect(ctx.messages[0]).toBe('waiting for CloudFront distribution EADMINS to be Deployed (up to 20m)');
  });

  it('without waitDeployed, reads InProgress as it is', async () => {
    cf.on(GetDistributionCommand).resolves(distribution('InProgress'));
    expect((await assertDistribution.read(mockedContext(), params({ distributionId: 'EADMINS' }))).status).toBe('InProgress');
    expect(cf).toHaveReceivedCommandTimes(GetDistributionCommand, 1);
  });
});
