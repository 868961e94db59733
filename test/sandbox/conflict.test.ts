import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retryConflicts } from '../../src/aws/clients.js';
import { startMoto } from '../../src/sandbox/moto.js';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { startProxy } from '../../src/sandbox/proxy.js';
import type { FrontProxy } from '../../src/sandbox/proxy.js';

/** `--faults conflict=P`: API Gateway writes meet 409 ConflictException, which the API Gateway client retries. */
let moto: MotoServer;
let proxy: FrontProxy;
beforeAll(async () => {
  moto = await startMoto();
  proxy = await startProxy({ target: moto.url, seed: 7 });
});
afterAll(async () => {
  await proxy?.stop();
  await moto?.stop();
});

async function client(retry: boolean, maxAttempts = 8) {
  const ag = await import('@aws-sdk/client-api-gateway');
  const { ConfiguredRetryStrategy } = await import('@smithy/core/retry');
  const c = new ag.APIGatewayClient({
    endpoint: proxy.url,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts,
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, () => 5),
  });
  if (retry) retryConflicts(c);
  return { ag, c };
}

describe('API Gateway ConflictException', () => {
  it("is injected on writes only, in API Gateway's shape (409), and the SDK alone does not retry it", async () => {
    const { ag, c } = await client(false);
    proxy.setFaults({ conflict: 1 });
    const refused = (await c.send(new ag.CreateRestApiCommand({ name: 'conflicted' })).catch((e: unknown) => e)) as {
      name: string;
      message: string;
      $metadata: { httpStatusCode: number; attempts: number };
    };
    expect(refused).toMatchObject({
      name: 'ConflictException',
      message: expect.stringContaining('concurrent modification'),
      $metadata: { httpStatusCode: 409, attempts: 1 },
    });
    // Reads are never conflicted.
    await expect(c.send(new ag.GetRestApisCommand({}))).resolves.toBeDefined();
    proxy.setFaults({});
  });

  it('is retried with back-off by the client migrate builds, and each write is applied once', async () => {
    const { ag, c } = await client(true);
    proxy.setFaults({ conflict: 1 });
    const exhausted = (await c.send(new ag.CreateRestApiCommand({ name: 'never' })).catch((e: unknown) => e)) as {
      name: string;
      $metadata: { attempts: number };
    };
    expect(exhausted).toMatchObject({ name: 'ConflictException', $metadata: { attempts: 8 } });

    proxy.setFaults({ conflict: 0.5 });
    proxy.clearLog();
    for (let i = 0; i < 6; i++) await c.send(new ag.CreateRestApiCommand({ name: `retried-${i}` }));
    expect(proxy.requests.some((r) => r.injected === 'conflict')).toBe(true);
    proxy.setFaults({});
    const names = ((await c.send(new ag.GetRestApisCommand({ limit: 500 }))).items ?? []).map((a) => a.name);
    expect(names.filter((n) => n?.startsWith('retried-')).sort()).toEqual([
      'retried-0',
      'retried-1',
      'retried-2',
      'retried-3',
      'retried-4',
      'retried-5',
    ]);
    expect(names).not.toContain('never');
  });
});
