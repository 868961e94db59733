import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EstateIds } from './estate.js';

/**
 * What `terraform output -json` would print for the sandbox's estate, had terraform built it: the
 * runbook's sandbox environment reads its ids through ${tf.NAME} exactly as preprod and prod do.
 * One file per sandbox (several may run at once), removed when the sandbox stops.
 */
export async function writeTerraformOutputs(ids: EstateIds): Promise<{ file: string; remove(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'migrate-sandbox-tf-'));
  const file = join(dir, 'terraform-outputs.json');
  const str = (value: string, sensitive = false) => ({ sensitive, type: 'string', value });
  const outputs = {
    admins_ui_distribution_domain: str(ids.adminsDistributionDomain),
    admins_ui_distribution_id: str(ids.adminsDistributionId),
    cognito_user_pool_id: str(ids.newPoolId),
    cognito_user_pool_arn: str(ids.newPoolArn),
    route53_zone_id: str(ids.zoneId),
    // Terraform marks secrets like this; migrate must refuse to interpolate it and never print it.
    admins_ui_client_secret: str('sandbox-not-a-real-secret-7f3a', true),
  };
  await writeFile(file, `${JSON.stringify(outputs, null, 2)}\n`, { mode: 0o600 });
  return { file, remove: () => rm(dir, { recursive: true, force: true }) };
}
