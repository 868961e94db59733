import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { assertDistribution } from '../../src/steps/cloudfront.assertDistribution.js';
import { RunbookError } from '../../src/errors.js';
import { testContext } from './helpers/context.js';
import { startTestMoto, unique } from './helpers/moto.js';
import { seedDistribution } from './helpers/seed.js';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startTestMoto();
});
afterAll(async () => {
  await moto?.stop();
});

async function judge(p: ReturnType<typeof assertDistribution.params.parse>): Promise<string[] | 'pass'> {
  const ctx = testContext();
  const state = await assertDistribution.read(ctx, p);
  try {
    assertDistribution.plan(state, p);
    return 'pass';
  } catch (error) {
    if (error instanceof RunbookError && error.code === 'ASSERTION_FAILED') return error.details;
    throw error;
  }
}

describe('cloudfront.assertDistribution against moto', () => {
  it('passes for a deployed, enabled distribution serving the host (found by id)', async () => {
    const host = `${unique('apps')}.tis.nhs.uk`;
    const dist = await seedDistribution(testContext(), { aliases: [host] });
    // moto answers CreateDistribution with InProgress and every later read with Deployed.
    expect(await judge(assertDistribution.params.parse({ distributionId: dist.id, alias: host, domainName: dist.domainName }))).toBe(
      'pass',
    );
  });

  it('passes when found by alias through ListDistributions', async () => {
    const host = `${unique('apps')}.tis.nhs.uk`;
    const dist = await seedDistribution(testContext(), { aliases: [host] });
    const state = await assertDistribution.read(testContext(), assertDistribution.params.parse({ alias: host }));
    expect(state.id).toBe(dist.id);
  });

  it('fails for a disabled distribution, a missing alias, another domain name', async () => {
    const dist = await seedDistribution(testContext(), { aliases: ['stage-apps.tis.nhs.uk'], enabled: false });
    expect(
      await judge(
        assertDistribution.params.parse({ distributionId: dist.id, alias: 'apps.tis.nhs.uk', domainName: 'd000.cloudfront.net' }),
      ),
    ).toEqual([
      '  enabled: expected true, found false',
      '  aliases: expected to include apps.tis.nhs.uk, found stage-apps.tis.nhs.uk',
      `  domainName: expected d000.cloudfront.net, found ${dist.domainName}`,
    ]);
  });

  it('fails clearly for a distribution that does not exist', async () => {
    await expect(
      assertDistribution.read(testContext(), assertDistribution.params.parse({ distributionId: 'ENOTHERE' })),
    ).rejects.toMatchObject({ code: 'ASSERTION_FAILED', message: expect.stringMatching(/ENOTHERE does not exist/) });
  });
});
