import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto } from '../../src/sandbox/moto.js';
import type { MotoServer } from '../../src/sandbox/moto.js';

let moto: MotoServer;
beforeAll(async () => {
  moto = await startMoto();
});
afterAll(async () => {
  await moto?.stop();
});

function clientConfig() {
  return { endpoint: moto.url, region: 'eu-west-2', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
}

describe('moto patch: API Gateway UpdateAuthorizer on /providerARNs', () => {
  it('adds before removing, never lets the list go empty, and keeps the other patches', async () => {
    const { CognitoIdentityProviderClient, CreateUserPoolCommand } = await import('@aws-sdk/client-cognito-identity-provider');
    const apigw = await import('@aws-sdk/client-api-gateway');
    const cognito = new CognitoIdentityProviderClient(clientConfig());
    const api = new apigw.APIGatewayClient(clientConfig());

    const poolA = (await cognito.send(new CreateUserPoolCommand({ PoolName: 'pool-a' }))).UserPool!.Arn!;
    const poolB = (await cognito.send(new CreateUserPoolCommand({ PoolName: 'pool-b' }))).UserPool!.Arn!;
    const restApiId = (await api.send(new apigw.CreateRestApiCommand({ name: 'reval' }))).id!;
    const authorizerId = (
      await api.send(
        new apigw.CreateAuthorizerCommand({
          restApiId,
          name: 'cognito',
          type: 'COGNITO_USER_POOLS',
          providerARNs: [poolA],
          identitySource: 'method.request.header.Authorization',
        }),
      )
    ).id!;

    const updated = await api.send(
      new apigw.UpdateAuthorizerCommand({
        restApiId,
        authorizerId,
        patchOperations: [
          { op: 'add', path: '/providerARNs', value: poolB },
          { op: 'remove', path: '/providerARNs', value: poolA },
        ],
      }),
    );
    expect(updated.providerARNs).toEqual([poolB]);
    const got = await api.send(new apigw.GetAuthorizerCommand({ restApiId, authorizerId }));
    expect(got.providerARNs).toEqual([poolB]);

    const emptied = await api
      .send(
        new apigw.UpdateAuthorizerCommand({
          restApiId,
          authorizerId,
          patchOperations: [{ op: 'remove', path: '/providerARNs', value: poolB }],
        }),
      )
      .catch((e: unknown) => e);
    expect(emptied).toBeInstanceOf(apigw.BadRequestException);
    // The rejected request changed nothing, not even the operations before the bad one.
    const rejectedMixed = await api
      .send(
        new apigw.UpdateAuthorizerCommand({
          restApiId,
          authorizerId,
          patchOperations: [
            { op: 'replace', path: '/name', value: 'should-not-stick' },
            { op: 'remove', path: '/providerARNs', value: poolB },
          ],
        }),
      )
      .catch((e: unknown) => e);
    expect(rejectedMixed).toBeInstanceOf(apigw.BadRequestException);
    const unchanged = await api.send(new apigw.GetAuthorizerCommand({ restApiId, authorizerId }));
    expect(unchanged).toMatchObject({ name: 'cognito', providerARNs: [poolB] });

    const renamed = await api.send(
      new apigw.UpdateAuthorizerCommand({
        restApiId,
        authorizerId,
        patchOperations: [
          { op: 'replace', path: '/name', value: 'cognito-v2' },
          { op: 'replace', path: '/authorizerResultTtlInSeconds', value: '60' },
          { op: 'add', path: '/providerARNs', value: poolA },
        ],
      }),
    );
    expect(renamed).toMatchObject({ name: 'cognito-v2', authorizerResultTtlInSeconds: 60, providerARNs: [poolB, poolA] });
  });
});

describe('moto patch: Route 53 TestDNSAnswer', () => {
  it('answers from the record sets in the zone, NXDOMAIN for unknown names', async () => {
    const r53 = await import('@aws-sdk/client-route-53');
    const client = new r53.Route53Client(clientConfig());
    const zone = await client.send(new r53.CreateHostedZoneCommand({ Name: 'tis.example.org', CallerReference: 'ref-1' }));
    const HostedZoneId = zone.HostedZone!.Id!.replace('/hostedzone/', '');
    await client.send(
      new r53.ChangeResourceRecordSetsCommand({
        HostedZoneId,
        ChangeBatch: {
          Changes: [
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'api.tis.example.org',
                Type: 'A',
                TTL: 60,
                ResourceRecords: [{ Value: '192.0.2.10' }, { Value: '192.0.2.11' }],
              },
            },
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'www.tis.example.org',
                Type: 'CNAME',
                TTL: 60,
                ResourceRecords: [{ Value: 'api.tis.example.org' }],
              },
            },
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'admin.tis.example.org',
                Type: 'A',
                AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: 'd111111abcdef8.cloudfront.net', EvaluateTargetHealth: false },
              },
            },
            {
              Action: 'CREATE',
              ResourceRecordSet: {
                Name: 'inner.tis.example.org',
                Type: 'A',
                AliasTarget: { HostedZoneId, DNSName: 'api.tis.example.org', EvaluateTargetHealth: false },
              },
            },
          ],
        },
      }),
    );

    const ask = (RecordName: string, RecordType: 'A' | 'CNAME') =>
      client.send(new r53.TestDNSAnswerCommand({ HostedZoneId, RecordName, RecordType }));

    const a = await ask('api.tis.example.org', 'A');
    expect(a).toMatchObject({
      RecordName: 'api.tis.example.org',
      RecordType: 'A',
      ResponseCode: 'NOERROR',
      Protocol: 'UDP',
      RecordData: ['192.0.2.10', '192.0.2.11'],
    });
    expect(a.Nameserver).toMatch(/awsdns/);
    expect((await ask('www.tis.example.org', 'CNAME')).RecordData).toEqual(['api.tis.example.org']);
    expect((await ask('admin.tis.example.org.', 'A')).RecordData).toEqual(['d111111abcdef8.cloudfront.net']);
    expect((await ask('inner.tis.example.org', 'A')).RecordData).toEqual(['192.0.2.10', '192.0.2.11']);

    const missing = await ask('nope.tis.example.org', 'A');
    expect(missing.ResponseCode).toBe('NXDOMAIN');
    expect(missing.RecordData ?? []).toEqual([]);

    const noZone = await client
      .send(new r53.TestDNSAnswerCommand({ HostedZoneId: 'ZNOTAZONE', RecordName: 'a.b', RecordType: 'A' }))
      .catch((e: unknown) => e);
    expect(noZone).toBeInstanceOf(r53.NoSuchHostedZone);
  });
});

describe('moto patch: connections kept alive', () => {
  const listPools = (extra = ''): string => {
    const body = '{"MaxResults":10}';
    return [
      'POST / HTTP/1.1',
      'Host: 127.0.0.1',
      'Content-Type: application/x-amz-json-1.1',
      'X-Amz-Target: AWSCognitoIdentityProviderService.ListUserPools',
      'Authorization: AWS4-HMAC-SHA256 Credential=testing/20260101/eu-west-2/cognito-idp/aws4_request, SignedHeaders=host, Signature=x',
      extra || `Content-Length: ${body.length}`,
      '',
      extra ? `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n` : body,
    ].join('\r\n');
  };

  /** Writes `text` on one new connection and reads until `answers` responses or the server closes. */
  async function exchange(text: string, answers: number): Promise<{ raw: string; closed: boolean }> {
    const { connect } = await import('node:net');
    const socket = connect(moto.port, '127.0.0.1');
    let raw = '';
    let closed = false;
    await new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk) => {
        raw += chunk.toString('utf8');
        if ((raw.match(/"UserPools"/g) ?? []).length >= answers) resolve();
      });
      socket.on('end', () => {
        closed = true;
        resolve();
      });
      socket.on('error', reject);
      socket.write(text);
    });
    // A closing server ends the stream right after its answer.
    if (!closed) await new Promise((r) => setTimeout(r, 100));
    socket.destroy();
    return { raw, closed };
  }

  it('answers requests sent back to back on one connection, each whole, and keeps it open', async () => {
    const { raw, closed } = await exchange(listPools() + listPools(), 2);
    expect(raw.match(/HTTP\/1\.1 200 OK\r\n/g)).toHaveLength(2);
    expect(raw).not.toMatch(/^connection: close/im);
    expect(closed).toBe(false);
  });

  it('still closes after a chunked request body', async () => {
    const { raw } = await exchange(listPools('Transfer-Encoding: chunked'), 1);
    expect(raw).toMatch(/^HTTP\/1\.1 200/m);
    expect(raw).toMatch(/^connection: close/im);
  });
});
