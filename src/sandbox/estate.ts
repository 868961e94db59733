import type { Json } from '../steps/types.js';
import { fqdn, listRecordSetsAt } from '../aws/route53.js';
import { normalizePolicy } from '../steps/support/policy.js';

/**
 * A TIS-like estate (see shared/TIS-ESTATE.md), seeded through the unmodified SDK clients so the
 * runbook meets the same wire formats it meets in AWS. Ids are moto's own: the runbook's sandbox
 * environment reads them from the MIGRATE_SANDBOX_* variables.
 */
export interface EstateIds {
  /** Bare hosted zone id, without the /hostedzone/ prefix. */
  zoneId: string;
  adminsDistributionId: string;
  /** dxxxxxxxxxxxxx.cloudfront.net: what mid 3 points apps.tis.nhs.uk at. */
  adminsDistributionDomain: string;
  revalDistributionId: string;
  newPoolId: string;
  newPoolArn: string;
  oldPoolId: string;
  oldPoolArn: string;
  adminsApiId: string;
  revalApiId: string;
  revalAuthorizerId: string;
  userManagementApiId: string;
  stage: 'sandbox';
  accountId: string;
}

export interface SeedOptions {
  region?: string;
  /** Skips the STS call that otherwise tells which account moto stores things under. */
  accountId?: string;
}

export const ZONE_NAME = 'tis.nhs.uk';
export const ADMINS_HOST = 'apps.tis.nhs.uk';
export const ADMINS_ORIGIN_HOST = 'admins-ui-origin.tis.nhs.uk';
export const ADMINS_ORIGIN_ADDRESS = '192.0.2.10';
export const REVAL_HOST = 'revalidation.tis.nhs.uk';
export const NEW_POOL_NAME = 'tis-sandbox';
export const OLD_POOL_NAME = 'reval-sandbox';
export const REVAL_AUTHORIZER_NAME = 'reval-cognito';
export const STAGE = 'sandbox';
export const ROLE_GROUPS = ['RevalAdmin', 'RevalApprover', 'HEE Admin'] as const;
const DEFAULT_REGION = 'eu-west-2';
const RECORD_TTL = 300;

/** Dummy credentials: moto accepts anything, and these can never reach a real account. */
export function sandboxClientConfig(endpoint: string, region: string = DEFAULT_REGION) {
  return { endpoint, region, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' }, maxAttempts: 2 };
}

export async function seedEstate(endpoint: string, options: SeedOptions = {}): Promise<EstateIds> {
  const region = options.region ?? DEFAULT_REGION;
  const config = sandboxClientConfig(endpoint, region);
  const accountId = options.accountId ?? (await callerAccount(config));

  // Independent services in parallel; Route 53 last, as it names the Reval distribution's domain.
  const [cloudfront, cognito] = await Promise.all([seedCloudFront(config), seedCognito(config, region, accountId)]);
  const apis = await seedApis(config, cognito.oldPoolArn);
  const zoneId = await seedZone(config, cloudfront.revalDistributionDomain);

  return {
    zoneId,
    adminsDistributionId: cloudfront.adminsDistributionId,
    adminsDistributionDomain: cloudfront.adminsDistributionDomain,
    revalDistributionId: cloudfront.revalDistributionId,
    ...cognito,
    ...apis,
    stage: STAGE,
    accountId,
  };
}

type ClientConfig = ReturnType<typeof sandboxClientConfig>;

async function callerAccount(config: ClientConfig): Promise<string> {
  const { STSClient, GetCallerIdentityCommand } = await import('../aws/sdk/sts.js');
  const sts = new STSClient(config);
  try {
    const account = (await sts.send(new GetCallerIdentityCommand({}))).Account;
    if (!account) throw new Error('STS GetCallerIdentity named no account');
    return account;
  } finally {
    sts.destroy();
  }
}

async function seedCloudFront(config: ClientConfig) {
  const cf = await import('../aws/sdk/cloudfront.js');
  const client = new cf.CloudFrontClient(config);
  const create = async (reference: string, comment: string, alias: string, bucketDomain: string) => {
    const originId = `s3-${reference}`;
    const out = await client.send(
      new cf.CreateDistributionCommand({
        DistributionConfig: {
          CallerReference: reference,
          Comment: comment,
          Enabled: true,
          Aliases: { Quantity: 1, Items: [alias] },
          DefaultRootObject: 'index.html',
          Origins: { Quantity: 1, Items: [{ Id: originId, DomainName: bucketDomain, S3OriginConfig: { OriginAccessIdentity: '' } }] },
          DefaultCacheBehavior: {
            TargetOriginId: originId,
            ViewerProtocolPolicy: 'redirect-to-https',
            MinTTL: 0,
            ForwardedValues: { QueryString: false, Cookies: { Forward: 'none' } },
            TrustedSigners: { Enabled: false, Quantity: 0 },
          },
        },
      }),
    );
    const distribution = out.Distribution;
    if (!distribution?.Id || !distribution.DomainName)
      throw new Error(`CloudFront CreateDistribution (${comment}) returned no id or domain`);
    return { id: distribution.Id, domain: distribution.DomainName };
  };
  try {
    const admins = await create('tis-admins-ui-sandbox', 'Admins-UI', ADMINS_HOST, 'tis-admins-ui-sandbox.s3.eu-west-2.amazonaws.com');
    const reval = await create('tis-reval-ui-sandbox', 'Reval UI', REVAL_HOST, 'tis-reval-ui-sandbox.s3.eu-west-2.amazonaws.com');
    return {
      adminsDistributionId: admins.id,
      adminsDistributionDomain: admins.domain,
      revalDistributionId: reval.id,
      revalDistributionDomain: reval.domain,
    };
  } finally {
    client.destroy();
  }
}

async function seedCognito(config: ClientConfig, region: string, accountId: string) {
  const idp = await import('../aws/sdk/cognito.js');
  const client = new idp.CognitoIdentityProviderClient(config);
  const lambda = (name: string) => `arn:aws:lambda:${region}:${accountId}:function:${name}`;
  const appClient = (UserPoolId: string, ClientName: string, callback: string) =>
    client.send(
      new idp.CreateUserPoolClientCommand({
        UserPoolId,
        ClientName,
        GenerateSecret: false,
        AllowedOAuthFlowsUserPoolClient: true,
        AllowedOAuthFlows: ['code'],
        AllowedOAuthScopes: ['openid', 'email', 'profile'],
        CallbackURLs: [callback],
        LogoutURLs: [callback],
        SupportedIdentityProviders: ['COGNITO'],
        ExplicitAuthFlows: ['ALLOW_USER_SRP_AUTH', 'ALLOW_REFRESH_TOKEN_AUTH'],
      }),
    );
  try {
    const old = (await client.send(new idp.CreateUserPoolCommand({ PoolName: OLD_POOL_NAME, UsernameAttributes: ['email'] }))).UserPool;
    const created = (
      await client.send(
        new idp.CreateUserPoolCommand({
          PoolName: NEW_POOL_NAME,
          // Cognito's default policy, spelled out: pre 1a asserts exactly this.
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
            UserMigration: lambda('tis-cognito-user-migration'),
            PreTokenGeneration: lambda('tis-cognito-pre-token-generation'),
          },
          EmailConfiguration: {
            From: 'TIS <no-reply@tis.nhs.uk>',
            EmailSendingAccount: 'DEVELOPER',
            SourceArn: `arn:aws:ses:${region}:${accountId}:identity/no-reply@tis.nhs.uk`,
          },
          UsernameAttributes: ['email'],
          AutoVerifiedAttributes: ['email'],
          MfaConfiguration: 'OPTIONAL',
        }),
      )
    ).UserPool;
    if (!old?.Id || !old.Arn || !created?.Id || !created.Arn) throw new Error('Cognito CreateUserPool returned no id or ARN');
    const newPoolId = created.Id;
    // TOTP is a separate call: CreateUserPool can say MFA is optional but not which factor.
    await client.send(
      new idp.SetUserPoolMfaConfigCommand({
        UserPoolId: newPoolId,
        MfaConfiguration: 'OPTIONAL',
        SoftwareTokenMfaConfiguration: { Enabled: true },
      }),
    );
    await client.send(new idp.CreateUserPoolDomainCommand({ UserPoolId: newPoolId, Domain: NEW_POOL_NAME }));
    await appClient(newPoolId, 'admins-ui', `https://${ADMINS_HOST}/`);
    await appClient(newPoolId, 'reval', `https://${REVAL_HOST}/`);
    await appClient(old.Id, 'reval', `https://${REVAL_HOST}/`);
    for (const GroupName of ROLE_GROUPS)
      await client.send(new idp.CreateGroupCommand({ UserPoolId: newPoolId, GroupName, Description: `TIS role ${GroupName}` }));
    return { newPoolId, newPoolArn: created.Arn, oldPoolId: old.Id, oldPoolArn: old.Arn };
  } finally {
    client.destroy();
  }
}

interface MethodSpec {
  path: string;
  methods: string[];
  authorizer?: boolean;
}

async function seedApis(config: ClientConfig, oldPoolArn: string) {
  const ag = await import('../aws/sdk/apigateway.js');
  const client = new ag.APIGatewayClient(config);

  async function api(
    name: string,
    backend: string,
    routes: MethodSpec[],
    extra: { authorizerPoolArn?: string; variables?: Record<string, string> } = {},
  ) {
    const created = await client.send(
      new ag.CreateRestApiCommand({ name, description: `TIS ${name} (sandbox)`, endpointConfiguration: { types: ['REGIONAL'] } }),
    );
    const restApiId = created.id;
    const rootId = created.rootResourceId;
    if (!restApiId || !rootId) throw new Error(`API Gateway CreateRestApi (${name}) returned no id`);
    let authorizerId: string | undefined;
    if (extra.authorizerPoolArn) {
      authorizerId = (
        await client.send(
          new ag.CreateAuthorizerCommand({
            restApiId,
            name: REVAL_AUTHORIZER_NAME,
            type: 'COGNITO_USER_POOLS',
            providerARNs: [extra.authorizerPoolArn],
            identitySource: 'method.request.header.Authorization',
          }),
        )
      ).id;
      if (!authorizerId) throw new Error(`API Gateway CreateAuthorizer (${name}) returned no id`);
    }
    const resourceIds = new Map<string, string>([['', rootId]]);
    const resourceFor = async (path: string): Promise<string> => {
      let parent = '';
      for (const part of path.split('/').filter(Boolean)) {
        const here = `${parent}/${part}`;
        if (!resourceIds.has(here)) {
          const made = await client.send(
            new ag.CreateResourceCommand({ restApiId, parentId: resourceIds.get(parent) ?? rootId, pathPart: part }),
          );
          if (!made.id) throw new Error(`API Gateway CreateResource ${here} returned no id`);
          resourceIds.set(here, made.id);
        }
        parent = here;
      }
      return resourceIds.get(parent) ?? rootId;
    };
    for (const route of routes) {
      const resourceId = await resourceFor(route.path);
      const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] ?? '');
      for (const httpMethod of route.methods) {
        await client.send(
          new ag.PutMethodCommand({
            restApiId,
            resourceId,
            httpMethod,
            ...(route.authorizer && authorizerId
              ? { authorizationType: 'COGNITO_USER_POOLS', authorizerId }
              : { authorizationType: 'NONE' }),
            ...(params.length ? { requestParameters: Object.fromEntries(params.map((p) => [`method.request.path.${p}`, true])) } : {}),
          }),
        );
        await client.send(
          new ag.PutIntegrationCommand({
            restApiId,
            resourceId,
            httpMethod,
            type: 'HTTP_PROXY',
            integrationHttpMethod: httpMethod,
            uri: `${backend}${route.path}`,
            ...(params.length
              ? { requestParameters: Object.fromEntries(params.map((p) => [`integration.request.path.${p}`, `method.request.path.${p}`])) }
              : {}),
          }),
        );
      }
    }
    await client.send(
      new ag.CreateDeploymentCommand({
        restApiId,
        stageName: STAGE,
        description: 'seeded',
        ...(extra.variables ? { variables: extra.variables } : {}),
      }),
    );
    return { restApiId, authorizerId };
  }

  try {
    const admins = await api('admins-api', 'http://admins.sandbox.internal', [{ path: '/api/users', methods: ['GET'] }]);
    const reval = await api(
      'reval-api',
      'http://reval.sandbox.internal',
      [
        { path: '/api/v1/doctors', methods: ['GET'], authorizer: true },
        { path: '/api/recommendation', methods: ['GET', 'POST'], authorizer: true },
      ],
      { authorizerPoolArn: oldPoolArn },
    );
    const userManagement = await api(
      'usermanagement-api',
      'http://usermanagement.sandbox.internal/usermanagement',
      [
        { path: '/api/users', methods: ['GET', 'POST'] },
        { path: '/api/users/{username}', methods: ['GET', 'PUT', 'DELETE'] },
      ],
      { variables: { authenticationProvider: 'keycloak', keycloakRealm: 'lin' } },
    );
    if (!reval.authorizerId) throw new Error('reval-api has no authorizer');
    return {
      adminsApiId: admins.restApiId,
      revalApiId: reval.restApiId,
      revalAuthorizerId: reval.authorizerId,
      userManagementApiId: userManagement.restApiId,
    };
  } finally {
    client.destroy();
  }
}

async function seedZone(config: ClientConfig, revalDistributionDomain: string): Promise<string> {
  const r53 = await import('../aws/sdk/route53.js');
  const client = new r53.Route53Client(config);
  try {
    const zone = await client.send(
      new r53.CreateHostedZoneCommand({
        Name: ZONE_NAME,
        CallerReference: `migrate-sandbox-${Date.now()}`,
        HostedZoneConfig: { PrivateZone: false, Comment: 'TIS (sandbox)' },
      }),
    );
    const zoneId = bareZoneId(zone.HostedZone?.Id);
    const record = (Name: string, Type: 'A' | 'CNAME', Value: string) => ({
      Action: 'CREATE' as const,
      ResourceRecordSet: { Name, Type, TTL: RECORD_TTL, ResourceRecords: [{ Value }] },
    });
    await client.send(
      new r53.ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: 'TIS estate as before the migration',
          Changes: [
            record(ADMINS_ORIGIN_HOST, 'A', ADMINS_ORIGIN_ADDRESS),
            record(ADMINS_HOST, 'CNAME', ADMINS_ORIGIN_HOST),
            record(REVAL_HOST, 'CNAME', revalDistributionDomain),
          ],
        },
      }),
    );
    return zoneId;
  } finally {
    client.destroy();
  }
}

export function bareZoneId(id: string | undefined): string {
  if (!id) throw new Error('Route 53 CreateHostedZone returned no id');
  return id.replace(/^\/hostedzone\//, '');
}

/** The parts of the estate the plan changes, as plain JSON, for "is it back where it was?". */
export interface EstateSnapshot {
  /** Every record set named apps.tis.nhs.uk, as ListResourceRecordSets returns it, sorted by type. */
  appsRecordSets: Json[];
  revalProviderArns: string[];
  /** The policy's meaning (normalizePolicy: escaping, spacing, order and ARN shorthand aside); null when there is none. */
  userManagementPolicy: string | null;
  userManagementStageVariables: Record<string, string>;
  /** Status codes of the health answers, when a health URL was given. */
  health?: { adminsUi: number; reval: number; userManagementRead: number; userManagementWrite: number };
}

export async function snapshotEstate(
  endpoint: string,
  ids: EstateIds,
  options: { healthUrl?: string; region?: string } = {},
): Promise<EstateSnapshot> {
  const config = sandboxClientConfig(endpoint, options.region);
  const [r53, ag] = await Promise.all([import('../aws/sdk/route53.js'), import('../aws/sdk/apigateway.js')]);
  const route53 = new r53.Route53Client(config);
  const apigw = new ag.APIGatewayClient(config);
  try {
    const [records, authorizer, api, stage] = await Promise.all([
      listRecordSets(route53, r53, ids.zoneId, ADMINS_HOST),
      apigw.send(new ag.GetAuthorizerCommand({ restApiId: ids.revalApiId, authorizerId: ids.revalAuthorizerId })),
      apigw.send(new ag.GetRestApiCommand({ restApiId: ids.userManagementApiId })),
      apigw.send(new ag.GetStageCommand({ restApiId: ids.userManagementApiId, stageName: ids.stage })),
    ]);
    const snapshot: EstateSnapshot = {
      appsRecordSets: records.map((r) => plainJson(r)).sort((a, b) => String(typeOf(a)).localeCompare(String(typeOf(b)))),
      revalProviderArns: [...(authorizer.providerARNs ?? [])],
      userManagementPolicy: normalizePolicy(api.policy ?? null),
      userManagementStageVariables: { ...(stage.variables ?? {}) },
    };
    if (options.healthUrl) snapshot.health = await healthCodes(options.healthUrl);
    return snapshot;
  } finally {
    route53.destroy();
    apigw.destroy();
  }
}

type Route53Module = typeof import('../aws/sdk/route53.js');
type Route53Client = InstanceType<Route53Module['Route53Client']>;

/** Every record set with exactly this name (all types), following pagination. */
export async function listRecordSets(client: Route53Client, _r53: Route53Module, zoneId: string, name: string) {
  return listRecordSetsAt(client, zoneId, name);
}

export { fqdn };

function plainJson(value: unknown): Json {
  return JSON.parse(JSON.stringify(value)) as Json;
}

function typeOf(value: Json): Json | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? value.Type : undefined;
}

async function healthCodes(url: string): Promise<NonNullable<EstateSnapshot['health']>> {
  const base = url.replace(/\/$/, '');
  const status = async (path: string, init?: RequestInit): Promise<number> => {
    const response = await fetch(`${base}${path}`, init);
    await response.arrayBuffer();
    return response.status;
  };
  const [adminsUi, reval, userManagementRead, userManagementWrite] = await Promise.all([
    status('/admins-ui/'),
    status('/reval/api/v1/doctors'),
    status('/usermanagement/api/users'),
    // The health server only pretends to write: probing it changes nothing.
    status('/usermanagement/api/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"username":"snapshot-probe@tis.nhs.uk"}',
    }),
  ]);
  return { adminsUi, reval, userManagementRead, userManagementWrite };
}
