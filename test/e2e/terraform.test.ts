import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RUNBOOK, baseEnv, cli, tempDir, writeRunbook } from './helpers.js';

const OUTPUTS = {
  admins_ui_distribution_domain: { sensitive: false, type: 'string', value: 'd111111abcdef8.cloudfront.net' },
  cognito_user_pool_id: { sensitive: false, type: 'string', value: 'eu-west-2_Abc123' },
  admins_ui_client_secret: { sensitive: true, type: 'string', value: 'super-secret-value-42' },
  subnets: { sensitive: false, type: ['list', 'string'], value: ['a', 'b'] },
};

/** ${tf.NAME} through the compiled CLI: validate --env reads the outputs and locates what is wrong. */
describe('validate with terraform outputs', () => {
  const dir = tempDir('migrate-tf-cli-');
  afterAll(() => dir.remove());

  it('the repository runbook: validate --env sandbox resolves ${tf.…} from the outputs file; a missing output is a located error naming it', async () => {
    const outputs = join(dir.path, 'sandbox-outputs.json');
    writeFileSync(outputs, JSON.stringify(OUTPUTS));
    const env = baseEnv({
      MIGRATE_SANDBOX_TERRAFORM_OUTPUTS: outputs,
      MIGRATE_SANDBOX_HEALTH_URL: 'http://127.0.0.1:9',
      XDG_CACHE_HOME: join(dir.path, 'cache'),
    });
    const ok = await cli(['--runbook', RUNBOOK, 'validate', '--env', 'sandbox'], env);
    expect(ok.stderr).toBe('');
    expect(ok.code).toBe(0);

    const { cognito_user_pool_id: _dropped, ...rest } = OUTPUTS;
    writeFileSync(outputs, JSON.stringify(rest));
    const missing = await cli(['--runbook', RUNBOOK, 'validate', '--env', 'sandbox'], env);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(
      /cognito-migration\.yaml:\d+:\d+ +environments\.sandbox\.vars\.userPoolId +terraform output "cognito_user_pool_id" is not in .*sandbox-outputs\.json/,
    );
    expect(missing.stderr).not.toContain('super-secret-value-42');
  });

  it('a sensitive output used in a runbook is refused without printing it', async () => {
    const sub = join(dir.path, 'sensitive');
    mkdirSync(join(sub, 'tf'), { recursive: true });
    writeFileSync(join(sub, 'tf', 'prod.json'), JSON.stringify(OUTPUTS));
    const file = writeRunbook(
      sub,
      'rb.yaml',
      `version: 1
name: tf-sensitive
environments:
  prod: { region: eu-west-2, account: "123456789012", terraform: { outputs: tf/prod.json } }
phases:
  mid:
    - { id: "1", title: Note, type: manual, with: { instructions: "secret \${tf.admins_ui_client_secret}" } }
`,
    );
    const result = await cli(['--runbook', file, 'validate', '--env', 'prod'], baseEnv({ XDG_CACHE_HOME: join(dir.path, 'cache') }));
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('terraform output "admins_ui_client_secret" is sensitive');
    expect(result.stderr + result.stdout).not.toContain('super-secret-value-42');
  });

  it('validate without --env: ${tf.…} needs an environment with terraform:, nothing more', async () => {
    const file = writeRunbook(
      dir.path,
      'no-tf.yaml',
      `version: 1
name: tf-none
environments:
  prod: { region: eu-west-2, account: "123456789012" }
phases:
  mid:
    - { id: "1", title: Note, type: manual, with: { instructions: "pool \${tf.pool}" } }
`,
    );
    const result = await cli(['--runbook', file, 'validate'], baseEnv({ XDG_CACHE_HOME: join(dir.path, 'cache') }));
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /no-tf\.yaml:7:\d+ +phases\.mid\[0\]\.with\.instructions +\$\{tf\.pool\}: environment "prod" has no terraform: section/,
    );
  });
});
