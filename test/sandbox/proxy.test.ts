import { ConfiguredRetryStrategy } from '@smithy/core/retry';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startMoto } from '../../src/sandbox/moto.js';
import type { MotoServer } from '../../src/sandbox/moto.js';
import { startProxy } from '../../src/sandbox/proxy.js';
import type { FrontProxy, RequestLogEntry } from '../../src/sandbox/proxy.js';

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
beforeEach(() => {
  proxy.setFaults({});
  proxy.clearLog();
});

/**
 * The SDK's own retry strategy decides what to retry; only its back-off is shortened (throttling
 * waits start at 1 s and double), so the tests spend their time on requests, not sleeping.
 */
function config(maxAttempts = 10) {
  return {
    endpoint: proxy.url,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    retryStrategy: new ConfiguredRetryStrategy(maxAttempts, 5),
  };
}

const summary = (entries: RequestLogEntry[]) => entries.map((e) => `${e.service} ${e.operation} ${e.write ? 'write' : 'read'} ${e.status}`);

describe('front proxy request log', () => {
  it('names the service, operation and write flag of each SDK call', async () => {
    const sts = await import('@aws-sdk/client-sts');
    const idp = await import('@aws-sdk/client-cognito-identity-provider');
    const r53 = await import('@aws-sdk/client-route-53');
    const apigw = await import('@aws-sdk/client-api-gateway');
    const cf = await import('@aws-sdk/client-cloudfront');

    expect((await new sts.STSClient(config()).send(new sts.GetCallerIdentityCommand({}))).Account).toBe('123456789012');

    const cognito = new idp.CognitoIdentityProviderClient(config());
    const pool = (await cognito.send(new idp.CreateUserPoolCommand({ PoolName: 'admins' }))).UserPool!;
    await cognito.send(new idp.ListUserPoolsCommand({ MaxResults: 10 }));
    await cognito.send(new idp.AdminCreateUserCommand({ UserPoolId: pool.Id!, Username: 'ada' }));
    await cognito.send(new idp.AdminGetUserCommand({ UserPoolId: pool.Id!, Username: 'ada' }));

    const route53 = new r53.Route53Client(config());
    const zone = await route53.send(new r53.CreateHostedZoneCommand({ Name: 'log.example.org', CallerReference: 'log-1' }));
    const HostedZoneId = zone.HostedZone!.Id!;
    const change = await route53.send(
      new r53.ChangeResourceRecordSetsCommand({
        HostedZoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'UPSERT',
              ResourceRecordSet: { Name: 'a.log.example.org', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.1' }] },
            },
          ],
        },
      }),
    );
    await route53.send(new r53.GetChangeCommand({ Id: change.ChangeInfo!.Id! }));
    await route53.send(new r53.ListResourceRecordSetsCommand({ HostedZoneId }));
    await route53.send(new r53.TestDNSAnswerCommand({ HostedZoneId, RecordName: 'a.log.example.org', RecordType: 'A' }));

    const api = new apigw.APIGatewayClient(config());
    const restApiId = (await api.send(new apigw.CreateRestApiCommand({ name: 'um' }))).id!;
    const root = (await api.send(new apigw.GetResourcesCommand({ restApiId }))).items!.find((r) => r.path === '/')!;
    await api.send(new apigw.PutMethodCommand({ restApiId, resourceId: root.id!, httpMethod: 'GET', authorizationType: 'NONE' }));
    await api.send(new apigw.PutIntegrationCommand({ restApiId, resourceId: root.id!, httpMethod: 'GET', type: 'MOCK' }));
    await api.send(new apigw.CreateDeploymentCommand({ restApiId, stageName: 'prod' }));
    await api.send(
      new apigw.UpdateStageCommand({
        restApiId,
        stageName: 'prod',
        patchOperations: [{ op: 'replace', path: '/description', value: 'x' }],
      }),
    );
    await api.send(new apigw.UpdateRestApiCommand({ restApiId, patchOperations: [{ op: 'replace', path: '/description', value: 'y' }] }));
    await api.send(new apigw.GetStageCommand({ restApiId, stageName: 'prod' }));

    await new cf.CloudFrontClient(config()).send(new cf.ListDistributionsCommand({}));

    expect(summary(proxy.requests)).toEqual([
      'sts GetCallerIdentity read 200',
      'cognito-idp CreateUserPool write 200',
      'cognito-idp ListUserPools read 200',
      'cognito-idp AdminCreateUser write 200',
      'cognito-idp AdminGetUser read 200',
      'route53 CreateHostedZone write 201',
      'route53 ChangeResourceRecordSets write 200',
      'route53 GetChange read 200',
      'route53 ListResourceRecordSets read 200',
      'route53 TestDNSAnswer read 200',
      // moto answers 200 where API Gateway answers 201.
      'apigateway CreateRestApi write 200',
      'apigateway GetResources read 200',
      'apigateway PutMethod write 201',
      'apigateway PutIntegration write 201',
      'apigateway CreateDeployment write 201',
      'apigateway UpdateStage write 200',
      'apigateway UpdateRestApi write 200',
      'apigateway GetStage read 200',
      'cloudfront ListDistributions read 200',
    ]);
    expect(proxy.requests.map((e) => e.seq)).toEqual(proxy.requests.map((_, i) => proxy.requests[0]!.seq + i));
    expect(proxy.writes().map((e) => e.operation)).toEqual([
      'CreateUserPool',
      'AdminCreateUser',
      'CreateHostedZone',
      'ChangeResourceRecordSets',
      'CreateRestApi',
      'PutMethod',
      'PutIntegration',
      'CreateDeployment',
      'UpdateStage',
      'UpdateRestApi',
    ]);
    expect(proxy.requests.every((e) => e.injected === undefined && !Number.isNaN(Date.parse(e.time)))).toBe(true);
  });

  it('does not classify or inject on moto’s own unsigned endpoints', async () => {
    proxy.setFaults({ throttle: 1 });
    const res = await fetch(`${proxy.url}/moto-api/data.json`);
    expect(res.status).toBe(200);
    expect(proxy.requests).toMatchObject([{ service: 'unknown', operation: 'GET /moto-api/data.json', write: false, status: 200 }]);
  });
});

describe('front proxy fault injection', () => {
  it('throttles half the calls, the SDK retries, and no write is applied twice', async () => {
    const idp = await import('@aws-sdk/client-cognito-identity-provider');
    proxy.setFaults({ throttle: 0.5 });
    const cognito = new idp.CognitoIdentityProviderClient(config());
    const names = ['t1', 't2', 't3', 't4', 't5'];
    for (const PoolName of names) await cognito.send(new idp.CreateUserPoolCommand({ PoolName }));
    proxy.setFaults({});
    const pools = (await cognito.send(new idp.ListUserPoolsCommand({ MaxResults: 60 }))).UserPools!.map((p) => p.Name);
    for (const name of names) expect(pools.filter((p) => p === name)).toHaveLength(1);

    const creates = proxy.writes().filter((e) => e.operation === 'CreateUserPool');
    const injected = creates.filter((e) => e.injected);
    expect(injected.length).toBeGreaterThan(0);
    expect(injected.every((e) => e.injected === 'throttle' && e.status === 400)).toBe(true);
    // Exactly one request per pool reached moto.
    expect(creates.filter((e) => !e.injected)).toHaveLength(names.length);
  });

  it('injects 5xx the same way, and the SDK retries through them', async () => {
    const r53 = await import('@aws-sdk/client-route-53');
    proxy.setFaults({ error5xx: 0.5 });
    const route53 = new r53.Route53Client(config());
    for (let i = 0; i < 5; i++) await route53.send(new r53.ListHostedZonesCommand({}));
    const injected = proxy.requests.filter((e) => e.injected);
    expect(injected.length).toBeGreaterThan(0);
    expect(injected.every((e) => e.injected === '5xx' && e.status === 503)).toBe(true);
    expect(proxy.requests.filter((e) => !e.injected)).toHaveLength(5);
  });

  it('gives the same injections for the same seed', async () => {
    const runOnce = async (): Promise<string[]> => {
      const p = await startProxy({ target: moto.url, seed: 99, faults: { throttle: 0.4, error5xx: 0.3 } });
      try {
        for (let i = 0; i < 12; i++)
          await fetch(`${p.url}/`, {
            headers: {
              authorization: 'AWS4-HMAC-SHA256 Credential=testing/20250101/eu-west-2/sts/aws4_request, SignedHeaders=host, Signature=x',
            },
            method: 'POST',
            body: 'Action=GetCallerIdentity&Version=2011-06-15',
          }).then((r) => r.arrayBuffer());
        return p.requests.map((e) => e.injected ?? 'ok');
      } finally {
        await p.stop();
      }
    };
    const first = await runOnce();
    expect(first).toContain('throttle');
    expect(first).toContain('ok');
    expect(await runOnce()).toEqual(first);
  });

  it('answers in each protocol’s own error shape, which the SDK classifies as retryable', async () => {
    const sts = await import('@aws-sdk/client-sts');
    const idp = await import('@aws-sdk/client-cognito-identity-provider');
    const r53 = await import('@aws-sdk/client-route-53');
    const apigw = await import('@aws-sdk/client-api-gateway');
    const cf = await import('@aws-sdk/client-cloudfront');
    const calls: Array<[string, () => Promise<unknown>]> = [
      ['sts', () => new sts.STSClient(config(2)).send(new sts.GetCallerIdentityCommand({}))],
      ['cognito-idp', () => new idp.CognitoIdentityProviderClient(config(2)).send(new idp.ListUserPoolsCommand({ MaxResults: 1 }))],
      ['route53', () => new r53.Route53Client(config(2)).send(new r53.ListHostedZonesCommand({}))],
      ['apigateway', () => new apigw.APIGatewayClient(config(2)).send(new apigw.GetRestApisCommand({}))],
      ['cloudfront', () => new cf.CloudFrontClient(config(2)).send(new cf.ListDistributionsCommand({}))],
    ];
    const seen: Record<string, string[]> = {};
    for (const [fault, spec] of [
      ['throttle', { throttle: 1 }],
      ['5xx', { error5xx: 1 }],
    ] as const) {
      proxy.setFaults(spec);
      for (const [service, call] of calls) {
        const error = (await call().catch((e: unknown) => e)) as {
          name: string;
          $metadata: { httpStatusCode: number; attempts: number; requestId?: string };
        };
        // attempts 2 of maxAttempts 2: the SDK retried, so it took the error for throttling or transient.
        seen[service] ??= [];
        seen[service].push(
          `${fault}: ${error.name} ${error.$metadata.httpStatusCode} attempts=${error.$metadata.attempts} id=${Boolean(error.$metadata.requestId)}`,
        );
      }
    }
    expect(seen).toEqual({
      sts: ['throttle: Throttling 400 attempts=2 id=true', '5xx: ServiceUnavailable 503 attempts=2 id=true'],
      'cognito-idp': ['throttle: TooManyRequestsException 400 attempts=2 id=true', '5xx: InternalErrorException 500 attempts=2 id=true'],
      route53: ['throttle: Throttling 400 attempts=2 id=true', '5xx: ServiceUnavailable 503 attempts=2 id=true'],
      apigateway: ['throttle: TooManyRequestsException 429 attempts=2 id=true', '5xx: ServiceUnavailableException 503 attempts=2 id=true'],
      cloudfront: ['throttle: Throttling 400 attempts=2 id=true', '5xx: ServiceUnavailable 503 attempts=2 id=true'],
    });
    expect(proxy.requests.every((e) => e.injected)).toBe(true);
  });

  it('divides the INSYNC hold by the time scale, like every other wait of a scaled sandbox', async () => {
    const scaled = await startProxy({ target: moto.url, timeScale: 1000, faults: { slowInsyncMs: 20_000 } });
    try {
      const r53 = await import('@aws-sdk/client-route-53');
      const route53 = new r53.Route53Client({ ...config(), endpoint: scaled.url });
      const zone = await route53.send(new r53.CreateHostedZoneCommand({ Name: 'scaled.example.org', CallerReference: 'scaled-1' }));
      const change = await route53.send(
        new r53.ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.HostedZone!.Id!,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: { Name: 'a.scaled.example.org', Type: 'A', TTL: 60, ResourceRecords: [{ Value: '192.0.2.9' }] },
              },
            ],
          },
        }),
      );
      expect(change.ChangeInfo?.Status).toBe('PENDING');
      // 20 s of plan time at scale 1000 is 20 ms.
      await new Promise((r) => setTimeout(r, 200));
      expect((await route53.send(new r53.GetChangeCommand({ Id: change.ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('INSYNC');
      route53.destroy();
    } finally {
      await scaled.stop();
    }
  });

  it('holds Route 53 changes at PENDING for slowInsyncMs, then INSYNC', async () => {
    const r53 = await import('@aws-sdk/client-route-53');
    const route53 = new r53.Route53Client(config());
    const zone = await route53.send(new r53.CreateHostedZoneCommand({ Name: 'slow.example.org', CallerReference: 'slow-1' }));
    proxy.setFaults({ slowInsyncMs: 1500 });
    const upsert = (value: string) =>
      route53.send(
        new r53.ChangeResourceRecordSetsCommand({
          HostedZoneId: zone.HostedZone!.Id!,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: { Name: 'a.slow.example.org', Type: 'A', TTL: 60, ResourceRecords: [{ Value: value }] },
              },
            ],
          },
        }),
      );
    const first = await upsert('192.0.2.1');
    const second = await upsert('192.0.2.2');
    expect(first.ChangeInfo?.Status).toBe('PENDING');
    expect(first.ChangeInfo?.Id).not.toBe(second.ChangeInfo?.Id);
    expect((await route53.send(new r53.GetChangeCommand({ Id: first.ChangeInfo!.Id! }))).ChangeInfo?.Status).toBe('PENDING');

    const statuses: string[] = [];
    for (let i = 0; i < 100; i++) {
      const status = (await route53.send(new r53.GetChangeCommand({ Id: first.ChangeInfo!.Id! }))).ChangeInfo!.Status!;
      statuses.push(status);
      if (status === 'INSYNC') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(statuses.at(-1)).toBe('INSYNC');
    expect(proxy.requests.filter((e) => e.rewritten === 'PENDING').length).toBeGreaterThanOrEqual(3);
    expect(proxy.requests.some((e) => e.injected)).toBe(false);
  });

  it('still forwards every request with latency added', async () => {
    const sts = await import('@aws-sdk/client-sts');
    proxy.setFaults({ latencyMs: 20 });
    expect((await new sts.STSClient(config()).send(new sts.GetCallerIdentityCommand({}))).Account).toBe('123456789012');
    expect(proxy.requests).toMatchObject([{ operation: 'GetCallerIdentity', status: 200 }]);
  });

  it('records incidents for the health endpoints', () => {
    proxy.setFaults({ incidents: ['reval-down'] });
    expect(proxy.hasIncident('reval-down')).toBe(true);
    expect(proxy.hasIncident('admins-down')).toBe(false);
  });
});
