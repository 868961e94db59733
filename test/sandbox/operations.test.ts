import { describe, expect, it } from 'vitest';
import { classify } from '../../src/sandbox/operations.js';

const auth = (service: string) =>
  `AWS4-HMAC-SHA256 Credential=testing/20250101/eu-west-2/${service}/aws4_request, SignedHeaders=host, Signature=abc`;
const rest = (service: string, method: string, url: string) => {
  const op = classify({ method, url, headers: { authorization: auth(service) } });
  return `${op.operation} ${op.write ? 'write' : 'read'}`;
};

describe('classify', () => {
  it.each([
    ['route53', 'POST', '/2013-04-01/hostedzone', 'CreateHostedZone write'],
    ['route53', 'GET', '/2013-04-01/hostedzone?maxitems=10', 'ListHostedZones read'],
    ['route53', 'GET', '/2013-04-01/hostedzone/Z1', 'GetHostedZone read'],
    ['route53', 'POST', '/2013-04-01/hostedzone/Z1/rrset/', 'ChangeResourceRecordSets write'],
    ['route53', 'GET', '/2013-04-01/hostedzone/Z1/rrset', 'ListResourceRecordSets read'],
    ['route53', 'GET', '/2013-04-01/change/C123', 'GetChange read'],
    ['route53', 'GET', '/2013-04-01/testdnsanswer?hostedzoneid=Z1&recordname=a&recordtype=A', 'TestDNSAnswer read'],
    ['route53', 'GET', '/2013-04-01/hostedzonesbyname?dnsname=x', 'ListHostedZonesByName read'],
    ['apigateway', 'PATCH', '/restapis/a1/authorizers/b2', 'UpdateAuthorizer write'],
    ['apigateway', 'GET', '/restapis/a1/authorizers/b2', 'GetAuthorizer read'],
    ['apigateway', 'GET', '/restapis/a1/authorizers', 'GetAuthorizers read'],
    ['apigateway', 'POST', '/restapis/a1/deployments', 'CreateDeployment write'],
    ['apigateway', 'PATCH', '/restapis/a1/stages/prod', 'UpdateStage write'],
    ['apigateway', 'PATCH', '/restapis/a1', 'UpdateRestApi write'],
    ['apigateway', 'GET', '/restapis', 'GetRestApis read'],
    ['apigateway', 'POST', '/restapis/a1/resources/r0', 'CreateResource write'],
    ['apigateway', 'PUT', '/restapis/a1/resources/r0/methods/GET/integration', 'PutIntegration write'],
    ['cloudfront', 'GET', '/2020-05-31/distribution/E1/config', 'GetDistributionConfig read'],
    ['cloudfront', 'PUT', '/2020-05-31/distribution/E1/config', 'UpdateDistribution write'],
    ['cloudfront', 'POST', '/2020-05-31/distribution/E1/invalidation', 'CreateInvalidation write'],
    ['cloudfront', 'POST', '/2020-05-31/distribution?WithTags', 'CreateDistributionWithTags write'],
    ['apigateway', 'POST', '/somewhere/new', 'POST /somewhere/new write'],
    ['apigateway', 'GET', '/somewhere/new', 'GET /somewhere/new read'],
  ])('%s %s %s -> %s', (service, method, url, expected) => {
    expect(rest(service, method, url)).toBe(expected);
  });

  it('reads JSON targets, query actions and form bodies', () => {
    expect(
      classify({
        method: 'POST',
        url: '/',
        headers: { authorization: auth('cognito-idp'), 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminDisableUser' },
      }),
    ).toEqual({
      service: 'cognito-idp',
      operation: 'AdminDisableUser',
      write: true,
    });
    expect(
      classify({
        method: 'POST',
        url: '/',
        headers: { authorization: auth('cognito-idp'), 'x-amz-target': 'AWSCognitoIdentityProviderService.AdminGetUser' },
      }).write,
    ).toBe(false);
    expect(
      classify({ method: 'GET', url: '/?Action=GetCallerIdentity&Version=2011-06-15', headers: { authorization: auth('sts') } }),
    ).toEqual({ service: 'sts', operation: 'GetCallerIdentity', write: false });
    expect(classify({ method: 'POST', url: '/', headers: { authorization: auth('sts') } }, 'Action=AssumeRole&Version=2011-06-15')).toEqual(
      { service: 'sts', operation: 'AssumeRole', write: true },
    );
    expect(classify({ method: 'GET', url: '/moto-api/data.json', headers: {} })).toEqual({
      service: 'unknown',
      operation: 'GET /moto-api/data.json',
      write: false,
    });
  });
});
