import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { messageOf } from '../errors.js';
import {
  ADMINS_HOST,
  ADMINS_ORIGIN_ADDRESS,
  ADMINS_ORIGIN_HOST,
  REVAL_AUTHORIZER_NAME,
  fqdn,
  listRecordSets,
  sandboxClientConfig,
} from './estate.js';
import type { EstateIds } from './estate.js';

/**
 * Stand-ins for Admins-UI, Reval and UserManagement whose answers follow the state in moto, read
 * through the SDK on every request, so a rehearsal's http.check steps and `migrate watch` see the
 * effect of each change (and of each rollback) the way users would.
 */
export interface HealthServerOptions {
  /** moto itself, not the front proxy: health answers must not be faulted or logged as runbook calls. */
  endpoint: string;
  ids: EstateIds;
  /** Active incident names, asked on every request (the proxy's faults can change while serving). */
  incidents: () => string[];
  port?: number;
  region?: string;
}

export interface HealthServer {
  url: string;
  stop(): Promise<void>;
}

/** The incidents these endpoints act on (the rest of --faults is the proxy's business). */
export const HEALTH_INCIDENTS = ['admins-ui-down', 'reval-down', 'reval-401', 'reval-unreachable'] as const;

export const READ_ONLY_MESSAGE = 'UserManagement is read-only during the Cognito migration';

interface Answer {
  status: number;
  body: string | Record<string, unknown>;
}

const ENDPOINTS = [
  'GET /admins-ui/                      Admins-UI, served from wherever apps.tis.nhs.uk points',
  'GET /reval/api/v1/doctors            Reval API behind the reval-cognito authorizer',
  'GET|POST /reval/api/recommendation   Reval API behind the reval-cognito authorizer',
  'GET /usermanagement/health           UserManagement health, with the stage variables',
  'GET /usermanagement/api/users[/{u}]  UserManagement reads',
  'POST /usermanagement/api/users, PUT|DELETE /usermanagement/api/users/{u}, POST /usermanagement/createUser ...  writes (403 while the API policy denies them)',
];

export async function startHealthServer(options: HealthServerOptions): Promise<HealthServer> {
  const region = options.region ?? 'eu-west-2';
  const config = sandboxClientConfig(options.endpoint, region);
  const [r53, cf, idp, ag] = await Promise.all([
    import('../aws/sdk/route53.js'),
    import('../aws/sdk/cloudfront.js'),
    import('../aws/sdk/cognito.js'),
    import('../aws/sdk/apigateway.js'),
  ]);
  const route53 = new r53.Route53Client(config);
  const cloudfront = new cf.CloudFrontClient(config);
  const apigw = new ag.APIGatewayClient(config);
  const cognitoByRegion = new Map<string, InstanceType<typeof idp.CognitoIdentityProviderClient>>();
  const cognito = (poolRegion: string) => {
    let client = cognitoByRegion.get(poolRegion);
    if (!client) {
      client = new idp.CognitoIdentityProviderClient(sandboxClientConfig(options.endpoint, poolRegion));
      cognitoByRegion.set(poolRegion, client);
    }
    return client;
  };
  const { ids } = options;
  const incident = (name: string) => options.incidents().includes(name);

  async function adminsUi(): Promise<Answer> {
    const records = await listRecordSets(route53, r53, ids.zoneId, ADMINS_HOST);
    const record =
      records.find((r) => r.Type === 'CNAME') ??
      records.find((r) => r.Type === 'A' && r.AliasTarget) ??
      records.find((r) => r.Type === 'AAAA' && r.AliasTarget) ??
      records.find((r) => r.Type === 'A');
    if (!record) return { status: 502, body: `${ADMINS_HOST} has no CNAME, A or alias record in zone ${ids.zoneId}\n` };
    const target = record.AliasTarget?.DNSName ?? (record.Type === 'CNAME' ? record.ResourceRecords?.[0]?.Value : undefined);
    if (!target) {
      const addresses = (record.ResourceRecords ?? []).map((r) => r.Value);
      if (addresses.includes(ADMINS_ORIGIN_ADDRESS)) return { status: 200, body: 'Admins-UI (old origin)\n' };
      return { status: 502, body: `${ADMINS_HOST} points at ${addresses.join(', ') || 'nothing'}, which is not an Admins-UI origin\n` };
    }
    if (fqdn(target) === fqdn(ADMINS_ORIGIN_HOST)) {
      const origin = await listRecordSets(route53, r53, ids.zoneId, ADMINS_ORIGIN_HOST);
      if (!origin.some((r) => r.Type === 'A'))
        return { status: 502, body: `${ADMINS_ORIGIN_HOST} has no A record: the old origin cannot be reached\n` };
      return { status: 200, body: 'Admins-UI (old origin)\n' };
    }
    const distribution = await distributionFor(target);
    if (!distribution)
      return { status: 502, body: `${ADMINS_HOST} points at ${target}, which is neither the old origin nor a CloudFront distribution\n` };
    if (!distribution.enabled)
      return { status: 502, body: `${ADMINS_HOST} points at CloudFront distribution ${distribution.id}, which is disabled\n` };
    // CloudFront refuses a Host it has not been given as an alternate domain name.
    if (!distribution.aliases.includes(fqdn(ADMINS_HOST))) {
      return {
        status: 502,
        body: `CloudFront distribution ${distribution.id} does not list ${ADMINS_HOST} among its aliases, so it refuses the request\n`,
      };
    }
    if (incident('admins-ui-down'))
      return { status: 503, body: `Admins-UI (CloudFront ${distribution.id}) is down: incident admins-ui-down\n` };
    return { status: 200, body: `Admins-UI (CloudFront ${distribution.id})\n` };
  }

  async function distributionFor(domain: string) {
    const wanted = fqdn(domain);
    let Marker: string | undefined;
    do {
      const page = (await cloudfront.send(new cf.ListDistributionsCommand({ Marker }))).DistributionList;
      const hit = page?.Items?.find((d) => fqdn(d.DomainName ?? '') === wanted);
      if (hit?.Id) {
        // moto's list leaves Enabled out, so read the distribution itself.
        const config = (await cloudfront.send(new cf.GetDistributionCommand({ Id: hit.Id }))).Distribution?.DistributionConfig;
        return { id: hit.Id, enabled: config?.Enabled === true, aliases: (config?.Aliases?.Items ?? []).map(fqdn) };
      }
      Marker = page?.IsTruncated ? page.NextMarker : undefined;
    } while (Marker);
    return undefined;
  }

  async function reval(method: string, path: string): Promise<Answer> {
    const authorizer = await revalAuthorizer();
    if (!authorizer) return { status: 502, body: { message: `reval-api ${ids.revalApiId} has no ${REVAL_AUTHORIZER_NAME} authorizer` } };
    const arns = authorizer.providerARNs ?? [];
    if (arns.length === 0) return { status: 502, body: { message: `${REVAL_AUTHORIZER_NAME} names no user pool` } };
    for (const arn of arns) {
      const missing = await poolMissing(arn);
      if (missing) return { status: 502, body: { message: `${REVAL_AUTHORIZER_NAME} cannot validate tokens: ${missing}` } };
    }
    // The authorizer refuses every token of the new pool (a misconfigured app client), as API Gateway would.
    if (incident('reval-401') && arns.includes(ids.newPoolArn)) return { status: 401, body: { message: 'Unauthorized' } };
    if (incident('reval-down') && arns.includes(ids.newPoolArn)) {
      return { status: 503, body: { message: `Reval is down on the TIS user pool (incident reval-down)`, authorizerPools: arns } };
    }
    if (path === '/api/v1/doctors') return { status: 200, body: { doctors: [] } };
    return method === 'POST' ? { status: 201, body: { recommendation: 'created' } } : { status: 200, body: { recommendations: [] } };
  }

  async function revalAuthorizer() {
    try {
      return await apigw.send(new ag.GetAuthorizerCommand({ restApiId: ids.revalApiId, authorizerId: ids.revalAuthorizerId }));
    } catch (error) {
      if (!(error instanceof ag.NotFoundException)) throw error;
      // Recreated rather than updated: find it by name.
      const list = await apigw.send(new ag.GetAuthorizersCommand({ restApiId: ids.revalApiId, limit: 500 }));
      return list.items?.find((a) => a.name === REVAL_AUTHORIZER_NAME);
    }
  }

  /** Why the ARN names no existing pool, or undefined when it does. */
  async function poolMissing(arn: string): Promise<string | undefined> {
    const match = /^arn:aws[\w-]*:cognito-idp:([\w-]+):(\d{12}):userpool\/(.+)$/.exec(arn);
    if (!match) return `"${arn}" is not a user pool ARN`;
    const [, poolRegion = region, , poolId = ''] = match;
    try {
      const pool = (await cognito(poolRegion).send(new idp.DescribeUserPoolCommand({ UserPoolId: poolId }))).UserPool;
      return pool?.Arn === arn ? undefined : `user pool ${poolId} exists but its ARN is ${pool?.Arn ?? 'unknown'}, not ${arn}`;
    } catch (error) {
      if (error instanceof idp.ResourceNotFoundException) return `user pool ${arn} does not exist`;
      throw error;
    }
  }

  async function userManagement(method: string, apiPath: string): Promise<Answer> {
    const route = umRoute(method, apiPath);
    if (!route) return { status: 404, body: { message: `UserManagement has no ${method} ${apiPath}` } };
    const [api, stage] = await Promise.all([
      apigw.send(new ag.GetRestApiCommand({ restApiId: ids.userManagementApiId })),
      apigw.send(new ag.GetStageCommand({ restApiId: ids.userManagementApiId, stageName: ids.stage })).catch((error: unknown) => {
        if (error instanceof ag.NotFoundException) return undefined;
        throw error;
      }),
    ]);
    if (!stage) return { status: 502, body: { message: `usermanagement-api has no stage ${ids.stage}` } };
    const resource = `arn:aws:execute-api:${region}:${ids.accountId}:${ids.userManagementApiId}/${ids.stage}/${method}/${apiPath.replace(/^\//, '')}`;
    const decision = evaluateApiPolicy(api.policy, resource, { region, accountId: ids.accountId, apiId: ids.userManagementApiId });
    if (decision !== 'allow') {
      const denied = `User: anonymous is not authorized to perform: execute-api:Invoke on resource: ${resource}${decision === 'explicit-deny' ? ' with an explicit deny' : ''}`;
      if (decision === 'explicit-deny' && route.write) return { status: 403, body: `${READ_ONLY_MESSAGE}\n(${denied})\n` };
      return { status: 403, body: { Message: denied } };
    }
    const variables = stage.variables ?? {};
    return route.answer(variables);
  }

  async function handle(req: IncomingMessage): Promise<Answer> {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://health').pathname;
    const reading = method === 'GET' || method === 'HEAD';
    if (path === '/' && reading) return { status: 200, body: `Sandbox health endpoints:\n${ENDPOINTS.map((e) => `  ${e}`).join('\n')}\n` };
    if ((path === '/admins-ui/' || path === '/admins-ui') && reading) return adminsUi();
    if (path.startsWith('/reval/')) {
      const apiPath = path.slice('/reval'.length);
      if ((apiPath === '/api/v1/doctors' && reading) || (apiPath === '/api/recommendation' && (reading || method === 'POST')))
        return reval(method, apiPath);
    }
    if (path.startsWith('/usermanagement/'))
      return userManagement(method === 'HEAD' ? 'GET' : method, path.slice('/usermanagement'.length));
    return { status: 404, body: `Not a sandbox endpoint: ${method} ${path}\n\n${ENDPOINTS.join('\n')}\n` };
  }

  const server = createServer((req, res) => {
    // Drain the body: these stand-ins answer from AWS state, not from what is posted.
    req.resume();
    // Reval's authorizer cannot be reached at all: the connection drops without an answer, so a
    // probe errs (it learns nothing) rather than fails.
    if (options.incidents().includes('reval-unreachable') && (req.url ?? '').startsWith('/reval/')) {
      req.socket.destroy();
      return;
    }
    handle(req)
      .catch(
        (error: unknown): Answer => ({ status: 502, body: `sandbox health: could not read the estate from moto: ${messageOf(error)}\n` }),
      )
      .then((answer) => send(res, req.method === 'HEAD', answer))
      .catch(() => res.destroy());
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    stop() {
      stopping ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
        for (const client of [route53, cloudfront, apigw, ...cognitoByRegion.values()]) client.destroy();
      });
      return stopping;
    },
  };
}

function send(res: ServerResponse, head: boolean, answer: Answer): void {
  const json = typeof answer.body !== 'string';
  const text = json ? `${JSON.stringify(answer.body)}\n` : (answer.body as string);
  res.writeHead(answer.status, {
    'content-type': json ? 'application/json' : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(head ? undefined : text);
}

interface UmRoute {
  write: boolean;
  answer(variables: Record<string, string>): Answer;
}

/** UserManagement's endpoints (TIS-USERMANAGEMENT), paths as behind /usermanagement. */
function umRoute(method: string, path: string): UmRoute | undefined {
  const read = (body: (v: Record<string, string>) => Record<string, unknown>): UmRoute => ({
    write: false,
    answer: (v) => ({ status: 200, body: body(v) }),
  });
  const write = (status: number, action: string): UmRoute => ({
    write: true,
    answer: (v) => ({ status, body: { result: action, authenticationProvider: v.authenticationProvider ?? null } }),
  });
  const user = /^\/api\/users\/([^/]+)(\/.*)?$/.exec(path);
  const username = user ? decodeURIComponent(user[1] ?? '') : '';
  const rest = user?.[2] ?? '';
  if (method === 'GET') {
    if (path === '/health')
      return read((v) => ({ status: 'UP', authenticationProvider: v.authenticationProvider ?? null, stageVariables: v }));
    if (path === '/api/users' || path === '/allUsers' || path === '/user')
      return read((v) => ({ users: [], authenticationProvider: v.authenticationProvider ?? null }));
    if (user && rest === '') return read((v) => ({ username, authenticationProvider: v.authenticationProvider ?? null }));
    if (user && rest === '/authevents') return read(() => ({ username, authEvents: [] }));
    return undefined;
  }
  if (method === 'POST') {
    if (path === '/api/users' || path === '/createUser') return write(201, 'created');
    if (['/updateUser', '/updatePassword', '/deleteUser'].includes(path)) return write(200, path.slice(1));
    if (user && (rest === '/mfa/reset' || rest === '/trigger-password-reset')) return write(200, rest.slice(1));
    return undefined;
  }
  if ((method === 'PUT' || method === 'DELETE') && user && rest === '') return write(200, method === 'PUT' ? 'updated' : 'deleted');
  return undefined;
}

export type PolicyDecision = 'allow' | 'explicit-deny' | 'implicit-deny';

/**
 * API Gateway's decision for an anonymous caller of a method with no authorizer, under the REST
 * API's resource policy: no policy allows; otherwise an explicit Deny wins, then an explicit
 * Allow, and anything else is an implicit deny ("resource policy only" workflow). Statements with
 * a Condition are taken to apply: the sandbox has no request context to evaluate them against.
 */
export function evaluateApiPolicy(
  policy: string | undefined | null,
  resource: string,
  api: { region: string; accountId: string; apiId: string },
): PolicyDecision {
  if (!policy?.trim()) return 'allow';
  const document = parsePolicy(policy);
  // A policy API Gateway could not read would not have been saved; deny rather than guess.
  if (document === undefined) return 'implicit-deny';
  const statements = asArray((document as { Statement?: unknown } | null)?.Statement);
  let allowed = false;
  for (const raw of statements) {
    if (!raw || typeof raw !== 'object') continue;
    const statement = raw as Record<string, unknown>;
    if (!principalApplies(statement)) continue;
    if (!actionApplies(statement)) continue;
    if (!resourceApplies(statement, resource, api)) continue;
    if (statement.Effect === 'Deny') return 'explicit-deny';
    if (statement.Effect === 'Allow') allowed = true;
  }
  return allowed ? 'allow' : 'implicit-deny';
}

/** Real API Gateway hands the policy back with its quotes escaped; moto hands it back as stored. */
function parsePolicy(policy: string): unknown {
  for (const text of [policy, policy.replace(/\\"/g, '"')]) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // try the unescaped form next
    }
  }
  return undefined;
}

function asArray(value: unknown): unknown[] {
  if (value === undefined || value === null) return [];
  return Array.isArray(value) ? value : [value];
}

function principalApplies(statement: Record<string, unknown>): boolean {
  if ('NotPrincipal' in statement) return true;
  const principal = statement.Principal;
  if (principal === '*') return true;
  if (principal && typeof principal === 'object') return asArray((principal as Record<string, unknown>).AWS).includes('*');
  return false;
}

function actionApplies(statement: Record<string, unknown>): boolean {
  const matches = (pattern: unknown) => typeof pattern === 'string' && glob(pattern.toLowerCase()).test('execute-api:invoke');
  if ('NotAction' in statement) return !asArray(statement.NotAction).some(matches);
  if (!('Action' in statement)) return false;
  return asArray(statement.Action).some(matches);
}

function resourceApplies(
  statement: Record<string, unknown>,
  resource: string,
  api: { region: string; accountId: string; apiId: string },
): boolean {
  // API Gateway expands "execute-api:/stage/METHOD/path" to the API's own ARN when it saves a policy.
  const expand = (pattern: string) =>
    pattern.startsWith('execute-api:/')
      ? `arn:aws:execute-api:${api.region}:${api.accountId}:${api.apiId}/${pattern.slice('execute-api:/'.length)}`
      : pattern;
  const matches = (pattern: unknown) => typeof pattern === 'string' && glob(expand(pattern)).test(resource);
  if ('NotResource' in statement) return !asArray(statement.NotResource).some(matches);
  return asArray(statement.Resource).some(matches);
}

/** IAM wildcards: * is any run of characters (slashes included), ? is one. */
function glob(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}
