import { listRecordSetsAt } from '../aws/route53.js';
import { normalizePolicy } from '../steps/support/policy.js';
import type { Json } from '../steps/types.js';
import { bareZoneId, sandboxClientConfig } from './estate.js';

/**
 * The estate of runbooks/examples/routed-records.yaml: the shapes AWS is strictest about and the TIS
 * estate does not have. A weighted name (blue/green CNAME sets at a one-hour TTL), a CNAME at a
 * one-hour TTL to switch to CloudFront, one REST API with two Cognito authorizers, a stage with 90
 * variables and a resource policy with a conditioned statement. Seeded through the unmodified SDK.
 */
export const ROUTED_RUNBOOK_NAME = 'routed-records-example';
export const ROUTED_ZONE = 'routed.example.org';
export const ROUTED_API = 'orders-api';
export const ROUTED_STAGE = 'live';
export const ROUTED_CDN_DOMAIN = 'd2routedexample.cloudfront.net';
const HIGH_TTL = 3600;
const STAGE_VARIABLES = 90;

export interface RoutedEstateIds {
  zoneId: string;
  apiId: string;
  staffPoolArn: string;
  partnerOldPoolArn: string;
  partnerNewPoolArn: string;
  partnerNewPoolId: string;
}

type Config = ReturnType<typeof sandboxClientConfig>;

export async function seedRoutedEstate(endpoint: string, region: string): Promise<RoutedEstateIds> {
  const config = sandboxClientConfig(endpoint, region);
  const pools = await seedPools(config);
  const apiId = await seedApi(config, pools.staffPoolArn, pools.partnerOldPoolArn);
  const zoneId = await seedZone(config);
  return { zoneId, apiId, ...pools };
}

async function seedPools(config: Config) {
  const idp = await import('../aws/sdk/cognito.js');
  const client = new idp.CognitoIdentityProviderClient(config);
  try {
    const make = async (PoolName: string) => (await client.send(new idp.CreateUserPoolCommand({ PoolName }))).UserPool!;
    const staff = await make('orders-staff');
    const partnerOld = await make('orders-partners-legacy');
    const partnerNew = await make('orders-partners');
    return {
      staffPoolArn: staff.Arn!,
      partnerOldPoolArn: partnerOld.Arn!,
      partnerNewPoolArn: partnerNew.Arn!,
      partnerNewPoolId: partnerNew.Id!,
    };
  } finally {
    client.destroy();
  }
}

/** An Allow for the office ranges only: the "existing conditioned statement" restrictMethods must keep. */
export const OFFICE_POLICY = JSON.stringify({
  Version: '2012-10-17',
  Statement: [
    {
      Sid: 'OfficeOnly',
      Effect: 'Allow',
      Principal: '*',
      Action: 'execute-api:Invoke',
      Resource: 'execute-api:/*',
      Condition: { IpAddress: { 'aws:SourceIp': ['10.0.0.0/8', '192.0.2.0/24'] } },
    },
  ],
});

async function seedApi(config: Config, staffPoolArn: string, partnerPoolArn: string): Promise<string> {
  const ag = await import('../aws/sdk/apigateway.js');
  const client = new ag.APIGatewayClient(config);
  try {
    const api = await client.send(
      new ag.CreateRestApiCommand({ name: ROUTED_API, policy: OFFICE_POLICY, endpointConfiguration: { types: ['REGIONAL'] } }),
    );
    const restApiId = api.id!;
    const authorizer = async (name: string, arn: string) =>
      (
        await client.send(
          new ag.CreateAuthorizerCommand({
            restApiId,
            name,
            type: 'COGNITO_USER_POOLS',
            providerARNs: [arn],
            identitySource: 'method.request.header.Authorization',
          }),
        )
      ).id!;
    const staff = await authorizer('staff-cognito', staffPoolArn);
    const partners = await authorizer('partner-cognito', partnerPoolArn);
    const orders = await client.send(new ag.CreateResourceCommand({ restApiId, parentId: api.rootResourceId!, pathPart: 'orders' }));
    for (const [httpMethod, authorizerId] of [
      ['GET', partners],
      ['POST', staff],
    ] as const) {
      await client.send(
        new ag.PutMethodCommand({ restApiId, resourceId: orders.id!, httpMethod, authorizationType: 'COGNITO_USER_POOLS', authorizerId }),
      );
      await client.send(
        new ag.PutIntegrationCommand({
          restApiId,
          resourceId: orders.id!,
          httpMethod,
          type: 'HTTP_PROXY',
          integrationHttpMethod: httpMethod,
          uri: 'http://orders.sandbox.internal/orders',
        }),
      );
    }
    const variables = Object.fromEntries(
      Array.from({ length: STAGE_VARIABLES }, (_, i) => [`feature_${String(i).padStart(2, '0')}`, 'off']),
    );
    await client.send(
      new ag.CreateDeploymentCommand({
        restApiId,
        stageName: ROUTED_STAGE,
        description: 'seeded',
        variables: { ...variables, identityProvider: 'legacy' },
      }),
    );
    return restApiId;
  } finally {
    client.destroy();
  }
}

async function seedZone(config: Config): Promise<string> {
  const r53 = await import('../aws/sdk/route53.js');
  const client = new r53.Route53Client(config);
  try {
    const zone = await client.send(new r53.CreateHostedZoneCommand({ Name: ROUTED_ZONE, CallerReference: `migrate-routed-${Date.now()}` }));
    const zoneId = bareZoneId(zone.HostedZone?.Id);
    const cname = (name: string, value: string, routing: { SetIdentifier: string; Weight: number } | object = {}) => ({
      Action: 'CREATE' as const,
      ResourceRecordSet: {
        Name: `${name}.${ROUTED_ZONE}`,
        Type: 'CNAME' as const,
        TTL: HIGH_TTL,
        ResourceRecords: [{ Value: value }],
        ...routing,
      },
    });
    await client.send(
      new r53.ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Changes: [
            cname('api', 'blue.orders.example.net', { SetIdentifier: 'blue', Weight: 90 }),
            cname('api', 'green.orders.example.net', { SetIdentifier: 'green', Weight: 10 }),
            cname('www', 'origin.orders.example.net'),
          ],
        },
      }),
    );
    return zoneId;
  } finally {
    client.destroy();
  }
}

/** The environment the example runbook's sandbox environment reads. */
export function routedExports(ids: RoutedEstateIds): Record<string, string> {
  return { MIGRATE_SANDBOX_ROUTED_CDN_DOMAIN: ROUTED_CDN_DOMAIN, MIGRATE_SANDBOX_PARTNER_POOL_ARN: ids.partnerNewPoolArn };
}

/** Everything the example runbook may change, as plain JSON that compares semantically. */
export async function snapshotRoutedEstate(endpoint: string, ids: RoutedEstateIds, region?: string): Promise<Record<string, Json>> {
  const config = sandboxClientConfig(endpoint, region);
  const [r53, ag] = await Promise.all([import('../aws/sdk/route53.js'), import('../aws/sdk/apigateway.js')]);
  const route53 = new r53.Route53Client(config);
  const apigw = new ag.APIGatewayClient(config);
  try {
    const records = [
      ...(await listRecordSetsAt(route53, ids.zoneId, `api.${ROUTED_ZONE}`)),
      ...(await listRecordSetsAt(route53, ids.zoneId, `www.${ROUTED_ZONE}`)),
    ];
    const api = await apigw.send(new ag.GetRestApiCommand({ restApiId: ids.apiId }));
    const stage = await apigw.send(new ag.GetStageCommand({ restApiId: ids.apiId, stageName: ROUTED_STAGE }));
    const authorizers = (await apigw.send(new ag.GetAuthorizersCommand({ restApiId: ids.apiId }))).items ?? [];
    const sortKey = (r: { Name?: string; Type?: string; SetIdentifier?: string }) => `${r.Name} ${r.Type} ${r.SetIdentifier ?? ''}`;
    return JSON.parse(
      JSON.stringify({
        records: records.sort((a, b) => sortKey(a).localeCompare(sortKey(b))),
        authorizers: Object.fromEntries(authorizers.map((a) => [a.name ?? '?', [...(a.providerARNs ?? [])].sort()])),
        policy: normalizePolicy(api.policy ?? null),
        stageVariables: stage.variables ?? {},
      }),
    ) as Record<string, Json>;
  } finally {
    route53.destroy();
    apigw.destroy();
  }
}
