import { RunbookError } from '../errors.js';
import { createAwsSession, type AwsSession } from '../aws/clients.js';
import { timeScaleFromEnv } from '../engine/clock.js';
import { listPoolUsers, rollbackCost, type PoolUser, type RollbackCost } from '../rollback/cost.js';
import { resolveText } from '../runbook/index.js';
import type { CostDef, Runbook } from '../runbook/types.js';
import type { Checkpoint, EnvironmentInfo } from '../steps/types.js';

/**
 * The pool's users for a cost or an export, through a read-only (dry-run guarded) AWS session:
 * counting what a rollback would strand never writes. One listing per pool per call.
 */
export function poolUsersReader(
  runbook: Runbook,
  env: EnvironmentInfo,
  aws?: AwsSession,
): (def: Pick<CostDef, 'userPool'>) => Promise<PoolUser[]> {
  const session = aws ?? createAwsSession({ env, dryRun: true, timeScale: timeScaleFromEnv() });
  const cache = new Map<string, Promise<PoolUser[]>>();
  return (def) => {
    const ref = def.userPool ?? runbook.users?.userPool;
    if (!ref)
      throw new RunbookError('RUNBOOK_INVALID', 'a rollback cost names no user pool, and the runbook has no users.userPool', {
        hint: 'Give cost.userPool, or a users: section with userPool.',
      });
    const pool = resolveText(runbook, env.name, ref, 'cost.userPool');
    let pending = cache.get(pool);
    if (!pending) {
      pending = (async () => {
        const { CognitoIdentityProviderClient } = await import('../aws/sdk/cognito.js');
        const { resolveUserPoolId } = await import('../users/pool.js');
        const client = await session.client(CognitoIdentityProviderClient);
        return listPoolUsers(client, await resolveUserPoolId(client, pool));
      })();
      cache.set(pool, pending);
    }
    return pending;
  };
}

/** Each rollback entry's cost (null where none is declared), counted now. */
export async function rollbackCosts(
  runbook: Runbook,
  env: EnvironmentInfo,
  steps: Record<string, Checkpoint>,
  ids?: string[],
  aws?: AwsSession,
): Promise<Record<string, RollbackCost | null>> {
  const users = poolUsersReader(runbook, env, aws);
  const out: Record<string, RollbackCost | null> = {};
  for (const entry of runbook.rollback) {
    if (ids && !ids.includes(entry.id)) continue;
    out[entry.id] = entry.cost ? await rollbackCost(entry.cost, { steps, users }) : null;
  }
  return out;
}
