import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { AuditLog, type AuditEntry, type AuditEvent } from './audit.js';
import { FileStateStore } from './file-store.js';
import { ensurePrivateDir, readPrivateFile, writeFileAtomic } from './fs-safe.js';
import { acquireLock, describeHolder, readLock, releaseLock, type HeldLock, type LockInfo, type LockState, type Released } from './lock.js';
import { createS3Io, type S3Io } from './s3-client.js';
import { describeS3, envPrefix, fromConfig, parseS3Url, type S3Location, type S3StateConfig } from './s3-location.js';
import type { StateStore } from './types.js';

/** Small documents beside the state (watch.json, users-sync.json), on whichever backend it is. */
export interface Documents {
  read(name: string): Promise<string | null>;
  write(name: string, text: string): Promise<void>;
  /** Removes the document; nothing when it is not there. */
  remove(name: string): Promise<void>;
  /** Where `name` lives, for messages. */
  locate(name: string): string;
}

export interface AuditSink {
  append(event: { event: string; step?: string; result?: string; detail?: string; [key: string]: unknown }): Promise<void>;
}

export type BackendStatus =
  | { kind: 'local'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      prefix: string;
      url: string;
      source: string;
      versioning: 'Enabled' | 'Suspended' | 'Off' | 'unknown';
      encryption: string;
    };

/** One environment's state, lock, audit trail and side documents: local folder or S3 prefix. */
export interface StateBackend {
  readonly kind: 'local' | 's3';
  /** The folder or `s3://bucket/prefix/<env>/`. */
  readonly location: string;
  /** `guard` throws when the caller may no longer write (S3: the lock was taken away). */
  store(guard?: () => void): StateStore;
  readonly documents: Documents;
  acquireLock(command: string): Promise<HeldLock & { readonly lost?: string | undefined }>;
  readLock(): Promise<LockState>;
  releaseLock(options: { force: boolean; lockId?: string | undefined }): Promise<Released | null>;
  describeHolder(info: LockInfo): string;
  audit(base: { user: string; command: string; env: string; dryRun?: boolean | undefined }, identity?: () => string | undefined): AuditSink;
  readAudit(): Promise<AuditEvent[]>;
  /** The audit trail with any damaged record marked where it stands (log shows them; it never hides the rest). */
  auditEntries(): Promise<AuditEntry[]>;
  status(): Promise<BackendStatus>;
}

export type StateChoice = { kind: 'local' } | { kind: 's3'; location: S3Location; source: string };

interface StateOptions {
  state?: string | undefined;
}

/**
 * Which backend an environment uses: `--state s3://…`, then MIGRATE_STATE, then the runbook
 * environment's `state: { s3 }`; otherwise the local folder. `--state local` (or
 * MIGRATE_STATE=local) keeps the local folder whatever the runbook says.
 */
export function chooseState(opts: StateOptions, envDef: { state?: { s3: S3StateConfig } | undefined } | undefined): StateChoice {
  const given = opts.state ?? process.env.MIGRATE_STATE;
  const source = opts.state !== undefined ? '--state' : 'MIGRATE_STATE';
  if (given !== undefined && given !== '') {
    if (given === 'local') return { kind: 'local' };
    return { kind: 's3', location: parseS3Url(given, source), source };
  }
  if (envDef?.state?.s3) return { kind: 's3', location: fromConfig(envDef.state.s3), source: 'runbook state:' };
  return { kind: 'local' };
}

export interface BackendInput {
  choice: StateChoice;
  envDir: string;
  runbook: string;
  env: { name: string; region: string; profile?: string | undefined };
  timeScale: number;
}

export async function openBackend(input: BackendInput): Promise<StateBackend> {
  if (input.choice.kind === 'local') return localBackend(input.envDir, input.runbook, input.env.name);
  const { s3Backend } = await import('./s3-backend.js');
  return s3Backend({
    io: createS3Io(input.choice.location, input.env.region, input.env.profile),
    source: input.choice.source,
    runbook: input.runbook,
    env: input.env,
    timeScale: input.timeScale,
  });
}

export function localDocuments(dir: string): Documents {
  // Like state.json: never read or written through a symlink, and made private if others can read it.
  return {
    async read(name) {
      return (await readPrivateFile(join(dir, name), name)) ?? null;
    },
    async write(name, text) {
      await ensurePrivateDir(dir);
      await writeFileAtomic(join(dir, name), text, { what: name });
    },
    async remove(name) {
      await rm(join(dir, name), { force: true });
    },
    locate: (name) => join(dir, name),
  };
}

export function localBackend(envDir: string, runbook: string, env: string): StateBackend {
  return {
    kind: 'local',
    location: envDir,
    store: () => new FileStateStore(envDir, runbook, env),
    documents: localDocuments(envDir),
    acquireLock: (command) => acquireLock(envDir, command, env),
    readLock: () => readLock(envDir),
    async releaseLock({ force, lockId }) {
      if (lockId)
        throw new RunbookError('USAGE', '--lock-id is for the S3 backend; a local lock is released by "migrate unlock" (or --force)');
      return releaseLock(envDir, env, force);
    },
    describeHolder,
    audit: (base, identity) => new AuditLog(envDir, base, identity),
    readAudit: () => AuditLog.read(envDir),
    auditEntries: () => AuditLog.entries(envDir),
    status: async () => ({ kind: 'local', dir: envDir }),
  };
}

export { describeS3, envPrefix, type S3Io };
