import { describe, expect, it } from 'vitest';
import { loadRunbookFast } from '../../src/runbook/fast.js';
import { resolveRunbookFast } from '../../src/runbook/resolve-fast.js';
import { loadRunbook, resolveRunbook } from '../../src/runbook/index.js';
import { parseOutputs } from '../../src/runbook/terraform.js';

/**
 * Issue 17: `plan`, `run` and `status` resolve step parameters with the compiled validator, and
 * zod only words what it refuses. Held here to resolveRunbook with zod, value for value and
 * message for message.
 */
const RUNBOOK = 'runbooks/cognito-migration.yaml';
const ROUTED = 'runbooks/examples/routed-records.yaml';

const SANDBOX_ENV = {
  MIGRATE_SANDBOX_TERRAFORM_OUTPUTS: '/tmp/tf.json',
  MIGRATE_SANDBOX_HEALTH_URL: 'http://127.0.0.1:4000',
  MIGRATE_SANDBOX_ZONE_ID: 'Z0123456789ABCDEFGHIJ',
  MIGRATE_SANDBOX_ROUTED_CDN_DOMAIN: 'd222222abcdef8.cloudfront.net',
  MIGRATE_SANDBOX_PARTNER_POOL_ARN: 'arn:aws:cognito-idp:eu-west-2:000000000000:userpool/eu-west-2_Partner1',
};

function outputs(values: Record<string, string>) {
  const doc = Object.fromEntries(Object.entries(values).map(([k, v]) => [k, { sensitive: false, type: 'string', value: v }]));
  return parseOutputs(JSON.stringify(doc), 'terraform-outputs.json');
}

const TF = {
  admins_ui_distribution_domain: 'd111111abcdef8.cloudfront.net',
  admins_ui_distribution_id: 'E2QWRUHAPOMQZL',
  cognito_user_pool_id: 'eu-west-2_Abc123',
  cognito_user_pool_arn: 'arn:aws:cognito-idp:eu-west-2:000000000000:userpool/eu-west-2_Abc123',
};

/** resolveRunbook's result or its error, as comparable text. */
async function outcome(resolve: () => unknown): Promise<string> {
  try {
    return JSON.stringify({ ok: await resolve() });
  } catch (error) {
    const e = error as Error & { code?: string; details?: string[]; hint?: string };
    return JSON.stringify({ error: { name: e.name, code: e.code, message: e.message, details: e.details, hint: e.hint } });
  }
}

describe('resolveRunbookFast', () => {
  it.each([RUNBOOK, ROUTED])('resolves %s in every environment exactly as zod does', async (file) => {
    const runbook = await loadRunbook(file);
    expect(JSON.stringify(await loadRunbookFast(file))).toBe(JSON.stringify(runbook));
    let resolved = 0;
    for (const env of Object.keys(runbook.environments)) {
      const processEnv = { ...SANDBOX_ENV, ...Object.fromEntries(Object.keys(process.env).map((k) => [k, process.env[k]])) };
      const tf = outputs(TF);
      const fast = await outcome(() => resolveRunbookFast(runbook, env, processEnv, tf));
      expect(fast).toBe(await outcome(() => resolveRunbook(runbook, env, processEnv, tf)));
      if (fast.startsWith('{"ok"')) resolved++;
    }
    expect(resolved, 'at least one environment resolves whole').toBeGreaterThan(0);
  });

  it("gives zod's own message for a value only known at run time that the parameters refuse", async () => {
    const runbook = await loadRunbook(RUNBOOK);
    const bad = [
      { admins_ui_distribution_domain: 'not a host!' },
      { cognito_user_pool_id: '' },
      { admins_ui_distribution_domain: '' },
      { admins_ui_distribution_domain: 'd1.cloudfront.net', cognito_user_pool_id: 'x'.repeat(3000) },
    ];
    let refused = 0;
    for (const values of bad) {
      const tf = outputs({ ...TF, ...values });
      const fast = await outcome(() => resolveRunbookFast(runbook, 'sandbox', SANDBOX_ENV, tf));
      expect(fast).toBe(await outcome(() => resolveRunbook(runbook, 'sandbox', SANDBOX_ENV, tf)));
      if (fast.startsWith('{"error"')) refused++;
    }
    expect(refused).toBeGreaterThanOrEqual(2);
  });

  it('reports an unset ${env.X} as the full path does', async () => {
    const runbook = await loadRunbook(RUNBOOK);
    const tf = outputs(TF);
    const fast = await outcome(() => resolveRunbookFast(runbook, 'sandbox', {}, tf));
    expect(fast).toMatch(/environment variable/);
    expect(fast).toBe(await outcome(() => resolveRunbook(runbook, 'sandbox', {}, tf)));
  });
});
