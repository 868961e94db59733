import { isReadOnlyCommand } from '../aws/clients.js';

export interface Operation {
  service: string;
  operation: string;
  write: boolean;
}

/** "AWS4-HMAC-SHA256 Credential=AKID/20250101/eu-west-2/cognito-idp/aws4_request, ..." -> "cognito-idp". */
export function serviceOf(authorization: string | undefined): string | undefined {
  const match = /Credential=[^/,\s]+\/\d{8}\/[^/]+\/([^/]+)\/aws4_request/.exec(authorization ?? '');
  return match?.[1];
}

interface Resource {
  /** Path pattern; `*` is one segment. */
  path: string;
  /** Name of one item (GetAuthorizer, UpdateAuthorizer, DeleteAuthorizer, Put...). */
  one: string;
  /** Name of the collection (GetAuthorizers / ListHostedZones), when the path names a collection. */
  many?: string;
  /** Overrides, by HTTP method, where the API's name does not follow the pattern. */
  names?: Partial<Record<string, string>>;
}

/** API Gateway names operations Get/Create/Update/Delete/Put + resource. */
const APIGATEWAY: Resource[] = [
  { path: '/restapis', one: 'RestApi', many: 'RestApis' },
  { path: '/restapis/*', one: 'RestApi' },
  { path: '/restapis/*/authorizers', one: 'Authorizer', many: 'Authorizers' },
  { path: '/restapis/*/authorizers/*', one: 'Authorizer' },
  { path: '/restapis/*/deployments', one: 'Deployment', many: 'Deployments' },
  { path: '/restapis/*/deployments/*', one: 'Deployment' },
  { path: '/restapis/*/stages', one: 'Stage', many: 'Stages' },
  { path: '/restapis/*/stages/*', one: 'Stage' },
  { path: '/restapis/*/resources', one: 'Resource', many: 'Resources' },
  { path: '/restapis/*/resources/*', one: 'Resource', names: { POST: 'CreateResource' } },
  { path: '/restapis/*/resources/*/methods/*', one: 'Method' },
  { path: '/restapis/*/resources/*/methods/*/responses/*', one: 'MethodResponse' },
  { path: '/restapis/*/resources/*/methods/*/integration', one: 'Integration' },
  { path: '/restapis/*/resources/*/methods/*/integration/responses/*', one: 'IntegrationResponse' },
  { path: '/restapis/*/models', one: 'Model', many: 'Models' },
  { path: '/restapis/*/models/*', one: 'Model' },
  { path: '/restapis/*/requestvalidators', one: 'RequestValidator', many: 'RequestValidators' },
  { path: '/restapis/*/requestvalidators/*', one: 'RequestValidator' },
  { path: '/restapis/*/gatewayresponses', one: 'GatewayResponse', many: 'GatewayResponses' },
  { path: '/restapis/*/gatewayresponses/*', one: 'GatewayResponse' },
  { path: '/domainnames', one: 'DomainName', many: 'DomainNames' },
  { path: '/domainnames/*', one: 'DomainName' },
  { path: '/domainnames/*/basepathmappings', one: 'BasePathMapping', many: 'BasePathMappings' },
  { path: '/domainnames/*/basepathmappings/*', one: 'BasePathMapping' },
  { path: '/apikeys', one: 'ApiKey', many: 'ApiKeys' },
  { path: '/apikeys/*', one: 'ApiKey' },
  { path: '/usageplans', one: 'UsagePlan', many: 'UsagePlans' },
  { path: '/usageplans/*', one: 'UsagePlan' },
  { path: '/account', one: 'Account' },
  { path: '/tags/*', one: 'Tags', names: { GET: 'GetTags', PUT: 'TagResource', DELETE: 'UntagResource' } },
];

/** Route 53 (under /2013-04-01) and CloudFront (under /2020-05-31) name their operations one by one. */
const ROUTE53: Resource[] = [
  { path: '/hostedzone', one: 'HostedZone', names: { GET: 'ListHostedZones', POST: 'CreateHostedZone' } },
  { path: '/hostedzone/*', one: 'HostedZone', names: { POST: 'UpdateHostedZoneComment' } },
  { path: '/hostedzone/*/rrset', one: 'ResourceRecordSets', names: { GET: 'ListResourceRecordSets', POST: 'ChangeResourceRecordSets' } },
  { path: '/hostedzonesbyname', one: 'HostedZonesByName', names: { GET: 'ListHostedZonesByName' } },
  { path: '/hostedzonecount', one: 'HostedZoneCount' },
  { path: '/change/*', one: 'Change' },
  { path: '/testdnsanswer', one: 'TestDNSAnswer', names: { GET: 'TestDNSAnswer' } },
  { path: '/healthcheck', one: 'HealthCheck', names: { GET: 'ListHealthChecks', POST: 'CreateHealthCheck' } },
  { path: '/healthcheck/*', one: 'HealthCheck', names: { POST: 'UpdateHealthCheck' } },
  { path: '/tags/*/*', one: 'TagsForResource', names: { GET: 'ListTagsForResource', POST: 'ChangeTagsForResource' } },
];

const CLOUDFRONT: Resource[] = [
  { path: '/distribution', one: 'Distribution', names: { GET: 'ListDistributions', POST: 'CreateDistribution' } },
  { path: '/distribution/*', one: 'Distribution' },
  { path: '/distribution/*/config', one: 'DistributionConfig', names: { PUT: 'UpdateDistribution' } },
  { path: '/distribution/*/invalidation', one: 'Invalidation', names: { GET: 'ListInvalidations', POST: 'CreateInvalidation' } },
  { path: '/distribution/*/invalidation/*', one: 'Invalidation' },
  {
    path: '/origin-access-control',
    one: 'OriginAccessControl',
    names: { GET: 'ListOriginAccessControls', POST: 'CreateOriginAccessControl' },
  },
  { path: '/origin-access-control/*', one: 'OriginAccessControl' },
  { path: '/origin-access-control/*/config', one: 'OriginAccessControlConfig', names: { PUT: 'UpdateOriginAccessControl' } },
  { path: '/tagging', one: 'Tagging', names: { GET: 'ListTagsForResource' } },
];

const REST: Record<string, { prefix: string; resources: Resource[] }> = {
  apigateway: { prefix: '', resources: APIGATEWAY },
  route53: { prefix: '/2013-04-01', resources: ROUTE53 },
  cloudfront: { prefix: '/2020-05-31', resources: CLOUDFRONT },
};

const VERB: Record<string, string> = { GET: 'Get', POST: 'Create', PUT: 'Put', PATCH: 'Update', DELETE: 'Delete' };

function matches(pattern: string, path: string): boolean {
  const want = pattern.split('/');
  const got = path.split('/');
  return want.length === got.length && want.every((segment, i) => segment === '*' || segment === got[i]);
}

function restOperation(service: string, method: string, path: string, query: URLSearchParams): string | undefined {
  const api = REST[service];
  if (!api || !path.startsWith(api.prefix)) return undefined;
  const rest = path.slice(api.prefix.length).replace(/\/+$/, '') || '/';
  const resource = api.resources.find((r) => matches(r.path, rest));
  if (!resource) return undefined;
  if (service === 'cloudfront' && resource.path === '/tagging' && method === 'POST') {
    return query.get('Operation') === 'Untag' ? 'UntagResource' : 'TagResource';
  }
  if (service === 'cloudfront' && resource.path === '/distribution' && method === 'POST' && query.has('WithTags'))
    return 'CreateDistributionWithTags';
  const named = resource.names?.[method];
  if (named) return named;
  if (method === 'GET' && resource.many) return `${service === 'apigateway' ? 'Get' : 'List'}${resource.many}`;
  const verb = VERB[method];
  return verb ? `${verb}${resource.one}` : undefined;
}

/**
 * Service from the SigV4 credential scope; operation from X-Amz-Target (JSON protocols),
 * Action= (query protocol, in the query string or the form body), or method + path (REST).
 * Anything unrecognised is named "<METHOD> <path>" and counts as a write unless GET/HEAD.
 */
export function classify(
  request: { method: string; url: string; headers: Record<string, string | string[] | undefined> },
  formBody?: string,
): Operation {
  const header = (name: string): string | undefined => {
    const value = request.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const service = serviceOf(header('authorization')) ?? 'unknown';
  const url = new URL(request.url, 'http://sandbox');
  const target = header('x-amz-target');
  const action = url.searchParams.get('Action') ?? (formBody ? new URLSearchParams(formBody).get('Action') : null);
  const operation = target
    ? target.slice(target.lastIndexOf('.') + 1)
    : (action ?? restOperation(service, request.method, url.pathname, url.searchParams));
  if (operation) return { service, operation, write: !isReadOnlyCommand(operation) };
  return { service, operation: `${request.method} ${url.pathname}`, write: request.method !== 'GET' && request.method !== 'HEAD' };
}
