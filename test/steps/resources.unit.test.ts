import { describe, expect, it } from 'vitest';
import { getStepType } from '../../src/steps/index.js';

/** The resource keys the whole-phase plan threads predicted state along (DESIGN.md). */
function keys(type: string, params: unknown): string[] {
  const t = getStepType(type);
  if (!t?.resources) throw new Error(`${type} names no resources`);
  return t.resources(t.params.parse(params));
}

describe('resource keys of the mutating step types', () => {
  it('every mutating AWS step type names its resources', () => {
    for (const name of [
      'route53.switchRecord',
      'apigateway.restrictMethods',
      'apigateway.setAuthorizerPool',
      'apigateway.setStageVariables',
    ]) {
      expect(getStepType(name)?.resources, name).toBeTypeOf('function');
    }
  });

  it('route53.switchRecord: zone, fully qualified name, type and set identifier', () => {
    expect(
      keys('route53.switchRecord', { zone: 'TIS.nhs.uk.', name: 'Apps.tis.nhs.uk', alias: { cloudfront: 'd1.cloudfront.net' } }),
    ).toEqual(['route53:tis.nhs.uk/apps.tis.nhs.uk./A/']);
    expect(
      keys('route53.switchRecord', { zoneId: 'Z1', name: 'apps.tis.nhs.uk.', values: ['x.example.net'], setIdentifier: 'blue' }),
    ).toEqual(['route53:Z1/apps.tis.nhs.uk./CNAME/blue']);
  });

  it('mid.2 and mid.5b (restrictMethods on one API, any stage) share the API policy key', () => {
    const restrict = keys('apigateway.restrictMethods', { restApiName: 'usermanagement-api', stage: 'prod', allow: ['GET'] });
    const lift = keys('apigateway.restrictMethods', {
      restApiName: 'usermanagement-api',
      stage: 'prod',
      allow: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'],
    });
    expect(restrict).toEqual(['apigateway:name=usermanagement-api/policy']);
    expect(lift).toEqual(restrict);
    expect(keys('apigateway.restrictMethods', { restApiId: 'abc123', stage: 'dev' })).toEqual(['apigateway:abc123/policy']);
  });

  it('setAuthorizerPool: the authorizer; setStageVariables: the stage variables', () => {
    expect(
      keys('apigateway.setAuthorizerPool', { restApiName: 'reval-api', authorizerName: 'reval-cognito', userPoolName: 'p', stage: 'prod' }),
    ).toEqual(['apigateway:name=reval-api/authorizer/reval-cognito']);
    expect(keys('apigateway.setStageVariables', { restApiName: 'usermanagement-api', stage: 'prod', variables: { a: 'b' } })).toEqual([
      'apigateway:name=usermanagement-api/prod/variables',
    ]);
  });
});
