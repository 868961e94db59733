import { getStepType } from '../steps/index.js';
import { loadZod } from '../steps/support/zod.js';
import { Undecided, compiledShape } from './fast.js';
import { resolveRunbook } from './resolve.js';
import type { TerraformOutputs } from './terraform.js';
import type { ResolvedRunbook, Runbook } from './types.js';

/**
 * resolveRunbook with the built-in step types' compiled parameters, so a run whose runbook is valid
 * never loads zod; parameters the compiled code does not accept are parsed again by zod, which
 * words the problem exactly as it would have alone. Plugins' step types bring their own schemas.
 */
export async function resolveRunbookFast(
  runbook: Runbook,
  envName: string | undefined,
  processEnv: NodeJS.ProcessEnv = process.env,
  tf?: TerraformOutputs,
): Promise<ResolvedRunbook> {
  try {
    return resolveRunbook(runbook, envName, processEnv, tf, (name) => compiledShape(name) ?? getStepType(name));
  } catch (error) {
    if (!(error instanceof Undecided)) throw error;
  }
  await loadZod();
  return resolveRunbook(runbook, envName, processEnv, tf);
}
