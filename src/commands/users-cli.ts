import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { createAwsSession } from '../aws/clients.js';
import { timeScaleFromEnv } from '../engine/clock.js';
import { resolveText } from '../runbook/index.js';
import { loadTerraformOutputs } from '../runbook/terraform.js';
import type { HeldLock } from '../state/lock.js';
import { STOP_SIGNALS, backendFor, loadEnvironment, mfaPrompt, operatorName } from './context.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';
import { printJsonStreamed } from '../users/json-out.js';
import { canPrompt, refuseWithoutTty } from './render.js';
import { promptOutput } from '../output/tty-prompter.js';
import { onOutputClosed } from '../output/streams.js';

export interface UsersOptions extends GlobalOptions {
  export?: string | undefined;
  dryRun?: boolean | undefined;
  invite?: boolean | undefined;
  /** false when `--no-password-ok` was given (commander's negatable flag). */
  passwordOk?: boolean | undefined;
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
  if (!opts.export)
    throw new RunbookError('USAGE', `users ${action} needs --export FILE`, {
      hint: 'A Keycloak realm export (kc.sh export --realm lin --users same_file), a directory of *-users-*.json, or a CSV with an email column.',
    });
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
  for (const name of STOP_SIGNALS) process.on(name, onSignal);
  // A closed stdout stops a sync at its next checkpoint too, and the lock is released (a read-only
  // diff just ends, exit 0).
  const offClosed = writes ? onOutputClosed(onSignal) : () => undefined;
  const aws = createAwsSession({ env: loaded.env, dryRun: !writes, timeScale: timeScaleFromEnv(), ...mfaPrompt() });
  const operator = operatorName();
  const backend = await backendFor(loaded);
  const log = backend.audit({ user: operator, command: label, env: loaded.env.name, dryRun: !writes }, () => aws.identity?.arn);
  const { AuditTrail } = await import('../users/audit-trail.js');
  const trail = new AuditTrail(log, backend.documents, () => ({ user: operator, command: label, identity: aws.identity?.arn }));
  const audit = (event: Record<string, unknown>) => trail.record({ ...event, event: String(event.event ?? 'users') });
  const timeScale = timeScaleFromEnv();
  let unsaved: string[] = [];
  try {
    if (writes) {
      checkConfirmEnv(loaded.env, opts);
      lock = await backend.acquireLock(`migrate ${label}`);
    }
    const replayed = await trail.replayPending();
    if (replayed) process.stderr.write(`note: wrote ${replayed} audit lines an earlier users command could not write\n`);
    const { CognitoIdentityProviderClient } = await import('../aws/sdk/cognito.js');
    // One attempt per send: the users code keeps its own retry budget and rate limit (client
    // middleware, src/users/pool.ts); the SDK's retry quota runs dry under heavy throttling.
    const cognito = await aws.client(CognitoIdentityProviderClient, { maxAttempts: 1, retryStrategy: undefined, retryMode: 'standard' });
    const { pace, DEFAULT_RETRY } = await import('../users/pool.js');
    const { TokenBucket } = await import('../users/rate-limit.js');
    pace(cognito, TokenBucket.forQuota(mapping.rate), controller.signal, { ...DEFAULT_RETRY, timeScale }, { attempts: 0, retries: 0 });
    const users = await import('./users.js');
    const { createProgressRenderer } = await import('../users/progress.js');
    const progress = action === 'sync' && !opts.json ? createProgressRenderer({ stream: process.stderr }) : undefined;
    const deps = {
      cognito,
      mapping,
      userPoolId: await users.resolveUserPoolId(cognito, poolRef),
      checkpointFile: backend.kind === 'local' ? join(loaded.envDir, 'users-sync.json') : backend.documents.locate('users-sync.json'),
      ...(backend.kind === 's3'
        ? {
            checkpointIo: {
              read: () => backend.documents.read('users-sync.json'),
              write: (text: string) => backend.documents.write('users-sync.json', text),
            },
          }
        : {}),
      audit,
      out: {
        line: (text: string) => (opts.json ? process.stderr : process.stdout).write(`${text}\n`),
        json: (doc: unknown) => printJsonStreamed(doc),
        ...(progress
          ? { progress: (p: Parameters<typeof progress.update>[0]) => progress.update(p), progressDone: () => progress.done() }
          : {}),
      },
      signal: controller.signal,
      timeScale,
      auditFailure: () => trail.failure,
      confirm: writes ? (question: string) => confirmWrites(loaded.env, opts, question) : undefined,
    };
    audit({ event: `users-${action}-start`, step: email, detail: opts.export });
    try {
      if (action === 'diff') await users.usersDiff(deps, { exportFile: opts.export, json: !!opts.json });
      else if (action === 'sync')
        await users.usersSync(deps, {
          exportFile: opts.export,
          dryRun: !!opts.dryRun,
          invite: !!opts.invite,
          passwordOk: opts.passwordOk === false,
          json: !!opts.json,
        });
      else
        await users.usersEnsure(deps, {
          exportFile: opts.export,
          email: email ?? '',
          dryRun: !!opts.dryRun,
          invite: !!opts.invite,
          json: !!opts.json,
        });
    } finally {
      progress?.done();
    }
    audit({ event: `users-${action}-end`, step: email, result: 'ok' });
    unsaved = await trail.settle();
    if (trail.failure) throw trail.failure;
    return 0;
  } catch (error) {
    if (!trail.failure) audit({ event: `users-${action}-end`, step: email, result: 'failed', detail: (error as Error).message });
    unsaved = await trail.settle();
    // A failed audit write is the cause to report, whatever it made the sync stop with.
    if (trail.failure && error !== trail.failure) {
      const f = trail.failure;
      throw new RunbookError(f.code, f.message, {
        hint: f.hint ?? '',
        cause: f.cause,
        details: unsaved.length ? ['audit lines that could not be kept anywhere:', ...unsaved] : [],
      });
    }
    throw error;
  } finally {
    if (unsaved.length && !trail.failure) process.stderr.write(`audit lines that could not be written:\n${unsaved.join('\n')}\n`);
    for (const name of STOP_SIGNALS) process.off(name, onSignal);
    offClosed();
    await lock?.release();
  }
}

function checkConfirmEnv(env: { name: string; protected: boolean }, opts: UsersOptions): void {
  if (opts.yes && env.protected && opts.confirmEnv !== env.name) {
    throw new RunbookError('NOT_CONFIRMED', `environment "${env.name}" is protected`, {
      hint: `Pass --confirm-env ${env.name} with --yes.`,
    });
  }
}

/** Asked once the command knows what it will write: how many users, which pool. */
async function confirmWrites(env: { name: string; protected: boolean }, opts: UsersOptions, question: string): Promise<void> {
  if (opts.yes) return;
  if (!canPrompt()) return;
  const { confirm, input } = await import('@inquirer/prompts');
  // On the terminal even when stdout is a pipe or a file (refuseWithoutTty let it through).
  const output = promptOutput();
  const context = output ? { output } : {};
  if (env.protected) {
    const typed = await input({ message: `Environment "${env.name}" is protected. Type its name to go on:` }, context).catch(() => '');
    if (typed.trim() !== env.name) throw new RunbookError('NOT_CONFIRMED', `environment "${env.name}" was not confirmed`);
  }
  const ok = await confirm(
    { message: `${question} (environment "${env.name}"; preview it with --dry-run). Go on?`, default: false },
    context,
  ).catch(() => false);
  if (!ok) throw new RunbookError('ABORTED', `${question.replace(/ creates .*/, '')}: not confirmed; nothing was changed`);
}

export interface ExportSinceOptions extends GlobalOptions {
  step?: string | undefined;
  out?: string | undefined;
  changed?: boolean | undefined;
  userPool?: string | undefined;
}

/**
 * `migrate users export-since --step mid.4 --out FILE`: the users a rollback would strand (created,
 * or with --changed also changed, in the pool since the step took effect), without credentials
 * (Cognito's ListUsers returns none), so they can be recreated in Keycloak.
 */
export async function usersExportSince(opts: ExportSinceOptions): Promise<number> {
  if (!opts.step || !/^(pre|mid|post)\.[A-Za-z0-9_-]+$/.test(opts.step))
    throw new RunbookError('USAGE', 'users export-since needs --step REF (such as mid.4)');
  if (!opts.out) throw new RunbookError('USAGE', 'users export-since needs --out FILE');
  const loaded = await loadEnvironment(opts);
  const state = await (await backendFor(loaded)).store().load();
  const { sinceTime, usersSince } = await import('../rollback/cost.js');
  const since = sinceTime(state.steps, opts.step);
  const counter = opts.changed ? 'cognito.usersChangedSince' : 'cognito.usersCreatedSince';
  const { poolUsersReader } = await import('./cost.js');
  const users =
    since === null ? [] : usersSince(await poolUsersReader(loaded.runbook, loaded.env)({ userPool: opts.userPool }), counter, since);
  const doc = {
    env: loaded.env.name,
    step: opts.step,
    since: since === null ? null : new Date(since).toISOString(),
    counter,
    count: users.length,
    users,
  };
  const { writeFile } = await import('node:fs/promises');
  await writeFile(opts.out, `${JSON.stringify(doc, null, 2)}\n`, { mode: 0o600 });
  const line =
    since === null
      ? `${opts.step} is not in effect in "${loaded.env.name}": no user to export; wrote ${opts.out}`
      : `${users.length} user${users.length === 1 ? '' : 's'} ${opts.changed ? 'created or changed' : 'created'} in Cognito since ${opts.step} (${doc.since}) -> ${opts.out}`;
  if (opts.json) printJson({ ...doc, users: undefined, out: opts.out });
  else process.stdout.write(`${line}\n`);
  return 0;
}
