import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RunbookError } from '../errors.js';
import { diffUsers, renderDiffTable, table, type DiffResult } from '../users/diff.js';
import { ensureUser, type EnsureResult } from '../users/ensure.js';
import { openExport } from '../users/export-reader.js';
import type { UsersMapping } from '../users/mapping.js';
import { CognitoUsers } from '../users/pool.js';
import { TokenBucket } from '../users/rate-limit.js';
import { syncUsers, type SyncResult, type UserFailure } from '../users/sync.js';
import type { PlannedUser, SyncProgress } from '../users/types.js';

export { resolveUserPoolId } from '../users/pool.js';

/**
 * `migrate users diff | sync | ensure`. The CLI builds the dependencies (the Cognito client from
 * the AWS session, with the dry-run guard; the mapping from the runbook; the audit file), so
 * these functions only run the feature and say what happened.
 */
export interface UsersDeps {
  /**
   * Built by the caller (AWS session, dry-run guard). Prefer retryMode "standard" for it: the token
   * bucket here already paces every attempt, retries included, and the SDK's "adaptive" mode adds
   * a limiter of its own that cuts the rate by 30% on each throttling answer; in bench/users.mjs
   * 1% of requests throttled held adaptive at 0.16 x the rate, standard at 0.8 x with 5%.
   */
  cognito: CognitoIdentityProviderClient;
  /** The runbook's `users:` section; `rate` (requests/s) and `concurrency` (users at once) bound the sync. */
  mapping: UsersMapping;
  /** Resolved already (resolveUserPoolId turns users.userPool, an id or a name, into the id). */
  userPoolId: string;
  /** Where `users sync` keeps its progress, e.g. <state dir>/<env>/users-sync.json. */
  checkpointFile: string;
  checkpointIo?: import('../users/checkpoint.js').CheckpointIo | undefined;
  /** One event per user created, disabled or grouped, and one per sync; usernames only, never secrets. */
  audit(event: Record<string, unknown>): void;
  out: { line(text: string): void; json(doc: unknown): void; progress?(p: SyncProgress): void; progressDone?(): void };
  signal: AbortSignal;
  /** MIGRATE_TIME_SCALE: divides the retry back-off. */
  timeScale?: number | undefined;
  /** Asked before the first write, once it is known what will be written ("create 1,200 users in pool X"). */
  confirm?(question: string): Promise<void>;
  /** A failed audit write, which stops a sync. */
  auditFailure?(): RunbookError | undefined;
}

/** A user a dry run would create, for the JSON form of `users sync --dry-run`. */
export interface PlannedCreate {
  username: string;
  position: string;
  /** Left unfinished by an interrupted sync. */
  resumed: boolean;
  enabled: boolean;
  attributes: Record<string, string>;
  groups: string[];
}

export type SyncReport = SyncResult & { plan?: PlannedCreate[] };

async function open(deps: UsersDeps): Promise<CognitoUsers> {
  return CognitoUsers.open(
    deps.cognito,
    deps.userPoolId,
    TokenBucket.forQuota(deps.mapping.rate),
    deps.signal,
    deps.timeScale ? { timeScale: deps.timeScale } : {},
  );
}

export async function usersDiff(deps: UsersDeps, opts: { exportFile: string; json: boolean }): Promise<DiffResult> {
  const source = await openExport(opts.exportFile);
  const result = await diffUsers({ source, api: await open(deps), mapping: deps.mapping, signal: deps.signal });
  if (opts.json) deps.out.json(result);
  else renderDiffTable(result, (line) => deps.out.line(line));
  return result;
}

function describeUser(u: PlannedUser): string {
  const attrs = Object.entries(u.attributes)
    .map(([k, v]) => `${k}=${v.length > 40 ? `${v.slice(0, 37)}...` : v}`)
    .join(', ');
  return `${attrs}; ${u.enabled ? 'enabled' : 'then disable it (disabled in Keycloak)'}; groups: ${u.groups.join(', ') || '-'}`;
}

function failureLines(title: string, list: UserFailure[]): string[] {
  if (!list.length) return [];
  return [
    '',
    `${title} (${list.length})`,
    ...table(
      ['USERNAME', 'WHERE', 'ERROR'],
      list.map((f) => [f.username, f.position, f.error]),
    ),
  ];
}

export async function usersSync(
  deps: UsersDeps,
  opts: { exportFile: string; dryRun: boolean; invite: boolean; passwordOk?: boolean; json?: boolean; batchSize?: number },
): Promise<SyncReport> {
  const source = await openExport(opts.exportFile);
  const api = await open(deps);
  const say = (text: string): void => {
    if (!opts.json) deps.out.line(text);
  };
  const plan: PlannedCreate[] = [];
  if (opts.dryRun) say(`Dry run: nothing is written to Cognito or to the checkpoint. Pool ${deps.userPoolId}, export ${source.path}.`);
  else
    say(
      `Syncing to user pool ${deps.userPoolId} at most ${deps.mapping.rate} requests/s, ${deps.mapping.concurrency} users at a time; checkpoint ${deps.checkpointFile}`,
    );
  const result = await syncUsers({
    source,
    api,
    mapping: deps.mapping,
    checkpointFile: deps.checkpointFile,
    checkpointIo: deps.checkpointIo,
    dryRun: opts.dryRun,
    invite: opts.invite,
    audit: deps.audit,
    line: say,
    ...(deps.out.progress ? { progress: deps.out.progress } : {}),
    plan: (u, resumed) => {
      if (opts.json)
        plan.push({ username: u.username, position: u.position, resumed, enabled: u.enabled, attributes: u.attributes, groups: u.groups });
      else
        say(
          `would create ${u.username}${resumed ? ' (left unfinished by an interrupted sync)' : ''}: ${describeUser(u)}${opts.invite && u.enabled ? '; send an invitation email' : ''}`,
        );
    },
    signal: deps.signal,
    ...(opts.batchSize ? { batchSize: opts.batchSize } : {}),
    ...(opts.passwordOk ? { passwordOk: true } : {}),
    ...(deps.auditFailure ? { auditFailure: deps.auditFailure } : {}),
    confirm: async (p) => {
      await deps.confirm?.(
        `users sync creates ${p.total} user${p.total === 1 ? '' : 's'} in user pool ${p.userPoolId}${p.withoutPassword ? `, ${p.withoutPassword} of them with no password` : ''}`,
      );
    },
  });
  // The progress line is ended before the summary, so they never share a line.
  deps.out.progressDone?.();
  const skipped = `${result.alreadyInCognito} already in Cognito and left as they are${result.differing ? ` (${result.differing} differ: see users diff)` : ''}; ${result.checkpointed} finished by an earlier run; ${result.invalid.length} invalid rows skipped; ${result.serviceAccounts} Keycloak service accounts skipped`;
  const noPassword = result.withoutPassword
    ? ` ${result.withoutPassword} of them ${opts.dryRun ? 'would have' : 'have'} no password: Cognito's migration trigger no longer runs for them${opts.invite ? ' (disabled in Keycloak, so not invited)' : '; they need --invite or a password reset'}.`
    : '';
  if (opts.dryRun) {
    say(`Would create ${result.total} users in user pool ${deps.userPoolId}.${noPassword} ${skipped}; ${result.blocked.length} blocked.`);
  } else {
    say(
      `${result.interrupted ? 'Interrupted: ' : ''}created ${result.created}, already existed ${result.existed}, disabled ${result.disabled}, group memberships added ${result.grouped}; ${result.failed.length} failed, ${result.blocked.length} blocked;${noPassword} ${skipped}. ${result.requests} requests (${result.retries} retried after throttling or a fault) in ${result.elapsedSeconds.toFixed(1)}s.`,
    );
  }
  for (const l of failureLines('FAILED', result.failed)) say(l);
  for (const l of failureLines('BLOCKED', result.blocked)) say(l);
  if (result.invalid.length) {
    say('');
    say(`INVALID ROWS (${result.invalid.length}, skipped)`);
    for (const l of table(
      ['WHERE', 'EMAIL', 'REASON'],
      result.invalid.map((i) => [i.position, i.email ?? '-', i.reason]),
    ))
      say(l);
  }
  const doc = opts.dryRun && opts.json ? { ...result, plan } : result;
  if (opts.json) deps.out.json(doc);
  if (result.interrupted) {
    throw new RunbookError('ABORTED', `users sync interrupted after ${result.created + result.existed} of ${result.total} users`, {
      hint: 'Run the same `users sync` again: it resumes from the checkpoint and creates nobody twice.',
    });
  }
  if (!opts.dryRun && (result.failed.length || result.blocked.length)) {
    throw new RunbookError('USERS', `${result.failed.length + result.blocked.length} users could not be created`, {
      hint: 'Fix the causes listed above, then run `users sync` again: it retries only these; users already done are skipped.',
      details: [...result.failed, ...result.blocked].slice(0, 20).map((f) => `${f.username} (${f.position}): ${f.error}`),
    });
  }
  return doc;
}

export async function usersEnsure(
  deps: UsersDeps,
  opts: { exportFile: string; email: string; dryRun: boolean; invite: boolean; json?: boolean },
): Promise<EnsureResult> {
  const source = await openExport(opts.exportFile);
  const result = await ensureUser({
    source,
    api: await open(deps),
    mapping: deps.mapping,
    email: opts.email,
    dryRun: opts.dryRun,
    invite: opts.invite,
    audit: deps.audit,
    signal: deps.signal,
    confirm: async (user) => {
      await deps.confirm?.(
        `users ensure creates ${user.username} in user pool ${deps.userPoolId}${opts.invite ? ' and emails an invitation' : ' with no password (they will need a password reset; --invite emails one)'}`,
      );
    },
  });
  if (opts.dryRun && result.outcome === 'would-create')
    deps.audit({ event: 'users.ensure', dryRun: true, userPoolId: deps.userPoolId, username: result.username });
  if (opts.json) {
    deps.out.json(result);
    return result;
  }
  const u = result.user;
  const alias = result.username !== u.username ? ` (Cognito username ${result.username})` : '';
  if (result.outcome === 'exists')
    deps.out.line(
      `${u.username} already exists in user pool ${deps.userPoolId}${alias}; nothing to do${result.note ? ` (note: ${result.note})` : ''}.`,
    );
  else if (result.outcome === 'would-create')
    deps.out.line(
      `Dry run: would create ${u.username} from ${u.position}: ${describeUser(u)}${opts.invite ? '; send an invitation email' : ''}.`,
    );
  else
    deps.out.line(
      `Created ${u.username} in user pool ${deps.userPoolId} from ${u.position}: ${describeUser(u)}${opts.invite ? '; invitation email sent' : ''}.`,
    );
  return result;
}
