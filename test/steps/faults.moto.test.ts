import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { startProxy, type FrontProxy } from '../../src/sandbox/proxy.js';
import { restrictMethods } from '../../src/steps/apigateway.restrictMethods.js';
import { switchRecord } from '../../src/steps/route53.switchRecord.js';
import { testContext } from './helpers/context.js';
import { startTestMoto } from './helpers/moto.js';
import { roundTrip } from './helpers/roundtrip.js';
import { seedRecord, seedRestApi, seedZone } from './helpers/seed.js';

let moto: MotoServer;
let proxy: FrontProxy;
beforeAll(async () => {
  moto = await startTestMoto();
  proxy = await startProxy({ target: moto.url, seed: 7 });
  process.env.AWS_ENDPOINT_URL = proxy.url;
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

describe("steps under the sandbox's faults", () => {
  // The SDK's adaptive retry backs off (and slows its send rate) after each throttle: give it time.
  it("ride out throttling and 5xx with the SDK's own retries, and still restore exactly", { timeout: 120_000 }, async () => {
    const seeding = testContext();
    const api = await seedRestApi(seeding);
    proxy.clearLog();
    proxy.setFaults({ throttle: 0.15, error5xx: 0.05 });
    try {
      const ctx = testContext();
      const trip = await roundTrip(restrictMethods, ctx, restrictMethods.params.parse({ restApiId: api.id, stage: 'prod' }));
      expect(trip.final.policy).toBeNull();
      expect(proxy.requests.some((r) => r.injected)).toBe(true);
      // Each write reached moto once: the SDK retried only the answers the proxy made up.
      const applied = proxy
        .writes()
        .filter((w) => !w.injected)
        .map((w) => w.operation);
      expect(applied).toEqual(['UpdateRestApi', 'CreateDeployment', 'UpdateRestApi', 'CreateDeployment']);
    } finally {
      proxy.setFaults({});
    }
  });

  it('wait with the SDK waiter while Route 53 holds a change at PENDING', async () => {
    const seeding = testContext();
    const zone = await seedZone(seeding);
    const old = { Name: `apps.${zone.name}.`, Type: 'CNAME' as const, TTL: 60, ResourceRecords: [{ Value: 'old.example.net' }] };
    await seedRecord(seeding, zone.id, old);
    proxy.setFaults({ slowInsyncMs: 1500 });
    try {
      // At scale 100 the default insyncTimeout of 15m is 9 s, well above the 1.5 s Route 53 is held PENDING.
      const ctx = testContext({ scale: 100 });
      const trip = await roundTrip(
        switchRecord,
        ctx,
        switchRecord.params.parse({ zone: zone.name, name: `apps.${zone.name}`, alias: { cloudfront: 'd111.cloudfront.net' }, maxTtl: 60 }),
      );
      expect(trip.final).toEqual(old);
      expect(proxy.requests.filter((r) => r.operation === 'GetChange' && r.rewritten).length).toBeGreaterThan(0);
      expect(ctx.messages.some((m) => /waiting for Route 53 change \S+ to be INSYNC/.test(m))).toBe(true);
    } finally {
      proxy.setFaults({});
    }
  });
});
