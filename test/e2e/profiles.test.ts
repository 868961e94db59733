import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { baseEnv, cli, runbookCopy, tempDir } from './helpers.js';

/**
 * Issue 16: the operator's own AWS configuration (a HOME with ~/.aws/config and credentials, no
 * AWS_* credentials in the shell) works as it does for the AWS CLI.
 */
describe('AWS profiles and regions as the AWS CLI has them', () => {
  let sandbox: Sandbox;
  const dir = tempDir();
  const home = join(dir.path, 'home');

  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600 });
    mkdirSync(join(home, '.aws', 'sso', 'cache'), { recursive: true });
    writeFileSync(
      join(home, '.aws', 'config'),
      [
        '[profile sbx]',
        'region = eu-west-2',
        '[profile noregion]',
        '[profile elsewhere]',
        'region = us-east-1',
        '[profile chained]',
        'role_arn = arn:aws:iam::000000000000:role/migrate-operator',
        'source_profile = sbx',
        'region = eu-west-2',
        '[profile by-process]',
        `credential_process = ${JSON.stringify(process.execPath)} -e "console.log(JSON.stringify({Version:1,AccessKeyId:'testing',SecretAccessKey:'testing'}))"`,
        'region = eu-west-2',
        '[profile corp-sso]',
        'sso_session = corp',
        'sso_account_id = 000000000000',
        'sso_role_name = Admin',
        'region = eu-west-2',
        '[sso-session corp]',
        'sso_start_url = https://example.awsapps.com/start',
        'sso_region = eu-west-2',
        '',
      ].join('\n'),
    );
    const keys = 'aws_access_key_id = testing\naws_secret_access_key = testing\n';
    writeFileSync(join(home, '.aws', 'credentials'), `[sbx]\n${keys}[noregion]\n${keys}[elsewhere]\n${keys}`);
    // An SSO token that expired an hour ago, as `aws sso login` left it yesterday.
    const token = {
      accessToken: 'expired',
      expiresAt: new Date(Date.now() - 3_600_000).toISOString(),
      region: 'eu-west-2',
      startUrl: 'https://example.awsapps.com/start',
    };
    writeFileSync(join(home, '.aws', 'sso', 'cache', `${createHash('sha1').update('corp').digest('hex')}.json`), JSON.stringify(token));
  });
  afterAll(async () => {
    await sandbox?.stop();
    dir.remove();
  });

  /** The sandbox's endpoint and ids, but the credentials and region only from HOME. */
  function profileEnv(stateDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env = baseEnv({
      ...sandbox.exports,
      HOME: home,
      MIGRATE_STATE_DIR: stateDir,
      AWS_EC2_METADATA_DISABLED: 'true',
      XDG_CACHE_HOME: join(dir.path, 'cache'),
    });
    for (const name of [
      'AWS_ACCESS_KEY_ID',
      'AWS_SECRET_ACCESS_KEY',
      'AWS_SESSION_TOKEN',
      'AWS_REGION',
      'AWS_DEFAULT_REGION',
      'AWS_PROFILE',
      'AWS_CONFIG_FILE',
      'AWS_SHARED_CREDENTIALS_FILE',
    ])
      delete env[name];
    return { ...env, ...extra };
  }

  it('run pre --profile NAME: credentials and region from the profile; the header names it and the caller', async () => {
    const result = await cli(['run', 'pre', '--yes', '--profile', 'sbx'], profileEnv(join(dir.path, 'flag')));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/as arn:aws:.*000000000000.* · profile sbx/);
  });

  it("an environment's profile: works the same, and status names it", async () => {
    const book = runbookCopy(
      dir.path,
      [['  sandbox:\n    region: eu-west-2\n', '  sandbox:\n    region: eu-west-2\n    profile: sbx\n']],
      'with-profile.yaml',
    );
    const state = join(dir.path, 'env-profile');
    const result = await cli(['--runbook', book, 'run', 'pre', '--yes'], profileEnv(state));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('profile sbx');
    const status = await cli(['--runbook', book, 'status', '--json'], profileEnv(state));
    // status makes no AWS call: it names the profile, and the caller the audit log last recorded.
    expect(JSON.parse(status.stdout)).toMatchObject({
      profile: 'sbx',
      lastCaller: { identity: expect.stringContaining(':000000000000:'), command: 'run pre' },
    });
    const text = await cli(['--runbook', book, 'status'], profileEnv(state));
    expect(text.stdout).toMatch(/env sandbox \(000000000000, eu-west-2\) · profile sbx\n.*last AWS caller: arn:aws:/);
    // --profile overrides the environment's: a profile for another region is refused by name.
    const other = await cli(['--runbook', book, 'plan', 'pre', '--profile', 'elsewhere'], profileEnv(state));
    expect(other.code).toBe(2);
    expect(other.stderr).toContain('profile "elsewhere"');
    expect(other.stderr).toContain('us-east-1');
  });

  it('role chaining (source_profile + role_arn) and credential_process work as in the AWS CLI; the header names the assumed role', async () => {
    const chained = await cli(['plan', 'pre', '--profile', 'chained'], profileEnv(join(dir.path, 'chained')));
    expect(chained.stderr).toBe('');
    expect(chained.code).toBe(0);
    expect(chained.stdout).toMatch(/as arn:aws:sts::000000000000:assumed-role\/migrate-operator\/.* · profile chained/);
    const byProcess = await cli(['plan', 'pre', '--profile', 'by-process'], profileEnv(join(dir.path, 'by-process')));
    expect(byProcess.stderr).toBe('');
    expect(byProcess.code).toBe(0);
  });

  it('with only AWS_DEFAULT_REGION set to the environment region, the region check passes', async () => {
    const result = await cli(
      ['plan', 'pre', '--profile', 'noregion'],
      profileEnv(join(dir.path, 'default-region'), { AWS_DEFAULT_REGION: 'eu-west-2' }),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
  });

  it('AWS_DEFAULT_REGION for another region is named as such (not as AWS_REGION)', async () => {
    const result = await cli(
      ['plan', 'pre', '--profile', 'noregion'],
      profileEnv(join(dir.path, 'wrong-region'), { AWS_DEFAULT_REGION: 'us-east-1' }),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('error: AWS_DEFAULT_REGION says us-east-1 but environment "sandbox" is in eu-west-2');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });

  it('an expired SSO session says which command signs in again', async () => {
    const result = await cli(['plan', 'pre', '--profile', 'corp-sso'], profileEnv(join(dir.path, 'sso')));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('the AWS SSO session of profile "corp-sso" (from --profile) has expired or is not signed in');
    expect(result.stderr).toContain('hint: Run: aws sso login --profile corp-sso');
    expect(result.stderr).not.toMatch(/^\s+at /m);
  });
});
