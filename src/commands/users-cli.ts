import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { createAwsSession } from '../aws/clients.js';
import { timeScaleFromEnv } from '../engine/clock.js';
import { resolveText } from '../runbook/index.js';
import { loadTerraformOutputs } from '../runbook/terraform.js';
import { AuditLog } from '../state/audit.js';
import { acquireLock, type HeldLock } from '../state/lock.js';
import { loadEnvironment, mfaPrompt, operatorName } from './context.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';
import { isInteractive, refuseWithoutTty } from './render.js';

export interface UsersOptions extends GlobalOptions {
  export?: string | undefined;
  dryRun?: boolean | undefined;
  invite?: boolean | undefined;
  yes?: boolean | undefined;
  confirmEnv?: string | undefined;
}

const USERS_EXAMPLE = 'users:\n  userPool: ${vars.userPool}\n  attributes: { DBC: "custom:dbc" }\n  groups: { RevalAdmin: RevalAdmin }';

/**
 * `migrate users diff | sync | ensure`: the runbook's `users:` mapping, the environment's AWS
 * account (checked), the lock for writes, the audit log, and Ctrl-C that leaves a resumable
 * checkpoint. The feature itself lives in src/users/.
 */
export async function usersCommand(action: 'diff' | 'sync' | 'ensure', email: string | undefined, opts: UsersOptions): Promise<number> {
  if (!opts.export) throw new RunbookError('USAGE', `users ${action} needs --export FILE`, { hint: 'A Keycloak realm export (kc.sh export --realm lin --users same_file), a directory of *-users-*.json, or a CSV with an email column.' });
  const loaded = await loadEnvironment(opts);
  const mapping = loaded.runbook.users;
  if (!mapping) throw new RunbookError('USAGE', `${loaded.file} has no users: section`, { hint: `Add one, e.g.\n${USERS_EXAMPLE}` });
  const tf = await loadTerraformOutputs(loaded.runbook, loaded.env.name, { profile: loaded.env.profile });
  const poolRef = resolveText(loaded.runbook, loaded.env.name, mapping.userPool, 'users.userPool', process.env, tf);
  const writes = action !== 'diff' && !opts.dryRun;
  const label = `users ${action}${email ? ` ${email}` : ''}${opts.dryRun ? ' --dry-run' : ''}`;
  if (writes) refuseWithoutTty(`migrate ${label}`, opts.yes);

  let lock: HeldLock | undefined;
  const controller = new AbortController();
  const onSignal = () => controller.abort(new RunbookError('ABORTED', 'interrupted'));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const aws = createAwsSession({ env: loaded.env, dryRun: !writes, timeScale: timeScaleFromEnv(), ...mfaPrompt() });
  const log = new AuditLog(loaded.envDir, { user: operatorName(), command: label, env: loaded.env.name, dryRun: !writes }, () => aws.identity?.arn);
  let auditChain: Promise<void> = Promise.resolve();
  const audit = (event: Record<string, unknown>) => {
    const { event: name, ...rest } = event;
    auditChain = auditChain.then(() => log.append({ event: String(name ?? 'users'), ...rest }));
  };
  try {
    if (writes) {
      lock = await acquireLock(loaded.envDir, `migrate ${label}`, loaded.env.name);
      await confirmWrites(loaded.env, opts, label);
    }
    const { CognitoIdentityProviderClient } = await import('@aws-sdk/client-cognito-identity-provider');
    // The users code paces every attempt itself; the adaptive mode's own limiter would halve it.
    const cognito = await aws.client(CognitoIdentityProviderClient, timeScaleFromEnv() > 1 ? {} : { retryMode: 'standard' });
    const users = await import('./users.js');
    const { createProgressRenderer } = await import('../users/progress.js');
    const progress = action === 'sync' && !opts.json ? createProgressRenderer({ stream: process.stderr }) : undefined;
    const deps = {
      cognito,
      mapping,
      userPoolId: await users.resolveUserPoolId(cognito, poolRef),
      checkpointFile: join(loaded.envDir, 'users-sync.json'),
      audit,
      out: {
        line: (text: string) => (opts.json ? process.stderr : process.stdout).write(`${text}\n`),
        json: (doc: unknown) => printJson(doc),
        ...(progress ? { progress: (p: Parameters<typeof progress.update>[0]) => progress.update(p) } : {}),
      },
      signal: controller.signal,
    };
    audit({ event: `users-${action}-start`, step: email, detail: opts.export });
    try {
      if (action === 'diff') await users.usersDiff(deps, { exportFile: opts.export, json: !!opts.json });
      else if (action === 'sync') await users.usersSync(deps, { exportFile: opts.export, dryRun: !!opts.dryRun, invite: !!opts.invite, json: !!opts.json });
      else await users.usersEnsure(deps, { exportFile: opts.export, email: email ?? '', dryRun: !!opts.dryRun, invite: !!opts.invite, json: !!opts.json });
    } finally {
      progress?.done();
    }
    audit({ event: `users-${action}-end`, step: email, result: 'ok' });
    return 0;
  } catch (error) {
    audit({ event: `users-${action}-end`, step: email, result: 'failed', detail: (error as Error).message });
    throw error;
  } finally {
    await auditChain.catch(() => undefined);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await lock?.release();
  }
}

async function confirmWrites(env: { name: string; protected: boolean }, opts: UsersOptions, label: string): Promise<void> {
  if (opts.yes) {
    if (env.protected && opts.confirmEnv !== env.name) {
      throw new RunbookError('NOT_CONFIRMED', `environment "${env.name}" is protected`, { hint: `Pass --confirm-env ${env.name} with --yes.` });
    }
    return;
  }
  if (!isInteractive()) return;
  const { confirm, input } = await import('@inquirer/prompts');
  if (env.protected) {
    const typed = await input({ message: `Environment "${env.name}" is protected. Type its name to go on:` }).catch(() => '');
    if (typed.trim() !== env.name) throw new RunbookError('NOT_CONFIRMED', `environment "${env.name}" was not confirmed`);
  }
  const ok = await confirm({ message: `${label} writes to Cognito in "${env.name}" (preview it with --dry-run). Go on?`, default: false }).catch(() => false);
  if (!ok) throw new RunbookError('ABORTED', `${label}: not confirmed; nothing was changed`);
}
