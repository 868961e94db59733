import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { chooseProfile, configuredRegion } from '../../src/aws/config.js';
import { credentialsError } from '../../src/aws/errors.js';

describe('profile choice', () => {
  it('--profile over the environment over AWS_PROFILE', () => {
    expect(chooseProfile('a', 'b', { AWS_PROFILE: 'c' })).toEqual({ profile: 'a', name: 'a', source: '--profile' });
    expect(chooseProfile(undefined, 'b', { AWS_PROFILE: 'c' })).toEqual({ profile: 'b', name: 'b', source: 'environment' });
    expect(chooseProfile(undefined, undefined, { AWS_PROFILE: 'c' })).toEqual({ profile: undefined, name: 'c', source: 'AWS_PROFILE' });
    expect(chooseProfile(undefined, undefined, {})).toMatchObject({ profile: undefined, name: 'default' });
  });
});

describe('region as the AWS CLI resolves it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-awsconfig-'));
  const config = join(dir, 'config');
  writeFileSync(config, '[default]\nregion = eu-west-1\n[profile ops]\nregion = eu-west-2\n');
  const files = { AWS_CONFIG_FILE: config, AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') };
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('AWS_REGION, then AWS_DEFAULT_REGION, then the profile', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, files);
    try {
      expect(await configuredRegion('ops', { AWS_REGION: 'us-east-1', AWS_DEFAULT_REGION: 'eu-west-2' })).toEqual({
        region: 'us-east-1',
        source: 'AWS_REGION',
      });
      expect(await configuredRegion('ops', { AWS_DEFAULT_REGION: 'eu-west-3' })).toEqual({
        region: 'eu-west-3',
        source: 'AWS_DEFAULT_REGION',
      });
      expect(await configuredRegion('ops', files)).toMatchObject({ region: 'eu-west-2', source: expect.stringContaining('profile "ops"') });
      expect(await configuredRegion('default', files)).toMatchObject({ region: 'eu-west-1' });
      expect(await configuredRegion('missing', files)).toBeUndefined();
    } finally {
      process.env = saved;
    }
  });
});

describe('credential failures named for their fix', () => {
  const named = (name: string, message: string) => Object.assign(new Error(message), { name });
  const flag = { name: 'tis-prod', source: '--profile' as const };

  it('an expired SSO session names aws sso login with the profile', () => {
    const e = credentialsError(
      named(
        'CredentialsProviderError',
        'The SSO session associated with this profile has expired. To refresh this SSO session run aws sso login with the corresponding profile.',
      ),
      flag,
    );
    expect(e).toMatchObject({ code: 'AWS_CREDENTIALS', exitCode: 2, hint: expect.stringContaining('aws sso login --profile tis-prod') });
    const t = credentialsError(
      named(
        'TokenProviderError',
        "The SSO session token associated with profile=tis-prod was not found or is invalid. To refresh this SSO session run 'aws sso login' with the corresponding profile.",
      ),
      flag,
    );
    expect(t?.hint).toContain('aws sso login --profile tis-prod');
  });

  it('expired and invalid session tokens, a missing profile, MFA without a terminal', () => {
    expect(credentialsError(named('ExpiredToken', 'The security token included in the request is expired'), flag)?.message).toContain(
      'have expired',
    );
    expect(
      credentialsError(named('InvalidClientTokenId', 'The security token included in the request is invalid.'), flag)?.message,
    ).toContain('does not accept');
    expect(
      credentialsError(
        named('CredentialsProviderError', 'Could not resolve credentials using profile: [x] in configuration/credentials file(s).'),
        flag,
      )?.message,
    ).toContain('is not in the AWS config');
    expect(
      credentialsError(
        named('CredentialsProviderError', 'Profile x requires multi-factor authentication, but no MFA code callback was provided.'),
        flag,
      )?.message,
    ).toContain('MFA');
    expect(credentialsError(named('ThrottlingException', 'Rate exceeded'), flag)).toBeUndefined();
  });
});
