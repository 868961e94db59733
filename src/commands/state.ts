import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { timeScaleFromEnv } from '../engine/clock.js';
import type { AuditEvent } from '../state/audit.js';
import { localBackend, type StateBackend } from '../state/backend.js';
import { ensurePrivateDir, writeFileAtomic } from '../state/fs-safe.js';
import { s3Backend } from '../state/s3-backend.js';
import { createS3Io } from '../state/s3-client.js';
import { loadEnvironment, operatorName } from './context.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';

/** The side documents that travel with the state. */
const DOCUMENTS = ['watch.json', 'users-sync.json'];

/**
 * `migrate state push | pull`: one environment's checkpoints, audit trail and side documents
 * copied between the local folder and S3, without the lock (nothing may be running: a held lock
 * on either side refuses). The target's state is never replaced unless --force, and a target whose
 * state cannot be read is refused even then.
 */
export async function stateCommand(direction: 'push' | 'pull', opts: GlobalOptions & { force?: boolean | undefined }): Promise<number> {
  const loaded = await loadEnvironment(opts);
  if (loaded.stateChoice.kind !== 's3') {
    throw new RunbookError(
      'USAGE',
      `state ${direction} needs the S3 backend: --state s3://BUCKET/PREFIX, MIGRATE_STATE, or state: { s3: … } in environment "${loaded.env.name}"`,
      {
        hint: `Example: migrate state ${direction} --env ${loaded.env.name} --state s3://my-state-bucket/cognito`,
      },
    );
  }
  const local = localBackend(loaded.envDir, loaded.runbook.name, loaded.env.name);
  const remote = s3Backend({
    io: createS3Io(loaded.stateChoice.location, loaded.env.region),
    source: loaded.stateChoice.source,
    runbook: loaded.runbook.name,
    env: loaded.env,
    timeScale: timeScaleFromEnv(),
  });
  const [from, to] = direction === 'push' ? [local, remote] : [remote, local];

  for (const side of [from, to]) {
    const lock = await side.readLock();
    if (lock.held) {
      throw new RunbookError('LOCKED', `${side.location} is locked${lock.info ? ` by ${side.describeHolder(lock.info)}` : ''}`, {
        hint: 'Move state only while nothing runs on either side; release a dead run\'s lock with "migrate unlock" first.',
      });
    }
  }
  // Both read (and validated) before anything is written: a corrupt target is refused even with --force.
  const source = await from.store().load();
  const target = await to.store().load();
  const targetHas = Object.keys(target.steps).length > 0 || Object.keys(target.rollbacks).length > 0;
  if (targetHas && !opts.force) {
    throw new RunbookError(
      'USAGE',
      `${to.location} already has state for "${loaded.env.name}" (${Object.keys(target.steps).length} checkpoints); nothing was copied`,
      {
        hint: `Compare both sides with "migrate status" first. To replace it: migrate state ${direction} --env ${loaded.env.name} --force`,
      },
    );
  }
  if (Object.keys(source.steps).length === 0 && Object.keys(source.rollbacks).length === 0) {
    throw new RunbookError('USAGE', `${from.location} has no state for "${loaded.env.name}"; nothing to ${direction}`);
  }

  if (to.kind === 's3') await remote.stateStore().replace(source);
  else await to.store().save({ ...source });
  const docs: string[] = [];
  for (const name of DOCUMENTS) {
    const text = await from.documents.read(name);
    if (text === null) continue;
    await to.documents.write(name, text);
    docs.push(name);
  }
  const copied = await copyAudit(from, to, loaded.envDir, (event) => remote.writeAuditEvent(event));
  const operator = operatorName();
  await to
    .audit({ user: operator, command: `state ${direction}`, env: loaded.env.name })
    .append({ event: `state-${direction}`, detail: `from ${from.location}`, result: opts.force && targetHas ? 'replaced' : 'copied' });

  const summary = {
    direction,
    env: loaded.env.name,
    from: from.location,
    to: to.location,
    checkpoints: Object.keys(source.steps).length,
    auditEvents: copied,
    documents: docs,
    replaced: targetHas,
  };
  if (opts.json) printJson(summary);
  else
    process.stdout.write(
      `copied ${summary.checkpoints} checkpoints, ${copied} audit events${docs.length ? ` and ${docs.join(', ')}` : ''} of "${loaded.env.name}"\n  from ${from.location}\n  to   ${to.location}\n`,
    );
  return 0;
}

const fingerprint = (event: AuditEvent) => createHash('sha256').update(JSON.stringify(event)).digest('hex').slice(0, 16);

/** Audit events the target lacks, added in time order; pushing twice adds nothing twice. */
async function copyAudit(
  from: StateBackend,
  to: StateBackend,
  envDir: string,
  writeRemote: (event: AuditEvent) => Promise<void>,
): Promise<number> {
  const [source, existing] = await Promise.all([from.readAudit(), to.readAudit()]);
  const have = new Set(existing.map(fingerprint));
  const missing = source.filter((e) => !have.has(fingerprint(e)));
  if (missing.length === 0) return 0;
  if (to.kind === 'local') {
    const all = [...existing, ...missing].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
    await ensurePrivateDir(envDir);
    await writeFileAtomic(join(envDir, 'audit.jsonl'), all.map((e) => `${JSON.stringify(e)}\n`).join(''));
    return missing.length;
  }
  // Written as they were, under keys that sort by their original time.
  for (const event of missing) await writeRemote(event);
  return missing.length;
}
