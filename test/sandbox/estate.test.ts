import { normalizePolicy } from '../../src/steps/support/policy.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedEstate, snapshotEstate } from '../../src/sandbox/estate.js';
import type { EstateIds } from '../../src/sandbox/estate.js';
import { startMoto } from '../../src/sandbox/moto.js';
import type { MotoServer } from '../../src/sandbox/moto.js';

const ACCOUNT = '000000000000';
let moto: MotoServer;
let ids: EstateIds;
beforeAll(async () => {
  moto = await startMoto({ accountId: ACCOUNT });
  ids = await seedEstate(moto.url);
});
afterAll(async () => {
  await moto?.stop();
});

function config() {
  return { endpoint: moto.url, region: 'eu-west-2', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 1 };
}

describe('seedEstate', () => {
  it('returns the ids, under the account moto was started with', () => {
    expect(ids).toMatchObject({ stage: 'sandbox', accountId: ACCOUNT });
    expect(ids.zoneId).not.toContain('/hostedzone/');
    expect(ids.adminsDistributionDomain).toMatch(/^[a-z0-9]+\.cloudfront\.net$/);
    expect(ids.newPoolArn).toBe(`arn:aws:cognito-idp:eu-west-2:${ACCOUNT}:userpool/${ids.newPoolId}`);
    expect(ids.oldPoolArn).toBe(`arn:aws:cognito-idp:eu-west-2:${ACCOUNT}:userpool/${ids.oldPoolId}`);
    for (const value of Object.values(ids)) expect(value).toBeTruthy();
  });

  it('builds tis.nhs.uk with apps on the old origin and revalidation on the Reval distribution', async () => {
    const r53 = await import('@aws-sdk/client-route-53');
    const client = new r53.Route53Client(config());
    const zone = await client.send(new r53.GetHostedZoneCommand({ Id: ids.zoneId }));
    expect(zone.HostedZone).toMatchObject({ Name: 'tis.nhs.uk.', Config: { PrivateZone: false } });
    const sets = (await client.send(new r53.ListResourceRecordSetsCommand({ HostedZoneId: ids.zoneId }))).ResourceRecordSets ?? [];
    const byName = (name: string) =>
      sets.filter((s) => s.Name === name).map(({ Type, TTL, ResourceRecords }) => ({ Type, TTL, ResourceRecords }));
    const cf = await import('@aws-sdk/client-cloudfront');
    const reval = await new cf.CloudFrontClient(config()).send(new cf.GetDistributionCommand({ Id: ids.revalDistributionId }));
    expect(byName('apps.tis.nhs.uk.')).toEqual([{ Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'admins-ui-origin.tis.nhs.uk' }] }]);
    expect(byName('admins-ui-origin.tis.nhs.uk.')).toEqual([{ Type: 'A', TTL: 300, ResourceRecords: [{ Value: '192.0.2.10' }] }]);
    expect(byName('revalidation.tis.nhs.uk.')).toEqual([
      { Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: reval.Distribution?.DomainName }] },
    ]);
  });

  it('creates the Admins-UI and Reval distributions, which moto reports as Deployed', async () => {
    const cf = await import('@aws-sdk/client-cloudfront');
    const client = new cf.CloudFrontClient(config());
    const admins = (await client.send(new cf.GetDistributionCommand({ Id: ids.adminsDistributionId }))).Distribution;
    expect(admins).toMatchObject({ Id: ids.adminsDistributionId, DomainName: ids.adminsDistributionDomain, Status: 'Deployed' });
    expect(admins?.DistributionConfig).toMatchObject({
      Comment: 'Admins-UI',
      Enabled: true,
      Aliases: { Quantity: 1, Items: ['apps.tis.nhs.uk'] },
      Origins: { Quantity: 1, Items: [{ DomainName: 'tis-admins-ui-sandbox.s3.eu-west-2.amazonaws.com' }] },
    });
    const reval = (await client.send(new cf.GetDistributionCommand({ Id: ids.revalDistributionId }))).Distribution;
    expect(reval?.DistributionConfig).toMatchObject({
      Comment: 'Reval UI',
      Enabled: true,
      Aliases: { Items: ['revalidation.tis.nhs.uk'] },
    });
  });

  it('creates the new TIS pool as terraformed: password policy, triggers, sender, email usernames, optional TOTP, clients, groups', async () => {
    const idp = await import('@aws-sdk/client-cognito-identity-provider');
    const client = new idp.CognitoIdentityProviderClient(config());
    const pool = (await client.send(new idp.DescribeUserPoolCommand({ UserPoolId: ids.newPoolId }))).UserPool;
    expect(pool).toMatchObject({
      Name: 'tis-sandbox',
      Arn: ids.newPoolArn,
      Policies: {
        PasswordPolicy: {
          MinimumLength: 8,
          RequireUppercase: true,
          RequireLowercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 7,
        },
      },
      LambdaConfig: {
        UserMigration: `arn:aws:lambda:eu-west-2:${ACCOUNT}:function:tis-cognito-user-migration`,
        PreTokenGeneration: `arn:aws:lambda:eu-west-2:${ACCOUNT}:function:tis-cognito-pre-token-generation`,
      },
      EmailConfiguration: {
        From: 'TIS <no-reply@tis.nhs.uk>',
        EmailSendingAccount: 'DEVELOPER',
        SourceArn: `arn:aws:ses:eu-west-2:${ACCOUNT}:identity/no-reply@tis.nhs.uk`,
      },
      UsernameAttributes: ['email'],
      MfaConfiguration: 'OPTIONAL',
    });
    const mfa = await client.send(new idp.GetUserPoolMfaConfigCommand({ UserPoolId: ids.newPoolId }));
    expect(mfa).toMatchObject({ MfaConfiguration: 'OPTIONAL', SoftwareTokenMfaConfiguration: { Enabled: true } });
    const clients =
      (await client.send(new idp.ListUserPoolClientsCommand({ UserPoolId: ids.newPoolId, MaxResults: 60 }))).UserPoolClients ?? [];
    expect(clients.map((c) => c.ClientName).sort()).toEqual(['admins-ui', 'reval']);
    const groups = (await client.send(new idp.ListGroupsCommand({ UserPoolId: ids.newPoolId }))).Groups ?? [];
    expect(groups.map((g) => g.GroupName).sort()).toEqual(['HEE Admin', 'RevalAdmin', 'RevalApprover']);

    const old = (await client.send(new idp.DescribeUserPoolCommand({ UserPoolId: ids.oldPoolId }))).UserPool;
    expect(old).toMatchObject({ Name: 'reval-sandbox', Arn: ids.oldPoolArn });
  });

  it('creates the three REST APIs with their resources, methods, stage and deployment', async () => {
    const ag = await import('@aws-sdk/client-api-gateway');
    const client = new ag.APIGatewayClient(config());
    const routes = async (restApiId: string) => {
      const items = (await client.send(new ag.GetResourcesCommand({ restApiId, embed: ['methods'], limit: 500 }))).items ?? [];
      const out: Record<string, string[]> = {};
      for (const item of items) {
        const methods = Object.keys(item.resourceMethods ?? {}).sort();
        if (methods.length) out[item.path ?? '?'] = methods;
      }
      return out;
    };
    const stage = (restApiId: string) => client.send(new ag.GetStageCommand({ restApiId, stageName: 'sandbox' }));

    const apis = (await client.send(new ag.GetRestApisCommand({ limit: 500 }))).items ?? [];
    expect(Object.fromEntries(apis.map((a) => [a.name, a.id]))).toEqual({
      'admins-api': ids.adminsApiId,
      'reval-api': ids.revalApiId,
      'usermanagement-api': ids.userManagementApiId,
    });

    expect(await routes(ids.adminsApiId)).toEqual({ '/api/users': ['GET'] });
    expect(await routes(ids.revalApiId)).toEqual({ '/api/v1/doctors': ['GET'], '/api/recommendation': ['GET', 'POST'] });
    expect(await routes(ids.userManagementApiId)).toEqual({
      '/api/users': ['GET', 'POST'],
      '/api/users/{username}': ['DELETE', 'GET', 'PUT'],
    });

    for (const id of [ids.adminsApiId, ids.revalApiId, ids.userManagementApiId]) {
      const deployments = (await client.send(new ag.GetDeploymentsCommand({ restApiId: id }))).items ?? [];
      expect(deployments).toHaveLength(1);
      expect((await stage(id)).deploymentId).toBe(deployments[0]?.id);
    }
    expect((await stage(ids.userManagementApiId)).variables).toEqual({ authenticationProvider: 'keycloak', keycloakRealm: 'lin' });

    const authorizer = await client.send(new ag.GetAuthorizerCommand({ restApiId: ids.revalApiId, authorizerId: ids.revalAuthorizerId }));
    expect(authorizer).toMatchObject({ name: 'reval-cognito', type: 'COGNITO_USER_POOLS', providerARNs: [ids.oldPoolArn] });
    const doctors = (await client.send(new ag.GetResourcesCommand({ restApiId: ids.revalApiId, limit: 500 }))).items?.find(
      (r) => r.path === '/api/v1/doctors',
    );
    const method = await client.send(
      new ag.GetMethodCommand({ restApiId: ids.revalApiId, resourceId: doctors?.id ?? '', httpMethod: 'GET' }),
    );
    expect(method).toMatchObject({ authorizationType: 'COGNITO_USER_POOLS', authorizerId: ids.revalAuthorizerId });

    const um = await client.send(new ag.GetRestApiCommand({ restApiId: ids.userManagementApiId }));
    expect(um.policy ?? null).toBeNull();
  });
});

describe('snapshotEstate', () => {
  it('pictures what the plan changes, and sees a change and its undo', async () => {
    const before = await snapshotEstate(moto.url, ids);
    expect(before).toEqual({
      appsRecordSets: [{ Name: 'apps.tis.nhs.uk.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'admins-ui-origin.tis.nhs.uk' }] }],
      revalProviderArns: [ids.oldPoolArn],
      userManagementPolicy: null,
      userManagementStageVariables: { authenticationProvider: 'keycloak', keycloakRealm: 'lin' },
    });
    expect(JSON.parse(JSON.stringify(before))).toEqual(before);

    const ag = await import('@aws-sdk/client-api-gateway');
    const client = new ag.APIGatewayClient(config());
    const policy = JSON.stringify({
      Version: '2012-10-17',
      Statement: [{ Effect: 'Deny', Principal: '*', Action: 'execute-api:Invoke', Resource: 'execute-api:/sandbox/POST/*' }],
    });
    await client.send(
      new ag.UpdateRestApiCommand({
        restApiId: ids.userManagementApiId,
        patchOperations: [{ op: 'replace', path: '/policy', value: policy }],
      }),
    );
    await client.send(
      new ag.UpdateStageCommand({
        restApiId: ids.userManagementApiId,
        stageName: 'sandbox',
        patchOperations: [{ op: 'replace', path: '/variables/authenticationProvider', value: 'cognito' }],
      }),
    );
    const during = await snapshotEstate(moto.url, ids);
    expect(during.userManagementPolicy).toBe(normalizePolicy(policy));
    expect(during.userManagementStageVariables.authenticationProvider).toBe('cognito');
    expect(during).not.toEqual(before);

    // moto keeps a cleared policy as "" (and ignores `remove` on /policy): both read as "no policy".
    await client.send(
      new ag.UpdateRestApiCommand({ restApiId: ids.userManagementApiId, patchOperations: [{ op: 'replace', path: '/policy', value: '' }] }),
    );
    await client.send(
      new ag.UpdateStageCommand({
        restApiId: ids.userManagementApiId,
        stageName: 'sandbox',
        patchOperations: [{ op: 'replace', path: '/variables/authenticationProvider', value: 'keycloak' }],
      }),
    );
    expect(await snapshotEstate(moto.url, ids)).toEqual(before);
  });
});
