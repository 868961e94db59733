import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedEstate, snapshotEstate } from '../../src/sandbox/estate.js';
import type { EstateIds } from '../../src/sandbox/estate.js';
import { READ_ONLY_MESSAGE, evaluateApiPolicy, startHealthServer } from '../../src/sandbox/health.js';
import type { HealthServer } from '../../src/sandbox/health.js';
import { startMoto } from '../../src/sandbox/moto.js';
import type { MotoServer } from '../../src/sandbox/moto.js';

let moto: MotoServer;
let ids: EstateIds;
let health: HealthServer;
let incidents: string[] = [];
beforeAll(async () => {
  moto = await startMoto({ accountId: '000000000000' });
  ids = await seedEstate(moto.url);
  health = await startHealthServer({ endpoint: moto.url, ids, incidents: () => incidents });
});
afterAll(async () => {
  await health?.stop();
  await moto?.stop();
});

function config() {
  return { endpoint: moto.url, region: 'eu-west-2', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
}

async function get(path: string, method = 'GET'): Promise<{ status: number; body: string }> {
  const response = await fetch(`${health.url}${path}`, {
    method,
    ...(method === 'POST' || method === 'PUT' ? { body: '{}', headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: response.status, body: await response.text() };
}

async function route53() {
  const r53 = await import('@aws-sdk/client-route-53');
  const client = new r53.Route53Client(config());
  const current = async () => {
    const sets = (await client.send(new r53.ListResourceRecordSetsCommand({ HostedZoneId: ids.zoneId }))).ResourceRecordSets ?? [];
    return sets.filter((s) => s.Name === 'apps.tis.nhs.uk.');
  };
  /**
   * Replaces every apps.tis.nhs.uk record set with `next` in one change batch, as mid 3 would. A set
   * of the same type is UPSERTed: moto 5.2.1 rejects DELETE then CREATE of one name and type in one
   * batch ("already exists"), which Route 53 accepts.
   */
  const replaceApps = async (next: import('@aws-sdk/client-route-53').ResourceRecordSet | undefined) => {
    const Changes: import('@aws-sdk/client-route-53').Change[] = (await current())
      .filter((set) => set.Type !== next?.Type)
      .map((set) => ({ Action: 'DELETE', ResourceRecordSet: set }));
    if (next) Changes.push({ Action: 'UPSERT', ResourceRecordSet: next });
    await client.send(new r53.ChangeResourceRecordSetsCommand({ HostedZoneId: ids.zoneId, ChangeBatch: { Changes } }));
  };
  const alias = (DNSName: string) => ({
    Name: 'apps.tis.nhs.uk',
    Type: 'A' as const,
    AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName, EvaluateTargetHealth: false },
  });
  const oldOrigin = {
    Name: 'apps.tis.nhs.uk',
    Type: 'CNAME' as const,
    TTL: 300,
    ResourceRecords: [{ Value: 'admins-ui-origin.tis.nhs.uk' }],
  };
  return { replaceApps, alias, oldOrigin };
}

async function apigateway() {
  const ag = await import('@aws-sdk/client-api-gateway');
  const client = new ag.APIGatewayClient(config());
  /** Swaps the authorizer's pools the way Terraform's provider does: add first, then remove. */
  const pointAuthorizerAt = async (arn: string) => {
    const current =
      (await client.send(new ag.GetAuthorizerCommand({ restApiId: ids.revalApiId, authorizerId: ids.revalAuthorizerId }))).providerARNs ??
      [];
    if (current.length === 1 && current[0] === arn) return;
    await client.send(
      new ag.UpdateAuthorizerCommand({
        restApiId: ids.revalApiId,
        authorizerId: ids.revalAuthorizerId,
        patchOperations: [
          { op: 'add', path: '/providerARNs', value: arn },
          ...current.filter((a) => a !== arn).map((value) => ({ op: 'remove' as const, path: '/providerARNs', value })),
        ],
      }),
    );
    await client.send(new ag.CreateDeploymentCommand({ restApiId: ids.revalApiId, stageName: 'sandbox' }));
  };
  const setPolicy = (policy: unknown) =>
    client.send(
      new ag.UpdateRestApiCommand({
        restApiId: ids.userManagementApiId,
        patchOperations: [{ op: 'replace', path: '/policy', value: policy === null ? '' : JSON.stringify(policy) }],
      }),
    );
  const setProvider = (value: string) =>
    client.send(
      new ag.UpdateStageCommand({
        restApiId: ids.userManagementApiId,
        stageName: 'sandbox',
        patchOperations: [{ op: 'replace', path: '/variables/authenticationProvider', value }],
      }),
    );
  return { pointAuthorizerAt, setPolicy, setProvider };
}

describe('health endpoints on the seeded estate', () => {
  it('answers as before the migration: old origin, Reval on the old pool, UserManagement read-write on Keycloak', async () => {
    expect(await get('/admins-ui/')).toEqual({ status: 200, body: 'Admins-UI (old origin)\n' });
    const reval = await get('/reval/api/v1/doctors');
    expect(reval.status).toBe(200);
    expect(JSON.parse(reval.body)).toEqual({ doctors: [] });
    const um = await get('/usermanagement/health');
    expect(um.status).toBe(200);
    expect(JSON.parse(um.body)).toMatchObject({ authenticationProvider: 'keycloak' });
    expect((await get('/usermanagement/api/users')).status).toBe(200);
    expect((await get('/usermanagement/api/users/alice%40nhs.net')).status).toBe(200);
    expect((await get('/usermanagement/api/users', 'POST')).status).toBe(201);
    expect((await get('/usermanagement/createUser', 'POST')).status).toBe(201);
    expect((await get('/usermanagement/api/users/alice%40nhs.net', 'PUT')).status).toBe(200);
    expect((await get('/usermanagement/api/users/alice%40nhs.net', 'DELETE')).status).toBe(200);
    const index = await get('/');
    expect(index.status).toBe(200);
    expect(index.body).toContain('/admins-ui/');
    expect((await get('/nowhere')).status).toBe(404);
    expect((await snapshotEstate(moto.url, ids, { healthUrl: health.url })).health).toEqual({
      adminsUi: 200,
      reval: 200,
      userManagementRead: 200,
      userManagementWrite: 201,
    });
  });
});

describe('Admins-UI follows apps.tis.nhs.uk', () => {
  it('answers from the CloudFront distribution the record is switched to, and from the old origin when switched back', async () => {
    const dns = await route53();
    try {
      await dns.replaceApps(dns.alias(`${ids.adminsDistributionDomain}.`));
      expect(await get('/admins-ui/')).toEqual({ status: 200, body: `Admins-UI (CloudFront ${ids.adminsDistributionId})\n` });

      incidents = ['admins-ui-down'];
      expect((await get('/admins-ui/')).status).toBe(503);
      incidents = [];

      // A CNAME to the distribution serves as well as an alias.
      await dns.replaceApps({
        Name: 'apps.tis.nhs.uk',
        Type: 'CNAME',
        TTL: 60,
        ResourceRecords: [{ Value: ids.adminsDistributionDomain }],
      });
      expect(await get('/admins-ui/')).toEqual({ status: 200, body: `Admins-UI (CloudFront ${ids.adminsDistributionId})\n` });

      await dns.replaceApps(dns.alias('d0000000000000.cloudfront.net'));
      const unknown = await get('/admins-ui/');
      expect(unknown.status).toBe(502);
      expect(unknown.body).toContain('d0000000000000.cloudfront.net');

      await dns.replaceApps(undefined);
      const missing = await get('/admins-ui/');
      expect(missing.status).toBe(502);
      expect(missing.body).toContain('no CNAME, A or alias record');

      await dns.replaceApps(dns.oldOrigin);
      // The old origin does not care about the CloudFront incident.
      incidents = ['admins-ui-down'];
      expect(await get('/admins-ui/')).toEqual({ status: 200, body: 'Admins-UI (old origin)\n' });
    } finally {
      incidents = [];
      await dns.replaceApps(dns.oldOrigin);
    }
  });

  it('fails on a distribution that does not carry the alias, or is disabled', async () => {
    const dns = await route53();
    const cf = await import('@aws-sdk/client-cloudfront');
    const client = new cf.CloudFrontClient(config());
    const reval = (await client.send(new cf.GetDistributionCommand({ Id: ids.revalDistributionId }))).Distribution;
    const setEnabled = async (Enabled: boolean) => {
      const current = await client.send(new cf.GetDistributionConfigCommand({ Id: ids.adminsDistributionId }));
      const DistributionConfig = current.DistributionConfig;
      if (!DistributionConfig) throw new Error('no distribution config');
      await client.send(
        new cf.UpdateDistributionCommand({
          Id: ids.adminsDistributionId,
          IfMatch: current.ETag,
          DistributionConfig: { ...DistributionConfig, Enabled },
        }),
      );
    };
    try {
      await dns.replaceApps(dns.alias(reval?.DomainName ?? ''));
      const wrong = await get('/admins-ui/');
      expect(wrong.status).toBe(502);
      expect(wrong.body).toContain('does not list apps.tis.nhs.uk');

      await dns.replaceApps(dns.alias(ids.adminsDistributionDomain));
      await setEnabled(false);
      const disabled = await get('/admins-ui/');
      expect(disabled.status).toBe(502);
      expect(disabled.body).toContain('disabled');
      await setEnabled(true);
      expect((await get('/admins-ui/')).status).toBe(200);
    } finally {
      await setEnabled(true);
      await dns.replaceApps(dns.oldOrigin);
    }
  });
});

describe('Reval follows the reval-cognito authorizer', () => {
  it('fails while the authorizer names a pool that does not exist, and recovers when it names a real one', async () => {
    const api = await apigateway();
    // AWS (and the strict sandbox) refuse an authorizer naming a pool that does not exist, so the
    // pool is made, named, then deleted behind the authorizer's back.
    const idp = await import('@aws-sdk/client-cognito-identity-provider');
    const cognito = new idp.CognitoIdentityProviderClient(config());
    const doomed = (await cognito.send(new idp.CreateUserPoolCommand({ PoolName: 'doomed' }))).UserPool!;
    try {
      await api.pointAuthorizerAt(doomed.Arn!);
      await cognito.send(new idp.DeleteUserPoolCommand({ UserPoolId: doomed.Id! }));
      const broken = await get('/reval/api/v1/doctors');
      expect(broken.status).toBe(502);
      expect(broken.body).toContain(doomed.Id!);
      await api.pointAuthorizerAt(ids.newPoolArn);
      expect((await get('/reval/api/v1/doctors')).status).toBe(200);
    } finally {
      await api.pointAuthorizerAt(ids.oldPoolArn);
    }
  });

  it('with the reval-down incident: 503 on the new TIS pool, 200 once rollback 4 puts the old pool back', async () => {
    const api = await apigateway();
    incidents = ['reval-down'];
    try {
      expect((await get('/reval/api/v1/doctors')).status).toBe(200);
      await api.pointAuthorizerAt(ids.newPoolArn);
      const down = await get('/reval/api/v1/doctors');
      expect(down.status).toBe(503);
      expect(JSON.parse(down.body)).toMatchObject({ message: expect.stringContaining('reval-down') });
      await api.pointAuthorizerAt(ids.oldPoolArn);
      expect(await get('/reval/api/v1/doctors')).toEqual({ status: 200, body: '{"doctors":[]}\n' });
    } finally {
      incidents = [];
      await api.pointAuthorizerAt(ids.oldPoolArn);
    }
  });
});

describe('UserManagement follows the usermanagement-api policy and stage variables', () => {
  const writes: Array<[string, string]> = [
    ['POST', '/usermanagement/api/users'],
    ['PUT', '/usermanagement/api/users/alice%40nhs.net'],
    ['DELETE', '/usermanagement/api/users/alice%40nhs.net'],
    ['POST', '/usermanagement/createUser'],
    ['POST', '/usermanagement/api/users/alice%40nhs.net/mfa/reset'],
  ];
  const reads = ['/usermanagement/api/users', '/usermanagement/api/users/alice%40nhs.net', '/usermanagement/health'];

  it('answers writes 403 and reads 200 while the policy denies POST, PUT and DELETE', async () => {
    const api = await apigateway();
    try {
      await api.setPolicy({
        Version: '2012-10-17',
        Statement: [
          { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' },
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 'execute-api:Invoke',
            Resource: [
              'execute-api:/sandbox/POST/*',
              'execute-api:/sandbox/PUT/*',
              `arn:aws:execute-api:eu-west-2:${ids.accountId}:${ids.userManagementApiId}/sandbox/DELETE/*`,
            ],
          },
        ],
      });
      for (const [method, path] of writes) {
        const answer = await get(path, method);
        expect(answer.status, `${method} ${path}`).toBe(403);
        expect(answer.body).toContain(READ_ONLY_MESSAGE);
      }
      for (const path of reads) expect((await get(path)).status, path).toBe(200);

      await api.setPolicy(null);
      for (const [method, path] of writes) expect((await get(path, method)).status, `${method} ${path}`).toBeLessThan(300);
    } finally {
      await api.setPolicy(null);
    }
  });

  it('denies what a policy does not allow, as API Gateway does for a method without an authorizer', async () => {
    const api = await apigateway();
    try {
      // Deny-only: nothing is explicitly allowed, so reads are denied too (implicit deny).
      await api.setPolicy({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/sandbox/POST/*' }],
      });
      const read = await get('/usermanagement/api/users');
      expect(read.status).toBe(403);
      expect(JSON.parse(read.body)).toEqual({
        Message: expect.stringContaining('User: anonymous is not authorized to perform: execute-api:Invoke'),
      });
      expect((await get('/usermanagement/api/users', 'POST')).body).toContain(READ_ONLY_MESSAGE);
    } finally {
      await api.setPolicy(null);
    }
  });

  it('reports the authentication provider from the stage variables', async () => {
    const api = await apigateway();
    try {
      await api.setProvider('cognito');
      expect(JSON.parse((await get('/usermanagement/health')).body)).toMatchObject({ status: 'UP', authenticationProvider: 'cognito' });
    } finally {
      await api.setProvider('keycloak');
    }
    expect(JSON.parse((await get('/usermanagement/health')).body)).toMatchObject({ authenticationProvider: 'keycloak' });
  });
});

describe('Reval when its pool is deleted', () => {
  // Last: the old pool cannot be brought back with the same id.
  it('fails once the pool its authorizer names is gone', async () => {
    const idp = await import('@aws-sdk/client-cognito-identity-provider');
    await new idp.CognitoIdentityProviderClient(config()).send(new idp.DeleteUserPoolCommand({ UserPoolId: ids.oldPoolId }));
    const answer = await get('/reval/api/v1/doctors');
    expect(answer.status).toBe(502);
    expect(answer.body).toContain(`${ids.oldPoolArn} does not exist`);
  });
});

describe('evaluateApiPolicy', () => {
  const api = { region: 'eu-west-2', accountId: '000000000000', apiId: 'abc123' };
  const arn = (method: string, path = 'api/users') => `arn:aws:execute-api:eu-west-2:000000000000:abc123/sandbox/${method}/${path}`;
  const policy = (...Statement: unknown[]) => JSON.stringify({ Version: '2012-10-17', Statement });
  const allowAll = { Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/*' };

  it('allows everything without a policy (none, or moto\'s cleared "")', () => {
    expect(evaluateApiPolicy(undefined, arn('POST'), api)).toBe('allow');
    expect(evaluateApiPolicy('', arn('POST'), api)).toBe('allow');
  });

  it('lets an explicit Deny win over an Allow, and matches short, full and wildcard resources', () => {
    const deny = (Resource: unknown) =>
      policy(allowAll, { Effect: 'Deny', Principal: { AWS: '*' }, Action: ['execute-api:Invoke'], Resource });
    expect(evaluateApiPolicy(deny('execute-api:/sandbox/POST/*'), arn('POST'), api)).toBe('explicit-deny');
    expect(evaluateApiPolicy(deny('execute-api:/sandbox/POST/*'), arn('GET'), api)).toBe('allow');
    expect(
      evaluateApiPolicy(deny('arn:aws:execute-api:eu-west-2:000000000000:abc123/sandbox/PUT/*'), arn('PUT', 'api/users/bob'), api),
    ).toBe('explicit-deny');
    expect(evaluateApiPolicy(deny('arn:aws:execute-api:*:*:*/*/DELETE/*'), arn('DELETE', 'api/users/bob'), api)).toBe('explicit-deny');
    expect(evaluateApiPolicy(deny('*'), arn('GET'), api)).toBe('explicit-deny');
    // Another API's ARN or another stage does not apply.
    expect(evaluateApiPolicy(deny('arn:aws:execute-api:eu-west-2:000000000000:other/sandbox/POST/*'), arn('POST'), api)).toBe('allow');
    expect(evaluateApiPolicy(deny('execute-api:/prod/POST/*'), arn('POST'), api)).toBe('allow');
  });

  it("treats a policy without a matching Allow as an implicit deny, and reads API Gateway's escaped form", () => {
    expect(
      evaluateApiPolicy(
        policy({ Effect: 'Allow', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/sandbox/GET/*' }),
        arn('POST'),
        api,
      ),
    ).toBe('implicit-deny');
    expect(
      evaluateApiPolicy(
        policy({ Effect: 'Allow', Principal: '*', Action: 'execute-api:*', Resource: 'execute-api:/sandbox/GET/*' }),
        arn('GET'),
        api,
      ),
    ).toBe('allow');
    const escaped = policy(allowAll).replace(/"/g, '\\"');
    expect(evaluateApiPolicy(escaped, arn('GET'), api)).toBe('allow');
    expect(evaluateApiPolicy('not json', arn('GET'), api)).toBe('implicit-deny');
  });

  it('skips statements for other principals and other actions', () => {
    const denyFor = (extra: Record<string, unknown>) =>
      policy(allowAll, { Effect: 'Deny', Action: 'execute-api:Invoke', Resource: '*', ...extra });
    expect(evaluateApiPolicy(denyFor({ Principal: { AWS: 'arn:aws:iam::111111111111:root' } }), arn('POST'), api)).toBe('allow');
    expect(evaluateApiPolicy(denyFor({ Principal: '*', Action: 'execute-api:ManageConnections' }), arn('POST'), api)).toBe('allow');
    expect(evaluateApiPolicy(denyFor({ Principal: '*', NotResource: 'execute-api:/sandbox/GET/*' }), arn('GET'), api)).toBe('allow');
    expect(evaluateApiPolicy(denyFor({ Principal: '*', NotResource: 'execute-api:/sandbox/GET/*' }), arn('PUT'), api)).toBe(
      'explicit-deny',
    );
  });
});
