import { RunbookError } from '../errors.js';
import { loadCheckpoint, saveCheckpoint, type CheckpointIo } from './checkpoint.js';
import { exportDigest, readExport, type ExportSource } from './export-reader.js';
import { comparedAttributes, type UsersMapping } from './mapping.js';
import { planUsers, type PlanInput } from './plan.js';
import { assertMappedAttributes, awsMessage, errorName, type CognitoUsers } from './pool.js';
import { Semaphore } from './rate-limit.js';
import type { InvalidRow, PlannedUser, SyncProgress, UsersAuditEvent } from './types.js';

export interface SyncInput {
  source: ExportSource;
  api: CognitoUsers;
  mapping: UsersMapping;
  checkpointFile: string;
  /** Set when the checkpoint is kept by the S3 state backend (checkpointFile then names it). */
  checkpointIo?: CheckpointIo | undefined;
  dryRun: boolean;
  invite: boolean;
  audit(event: UsersAuditEvent): void;
  line(text: string): void;
  progress?(p: SyncProgress): void;
  /** Dry run: called for each user the sync would create, in export order. */
  plan?(user: PlannedUser, resumed: boolean): void;
  signal: AbortSignal;
  /** Users reserved (written as in flight) per checkpoint write; about two seconds of work by default. */
  batchSize?: number;
  /** `--no-password-ok`: creating users with no password (no --invite) was asked for explicitly. */
  passwordOk?: boolean;
  /** Asked once the sync knows what it will do, before its first write; throws to stop. */
  confirm?(plan: SyncPlan): Promise<void>;
  /** A failed audit write: the sync stops launching users once this says so. */
  auditFailure?(): RunbookError | undefined;
}

export interface SyncPlan {
  userPoolId: string;
  total: number;
  /** Users that will be created without a password: everyone without --invite, disabled users with it. */
  withoutPassword: number;
  invite: boolean;
}

export interface UserFailure {
  username: string;
  position: string;
  error: string;
}

export interface SyncResult {
  dryRun: boolean;
  userPoolId: string;
  exportDigest: string;
  /** Users this run had to create (or finish). */
  total: number;
  created: number;
  /** AdminCreateUser answered UsernameExists: already there, counted as done. */
  existed: number;
  disabled: number;
  /** Group memberships added. */
  grouped: number;
  /** Users a previous run of the same export finished (checkpoint). */
  checkpointed: number;
  /** Users already in Cognito before this run; sync leaves them as they are. */
  alreadyInCognito: number;
  /** Of those, how many differ from the export (see `users diff`). */
  differing: number;
  /** Keycloak service accounts in the export, skipped. */
  serviceAccounts: number;
  /** Of the users to create, how many get no password (see SyncPlan). */
  withoutPassword: number;
  /** Requests repeated after throttling or a server fault. */
  retries: number;
  failed: UserFailure[];
  blocked: UserFailure[];
  invalid: InvalidRow[];
  interrupted: boolean;
  requests: number;
  elapsedSeconds: number;
}

/** Stop sending after this many failures in a row: expired credentials would otherwise fail every user. */
const MAX_CONSECUTIVE_FAILURES = 25;

export interface ApplyOutcome {
  created: boolean;
  disabled: boolean;
  groups: string[];
}

/**
 * Creates one user, then disables it if Keycloak has it disabled, then adds its groups. Every
 * call is safe to repeat, so a user left half-done by a crash is finished by running it again:
 * UsernameExists means the create already happened, and the disable and group calls follow anyway.
 */
export async function applyUser(
  api: CognitoUsers,
  user: PlannedUser,
  invite: boolean,
  audit: (e: UsersAuditEvent) => void,
): Promise<ApplyOutcome> {
  const base = { userPoolId: api.userPoolId, username: user.username };
  let created = true;
  try {
    await api.createUser(user, invite);
    audit({ event: 'users.create', ...base, position: user.position, invited: invite && user.enabled });
  } catch (error) {
    if (errorName(error) !== 'UsernameExistsException') throw error;
    created = false;
    audit({ event: 'users.exists', ...base });
  }
  if (!user.enabled) {
    await api.disableUser(user.username);
    audit({ event: 'users.disable', ...base });
  }
  for (const group of user.groups) {
    try {
      await api.addToGroup(user.username, group);
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException')
        throw new Error(`Cognito group "${group}" not found (migrate does not create groups)`, { cause: error });
      throw error;
    }
    audit({ event: 'users.addToGroup', ...base, group });
  }
  return { created, disabled: !user.enabled, groups: user.groups };
}

/**
 * Creates the users of the export that Cognito lacks. Reads the export twice (once to count, so
 * progress has a total; once to act), never holding more than the pool index and the checkpoint.
 */
export async function syncUsers(input: SyncInput): Promise<SyncResult> {
  const { api, mapping, source, signal } = input;
  const started = performance.now();
  const compared = comparedAttributes(mapping);
  await assertMappedAttributes(api, mapping);
  const groups = await api.groupNames();
  const digest = await exportDigest(source);
  const checkpoint = await loadCheckpoint(input.checkpointFile, api.userPoolId, digest, input.checkpointIo);
  if (checkpoint.ignored) input.line(`note: ${checkpoint.ignored}`);
  const pool = await api.listUsers(compared);
  const planInput: PlanInput = {
    mapping,
    pool,
    compared,
    groups,
    completed: new Set(checkpoint.completed),
    unfinished: new Set(checkpoint.inflight),
  };

  const result: SyncResult = {
    dryRun: input.dryRun,
    userPoolId: api.userPoolId,
    exportDigest: digest,
    total: 0,
    created: 0,
    existed: 0,
    disabled: 0,
    grouped: 0,
    checkpointed: 0,
    alreadyInCognito: 0,
    differing: 0,
    serviceAccounts: 0,
    withoutPassword: 0,
    retries: 0,
    failed: [],
    blocked: [],
    invalid: [],
    interrupted: false,
    requests: 0,
    elapsedSeconds: 0,
  };
  for await (const d of planUsers(readExport(source, signal), planInput)) {
    if (d.kind === 'invalid') result.invalid.push(d.row);
    else if (d.kind === 'service-account') result.serviceAccounts++;
    else if (d.kind === 'done') result.checkpointed++;
    else if (d.kind === 'blocked') result.blocked.push({ username: d.user.username, position: d.user.position, error: d.reason });
    else if (d.kind === 'present') {
      result.alreadyInCognito++;
      if (d.differences.length) result.differing++;
    } else {
      result.total++;
      if (!input.invite || !d.user.enabled) result.withoutPassword++;
      if (input.dryRun) input.plan?.(d.user, d.resumed);
    }
  }
  if (signal.aborted) throw new RunbookError('ABORTED', 'users sync interrupted before it wrote anything');
  if (!input.dryRun && !input.invite && !input.passwordOk && result.withoutPassword > 0) {
    throw new RunbookError(
      'USAGE',
      `users sync would create ${result.withoutPassword} users with no password in user pool ${api.userPoolId}; nothing was changed`,
      {
        hint:
          "Cognito's user-migration trigger no longer runs for a user once it is in the pool, so these users cannot sign in with their Keycloak password. " +
          'Pass --invite (Cognito emails each a temporary password) or --no-password-ok (they will need a password reset), or use `users ensure` for one user at a time.',
      },
    );
  }
  if (input.dryRun) {
    input.audit({
      event: 'users.sync',
      dryRun: true,
      userPoolId: api.userPoolId,
      exportDigest: digest,
      wouldCreate: result.total,
      withoutPassword: result.withoutPassword,
      blocked: result.blocked.length,
      invalid: result.invalid.length,
      serviceAccounts: result.serviceAccounts,
    });
    result.requests = api.requests;
    result.elapsedSeconds = (performance.now() - started) / 1000;
    return result;
  }

  if (result.total > 0)
    await input.confirm?.({
      userPoolId: api.userPoolId,
      total: result.total,
      withoutPassword: result.withoutPassword,
      invite: input.invite,
    });

  const completed = new Set(checkpoint.completed);
  const inflight = new Set(checkpoint.inflight);
  const write = (): Promise<void> =>
    saveCheckpoint(
      input.checkpointFile,
      { userPoolId: api.userPoolId, exportDigest: digest, completed: [...completed], inflight: [...inflight] },
      input.checkpointIo,
    );
  const batchSize = input.batchSize ?? Math.max(50, Math.round(mapping.rate * 2));
  const sem = new Semaphore(mapping.concurrency);
  const actStart = performance.now();
  const requestsAtStart = api.requests;
  let consecutive = 0;
  let fatal: RunbookError | undefined;
  const stopped = (): boolean => signal.aborted || fatal !== undefined || input.auditFailure?.() !== undefined;

  const report = (): void => {
    if (!input.progress) return;
    const elapsed = (performance.now() - actStart) / 1000;
    const done = result.created + result.existed + result.failed.length;
    const ups = elapsed > 0 ? done / elapsed : 0;
    input.progress({
      done,
      total: result.total,
      created: result.created,
      existed: result.existed,
      failed: result.failed.length,
      usersPerSecond: ups,
      requestsPerSecond: elapsed > 0 ? (api.requests - requestsAtStart) / elapsed : 0,
      elapsedSeconds: elapsed,
      etaSeconds: ups > 0 ? (result.total - done) / ups : undefined,
    });
  };

  const runOne = async (user: PlannedUser): Promise<void> => {
    try {
      const outcome = await applyUser(api, user, input.invite, input.audit);
      if (outcome.created) result.created++;
      else result.existed++;
      if (outcome.disabled) result.disabled++;
      result.grouped += outcome.groups.length;
      inflight.delete(user.username);
      completed.add(user.username);
      consecutive = 0;
    } catch (error) {
      // Interrupted mid-user (the abort cancels its request): it stays in flight for the next run.
      if (signal.aborted) return;
      result.failed.push({
        username: user.username,
        position: user.position,
        error: error instanceof Error && !('$metadata' in error) ? error.message : awsMessage(error),
      });
      if (++consecutive >= MAX_CONSECUTIVE_FAILURES && !fatal) {
        fatal = new RunbookError('USERS', `users sync stopped after ${consecutive} failures in a row; the last: ${awsMessage(error)}`, {
          hint: 'Fix the cause (credentials, permissions, quota), then run `users sync` again: it resumes from the checkpoint.',
        });
      }
    }
    report();
  };

  const launch = async (batch: PlannedUser[]): Promise<void> => {
    if (batch.length === 0) return;
    for (const u of batch) inflight.add(u.username);
    // Written before the first call for any of them, so a crash can never lose track of one.
    await write();
    for (const u of batch) {
      await sem.acquire();
      if (stopped()) {
        sem.release();
        return;
      }
      void runOne(u).finally(() => sem.release());
    }
  };

  report();
  let batch: PlannedUser[] = [];
  try {
    for await (const d of planUsers(readExport(source, signal), planInput)) {
      if (stopped()) break;
      if (d.kind !== 'create') continue;
      batch.push(d.user);
      if (batch.length >= batchSize) {
        await launch(batch);
        batch = [];
      }
    }
    if (!stopped()) await launch(batch);
  } finally {
    await sem.drain();
    await write();
  }
  result.interrupted = signal.aborted;
  result.requests = api.requests;
  result.retries = api.retries;
  result.elapsedSeconds = (performance.now() - started) / 1000;
  input.audit({
    event: 'users.sync',
    dryRun: false,
    userPoolId: api.userPoolId,
    exportDigest: digest,
    created: result.created,
    existed: result.existed,
    disabled: result.disabled,
    grouped: result.grouped,
    failed: result.failed.length,
    blocked: result.blocked.length,
    invalid: result.invalid.length,
    serviceAccounts: result.serviceAccounts,
    withoutPassword: result.withoutPassword,
    interrupted: result.interrupted,
  });
  if (fatal) throw fatal;
  return result;
}
