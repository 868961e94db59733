import { afterAll, describe, expect, it } from 'vitest';
import { loadRunbook, resolveRunbook } from '../../src/runbook/index.js';
import { loadTerraformOutputs, parseOutputs, tfLookup } from '../../src/runbook/terraform.js';
import { tempDir, writeRunbook } from '../e2e/helpers.js';

const OUTPUTS = {
  admins_ui_distribution_domain: { sensitive: false, type: 'string', value: 'd111111abcdef8.cloudfront.net' },
  cognito_user_pool_id: { sensitive: false, type: 'string', value: 'eu-west-2_Abc123' },
  admins_ui_client_secret: { sensitive: true, type: 'string', value: 'super-secret-value-42' },
  subnets: { sensitive: false, type: ['list', 'string'], value: ['a', 'b'] },
};

describe('${tf.NAME}: terraform outputs as a variable source', () => {
  const dir = tempDir('migrate-tf-');
  afterAll(() => dir.remove());

  it('answers from `terraform output -json` and from a state file, refusing sensitive and non-scalar outputs by name', () => {
    const tf = parseOutputs(JSON.stringify(OUTPUTS), 'outputs.json');
    const lookup = tfLookup('prod', tf);
    expect(lookup('cognito_user_pool_id')).toEqual({ kind: 'value', value: 'eu-west-2_Abc123' });
    const secret = lookup('admins_ui_client_secret');
    expect(secret).toMatchObject({ kind: 'missing', message: expect.stringContaining('"admins_ui_client_secret" is sensitive') });
    expect(JSON.stringify(secret)).not.toContain('super-secret-value-42');
    expect(lookup('subnets')).toMatchObject({ kind: 'missing', message: expect.stringContaining('is a list') });
    expect(lookup('cognito_user_pool')).toMatchObject({
      kind: 'missing',
      message: expect.stringContaining('did you mean ${tf.cognito_user_pool_id}?'),
    });
    expect(tfLookup('prod', undefined)('x')).toMatchObject({
      kind: 'missing',
      message: expect.stringContaining('has no terraform: section'),
    });
    const state = parseOutputs(
      JSON.stringify({ version: 4, terraform_version: '1.9.0', serial: 3, outputs: OUTPUTS, resources: [] }),
      's3://b/k',
    );
    expect(tfLookup('prod', state)('admins_ui_distribution_domain')).toEqual({ kind: 'value', value: 'd111111abcdef8.cloudfront.net' });
  });

  it('reads a state on S3 through one read-only object read, with the environment region and profile', async () => {
    const file = writeRunbook(
      dir.path,
      'state.yaml',
      `version: 1
name: tf-state
environments:
  prod: { region: eu-west-2, account: "123456789012", profile: tis-prod, terraform: { state: "s3://tis-tfstate/cognito/terraform.tfstate" } }
vars: { pool: "\${tf.cognito_user_pool_id}" }
phases:
  mid:
    - { id: "1", title: Note, type: manual, with: { instructions: "pool \${vars.pool}" } }
`,
    );
    const runbook = await loadRunbook(file);
    const calls: unknown[] = [];
    const tf = await loadTerraformOutputs(runbook, 'prod', {
      profile: 'tis-prod',
      readObject: async (url, options) => {
        calls.push({ url, ...options });
        return JSON.stringify({ terraform_version: '1.9.0', outputs: OUTPUTS });
      },
    });
    expect(calls).toEqual([{ url: 's3://tis-tfstate/cognito/terraform.tfstate', region: 'eu-west-2', profile: 'tis-prod' }]);
    const resolved = resolveRunbook(runbook, 'prod', {}, tf);
    expect(resolved.env.vars.pool).toBe('eu-west-2_Abc123');
  });
});
