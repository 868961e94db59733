import type { StateBackend } from './backend.js';
import type { S3Io } from './s3-client.js';
import type { AuditEvent } from './audit.js';
import { S3AuditLog, auditKey } from './s3-audit.js';
import { S3Lock, describeS3Holder } from './s3-lock.js';
import { describeS3, envPrefix } from './s3-location.js';
import { S3StateStore } from './s3-store.js';

/** The caller's ARN for the lock's holder, read once; an unknown identity leaves the field out. */
async function callerArn(region: string, profile: string | undefined): Promise<string | undefined> {
  const { STSClient, GetCallerIdentityCommand } = await import('../aws/sdk/sts.js');
  const out = await new STSClient({ region: process.env.AWS_REGION ?? region, ...(profile ? { profile } : {}) }).send(
    new GetCallerIdentityCommand({}),
  );
  return out.Arn;
}

export interface S3BackendInput {
  io: S3Io;
  source: string;
  runbook: string;
  env: { name: string; region: string; profile?: string | undefined };
  timeScale: number;
}

/** The environment under `s3://bucket/prefix/<env>/`: state.json, lock.json, audit/, and the watch's and users sync's documents. */
export function s3Backend(
  input: S3BackendInput,
): StateBackend & { stateStore(guard?: () => void): S3StateStore; writeAuditEvent(event: AuditEvent): Promise<void> } {
  const { io } = input;
  const root = envPrefix(io.location, input.env.name);
  let identity: Promise<string | undefined> | undefined;
  const lock = new S3Lock(
    io,
    `${root}lock.json`,
    input.env.name,
    input.timeScale,
    () => (identity ??= callerArn(input.env.region, input.env.profile).catch(() => undefined)),
  );
  const stateStore = (guard?: () => void) => new S3StateStore(io, `${root}state.json`, input.runbook, input.env.name, guard);
  return {
    kind: 's3',
    location: describeS3(io.location, input.env.name),
    stateStore,
    store: stateStore,
    documents: {
      async read(name) {
        return (await io.get(`${root}${name}`))?.text ?? null;
      },
      async write(name, text) {
        const result = await io.put(`${root}${name}`, text);
        if (result === 'conflict') throw new Error(`could not write ${io.url(`${root}${name}`)}`);
      },
      async remove(name) {
        await io.delete(`${root}${name}`);
      },
      locate: (name) => io.url(`${root}${name}`),
    },
    acquireLock: (command) => lock.acquire(command),
    readLock: () => lock.read(),
    async releaseLock(options) {
      const info = await lock.release(options);
      return info ? { info, file: io.url(`${root}lock.json`) } : null;
    },
    describeHolder: describeS3Holder,
    audit: (base, who) => new S3AuditLog(io, `${root}audit/`, base, who),
    readAudit: () => S3AuditLog.read(io, `${root}audit/`),
    // One object per event: each was written whole, so there is no torn line to mark.
    auditEntries: async () => (await S3AuditLog.read(io, `${root}audit/`)).map((event, i) => ({ line: i + 1, event })),
    async writeAuditEvent(event) {
      // state push: an event as it was, under a key that sorts by its own time.
      await io.put(auditKey(`${root}audit/`, event.time), `${JSON.stringify(event)}\n`, { ifNoneMatch: '*' });
    },
    async status() {
      return {
        kind: 's3',
        bucket: io.location.bucket,
        prefix: io.location.prefix,
        url: describeS3(io.location, input.env.name),
        source: input.source,
        versioning: await io.versioning(),
        encryption: io.location.kmsKeyId ? `SSE-KMS (${io.location.kmsKeyId})` : 'SSE-S3',
      };
    },
  };
}
