import type { StepContext } from '../../../src/steps/types.js';
import { unique } from './moto.js';

/** Resources seeded through the SDK, the way Terraform would have left them. */

export interface SeededPool {
  id: string;
  name: string;
  arn: string;
}

export async function seedUserPool(
  ctx: StepContext,
  options: { name?: string; minLength?: number; triggers?: Record<string, string>; from?: string; clients?: string[] } = {},
): Promise<SeededPool> {
  const idp = await import('@aws-sdk/client-cognito-identity-provider');
  const client = await ctx.aws.client(idp.CognitoIdentityProviderClient);
  const name = options.name ?? unique('pool');
  const out = await client.send(
    new idp.CreateUserPoolCommand({
      PoolName: name,
      Policies: {
        PasswordPolicy: {
          MinimumLength: options.minLength ?? 8,
          RequireUppercase: true,
          RequireLowercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
          TemporaryPasswordValidityDays: 7,
        },
      },
      LambdaConfig: options.triggers,
      EmailConfiguration: options.from
        ? { EmailSendingAccount: 'DEVELOPER', SourceArn: 'arn:aws:ses:eu-west-2:123456789012:identity/tis.nhs.uk', From: options.from }
        : { EmailSendingAccount: 'COGNITO_DEFAULT' },
    }),
  );
  const pool = out.UserPool!;
  for (const clientName of options.clients ?? [])
    await client.send(new idp.CreateUserPoolClientCommand({ UserPoolId: pool.Id!, ClientName: clientName }));
  return { id: pool.Id!, name, arn: pool.Arn! };
}

export interface SeededApi {
  id: string;
  name: string;
  stage: string;
  authorizerId?: string;
}

/** A REST API with GET and POST on /api/users (mock integrations), deployed to a stage. */
export async function seedRestApi(
  ctx: StepContext,
  options: {
    name?: string;
    policy?: string;
    stage?: string;
    authorizer?: { name: string; poolArns: string[] };
    variables?: Record<string, string>;
  } = {},
): Promise<SeededApi> {
  const gw = await import('@aws-sdk/client-api-gateway');
  const client = await ctx.aws.client(gw.APIGatewayClient);
  const name = options.name ?? unique('api');
  const api = await client.send(new gw.CreateRestApiCommand({ name, policy: options.policy }));
  const restApiId = api.id!;
  const root = (await client.send(new gw.GetResourcesCommand({ restApiId }))).items!.find((r) => r.path === '/')!;
  const apiRes = await client.send(new gw.CreateResourceCommand({ restApiId, parentId: root.id!, pathPart: 'api' }));
  const users = await client.send(new gw.CreateResourceCommand({ restApiId, parentId: apiRes.id!, pathPart: 'users' }));
  let authorizerId: string | undefined;
  if (options.authorizer) {
    const auth = await client.send(
      new gw.CreateAuthorizerCommand({
        restApiId,
        name: options.authorizer.name,
        type: 'COGNITO_USER_POOLS',
        providerARNs: options.authorizer.poolArns,
        identitySource: 'method.request.header.Authorization',
      }),
    );
    authorizerId = auth.id!;
  }
  for (const httpMethod of ['GET', 'POST']) {
    await client.send(
      new gw.PutMethodCommand({
        restApiId,
        resourceId: users.id!,
        httpMethod,
        authorizationType: authorizerId ? 'COGNITO_USER_POOLS' : 'NONE',
        authorizerId,
      }),
    );
    await client.send(new gw.PutIntegrationCommand({ restApiId, resourceId: users.id!, httpMethod, type: 'MOCK' }));
  }
  const stage = options.stage ?? 'prod';
  await client.send(new gw.CreateDeploymentCommand({ restApiId, stageName: stage, variables: options.variables }));
  return { id: restApiId, name, stage, authorizerId };
}

export interface SeededZone {
  id: string;
  name: string;
}

export async function seedZone(ctx: StepContext, name: string = `${unique('tis')}.nhs.uk`): Promise<SeededZone> {
  const r53 = await import('@aws-sdk/client-route-53');
  const client = await ctx.aws.client(r53.Route53Client);
  const out = await client.send(new r53.CreateHostedZoneCommand({ Name: name, CallerReference: unique('ref') }));
  return { id: out.HostedZone!.Id!.replace('/hostedzone/', ''), name };
}

export async function seedRecord(
  ctx: StepContext,
  zoneId: string,
  record: import('@aws-sdk/client-route-53').ResourceRecordSet,
): Promise<void> {
  const r53 = await import('@aws-sdk/client-route-53');
  const client = await ctx.aws.client(r53.Route53Client);
  await client.send(
    new r53.ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: 'CREATE', ResourceRecordSet: record }] },
    }),
  );
}

export interface SeededDistribution {
  id: string;
  domainName: string;
}

export async function seedDistribution(
  ctx: StepContext,
  options: { aliases?: string[]; enabled?: boolean } = {},
): Promise<SeededDistribution> {
  const cf = await import('@aws-sdk/client-cloudfront');
  const client = await ctx.aws.client(cf.CloudFrontClient);
  const aliases = options.aliases ?? [];
  const out = await client.send(
    new cf.CreateDistributionCommand({
      DistributionConfig: {
        CallerReference: unique('cf'),
        Comment: 'Admins-UI',
        Enabled: options.enabled ?? true,
        Aliases: { Quantity: aliases.length, Items: aliases },
        Origins: {
          Quantity: 1,
          Items: [{ Id: 's3', DomainName: 'admins-ui.s3.eu-west-2.amazonaws.com', S3OriginConfig: { OriginAccessIdentity: '' } }],
        },
        DefaultCacheBehavior: {
          TargetOriginId: 's3',
          ViewerProtocolPolicy: 'redirect-to-https',
          ForwardedValues: { QueryString: false, Cookies: { Forward: 'none' } },
          MinTTL: 0,
          TrustedSigners: { Enabled: false, Quantity: 0 },
        },
      },
    }),
  );
  return { id: out.Distribution!.Id!, domainName: out.Distribution!.DomainName! };
}
