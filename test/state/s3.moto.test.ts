import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../../src/sandbox/moto.js';
import { s3Backend } from '../../src/state/s3-backend.js';
import { createS3Io, type S3Io } from '../../src/state/s3-client.js';
import { S3Lock } from '../../src/state/s3-lock.js';
import { S3StateStore } from '../../src/state/s3-store.js';
import type { Checkpoint } from '../../src/steps/types.js';

/**
 * Issue 13 over real HTTP against moto 5.2.1 (with the sandbox's patch): the conditional writes
 * the S3 backend stands on, and the backend's lock, audit and state document under concurrency.
 */
let moto: MotoServer;
const BUCKET = 'team-state';
const saved: Record<string, string | undefined> = {};
const ENV_VARS = {
  AWS_ENDPOINT_URL: '',
  AWS_ACCESS_KEY_ID: 'testing',
  AWS_SECRET_ACCESS_KEY: 'testing',
  AWS_SESSION_TOKEN: '',
  AWS_REGION: 'eu-west-2',
};
let prefixes = 0;

type S3 = typeof import('@aws-sdk/client-s3');
let s3: S3;
let raw: InstanceType<S3['S3Client']>;

beforeAll(async () => {
  moto = await startMoto();
  for (const [key, value] of Object.entries({ ...ENV_VARS, AWS_ENDPOINT_URL: moto.url })) {
    saved[key] = process.env[key];
    process.env[key] = value;
  }
  s3 = await import('@aws-sdk/client-s3');
  raw = new s3.S3Client({
    endpoint: moto.url,
    region: 'eu-west-2',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    maxAttempts: 1,
  });
  await raw.send(new s3.CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
}, 30_000);

afterAll(async () => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
  await moto?.stop();
});

/** Each test its own prefix, so they never see each other's objects. */
function freshIo(): S3Io {
  prefixes += 1;
  return createS3Io({ bucket: BUCKET, prefix: `t${prefixes}` }, 'eu-west-2');
}

const status = async (p: Promise<unknown>) =>
  p.then(
    () => 200,
    (e: { $metadata?: { httpStatusCode?: number } }) => e.$metadata?.httpStatusCode,
  );

function checkpoint(ref: string, status: Checkpoint['status'] = 'applied'): Checkpoint {
  return { ref, type: 'test', title: ref, status, params: {}, digest: 'd', at: new Date().toISOString() };
}

describe('moto 5.2.1 honours conditional PutObject', () => {
  it('If-None-Match: * creates once, then 412; If-Match writes only over the ETag it names; DeleteObject If-Match too', async () => {
    const put = (extra: Record<string, string>) =>
      raw.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: 'cond/x', Body: 'a', ...extra }));
    expect(await status(put({ IfNoneMatch: '*' }))).toBe(200);
    expect(await status(put({ IfNoneMatch: '*' }))).toBe(412);
    const etag = (await raw.send(new s3.HeadObjectCommand({ Bucket: BUCKET, Key: 'cond/x' }))).ETag!;
    expect(await status(put({ IfMatch: '"0000"' }))).toBe(412);
    expect(await status(put({ IfMatch: etag, Body: 'b' }))).toBe(200);
    // The ETag moved with the write: the old one no longer matches.
    expect(await status(put({ IfMatch: etag, Body: 'c' }))).toBe(412);
    expect(await status(raw.send(new s3.DeleteObjectCommand({ Bucket: BUCKET, Key: 'cond/x', IfMatch: etag })))).toBe(412);
  });

  it('of 10 concurrent If-None-Match: * creators exactly one wins (the patch makes check-and-write atomic)', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        status(raw.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: 'cond/race', Body: String(i), IfNoneMatch: '*' }))),
      ),
    );
    expect(results.filter((r) => r === 200)).toHaveLength(1);
    expect(results.filter((r) => r === 412)).toHaveLength(9);
  });
});

describe('the S3 backend under concurrency', () => {
  it('5 concurrent lock takers: exactly one holds it, the others are told who; release deletes only its own lock', async () => {
    const io = freshIo();
    const takers = Array.from(
      { length: 5 },
      () => new S3Lock(io, `${io.location.prefix}/env/lock.json`, 'env', 600, async () => undefined),
    );
    const results = await Promise.allSettled(takers.map((t, i) => t.acquire(`run mid #${i}`)));
    const held = results.filter((r): r is PromiseFulfilledResult<Awaited<ReturnType<S3Lock['acquire']>>> => r.status === 'fulfilled');
    expect(held).toHaveLength(1);
    const holder = held[0]!.value;
    for (const r of results) if (r.status === 'rejected') expect((r.reason as Error).message).toContain(`lock id ${holder.info.lockId}`);
    // Forced away, then taken by someone else: the first holder's release leaves the new lock alone.
    expect(await takers[1]!.release({ force: true })).toMatchObject({ lockId: holder.info.lockId });
    const second = await takers[2]!.acquire('run mid again');
    await holder.release();
    expect(await takers[3]!.read()).toMatchObject({ held: true, info: { lockId: second.info.lockId } });
    await second.release();
    expect(await takers[3]!.read()).toEqual({ held: false });
  });

  it("a holder's heartbeat keeps its lease live; a lock nobody renews goes stale when its lease runs out and is released by its id", async () => {
    const io = freshIo();
    const key = `${io.location.prefix}/env/lock.json`;
    // The lease is 5 min of plan time, never under 2 s: at scale 600 that is 2 s.
    const holder = new S3Lock(io, key, 'env', 600, async () => 'arn:aws:iam::000000000000:user/a');
    const taken = await holder.acquire('run mid');
    const info = JSON.parse((await io.get(key))!.text) as Record<string, unknown>;
    expect(info).toMatchObject({
      identity: 'arn:aws:iam::000000000000:user/a',
      pid: process.pid,
      command: 'run mid',
      lockId: taken.info.lockId,
      leaseMs: 2000,
    });
    expect(JSON.stringify(info)).not.toMatch(/secret|token|testing/i);
    const other = new S3Lock(io, key, 'env', 600, async () => undefined);
    await new Promise((r) => setTimeout(r, 2600));
    expect(await other.read()).toMatchObject({ held: true, stale: false });
    await expect(other.release({ force: false })).rejects.toThrow(/lease runs until/);
    await taken.release();

    // What a kill -9 leaves: a lock whose lease nobody renews.
    const dead = { ...info, lockId: 'dead-1', expires: new Date(Date.now() + 300).toISOString() };
    await io.put(key, JSON.stringify(dead));
    await new Promise((r) => setTimeout(r, 500));
    expect(await other.read()).toMatchObject({ held: true, stale: true, info: { lockId: 'dead-1' } });
    await expect(other.acquire('run mid')).rejects.toMatchObject({
      code: 'LOCK_STALE',
      message: expect.stringContaining('arn:aws:iam::000000000000:user/a'),
    });
    await expect(other.release({ force: false, lockId: 'another' })).rejects.toThrow(/not another/);
    expect(await other.release({ force: false, lockId: 'dead-1' })).toMatchObject({ lockId: 'dead-1' });
    expect(await other.read()).toEqual({ held: false });
  }, 20_000);

  it('a holder whose lock was forced away notices at its next heartbeat and stops writing state', async () => {
    const io = freshIo();
    const key = `${io.location.prefix}/env/lock.json`;
    const lock = new S3Lock(io, key, 'env', 600, async () => undefined);
    const held = await lock.acquire('run mid');
    const store = new S3StateStore(io, `${io.location.prefix}/env/state.json`, 'rb', 'env', () => {
      if (held.lost) throw Object.assign(new Error(held.lost), { code: 'LOCKED' });
    });
    const state = await store.load();
    state.steps['mid.1'] = checkpoint('mid.1');
    await store.save(state);
    await new S3Lock(io, key, 'env', 600, async () => undefined).release({ force: true });
    for (let i = 0; i < 40 && !held.lost; i += 1) await new Promise((r) => setTimeout(r, 100));
    expect(held.lost).toMatch(/was released or taken by someone else/);
    state.steps['mid.2'] = checkpoint('mid.2');
    await expect(store.save(state)).rejects.toMatchObject({ code: 'LOCKED' });
    expect(Object.keys((await new S3StateStore(io, `${io.location.prefix}/env/state.json`, 'rb', 'env').load()).steps)).toEqual(['mid.1']);
    // Its release leaves alone whatever lock there is now.
    const next = await lock.acquire('run mid (next operator)');
    await held.release();
    expect(await lock.read()).toMatchObject({ held: true, info: { lockId: next.info.lockId } });
    await next.release();
  }, 20_000);

  it('20 concurrent audit writers lose no event; log reads them back in time order', async () => {
    const io = freshIo();
    const backend = s3Backend({ io, source: 'test', runbook: 'rb', env: { name: 'env', region: 'eu-west-2' }, timeScale: 1 });
    await Promise.all(
      Array.from({ length: 20 }, async (_, writer) => {
        const audit = backend.audit({ user: `w${writer}`, command: 'test', env: 'env' });
        for (let i = 0; i < 5; i += 1) await audit.append({ event: 'e', step: `${writer}.${i}`, password: 'never', token: 'never' });
      }),
    );
    const events = await backend.readAudit();
    expect(events).toHaveLength(100);
    expect(new Set(events.map((e) => e.step)).size).toBe(100);
    expect(events.map((e) => e.time)).toEqual([...events.map((e) => e.time)].sort());
    // Each writer's own events stay in its order.
    for (let writer = 0; writer < 20; writer += 1)
      expect(events.filter((e) => e.user === `w${writer}`).map((e) => e.step)).toEqual([0, 1, 2, 3, 4].map((i) => `${writer}.${i}`));
    expect(JSON.stringify(events)).not.toContain('never');
  });

  it('writers of different steps never lose a checkpoint: If-Match conflicts are merged and retried', async () => {
    const io = freshIo();
    const key = `${io.location.prefix}/env/state.json`;
    const stores = Array.from({ length: 5 }, () => new S3StateStore(io, key, 'rb', 'env'));
    await Promise.all(
      stores.map(async (store, w) => {
        const state = await store.load();
        for (let i = 0; i < 4; i += 1) {
          state.steps[`w${w}.${i}`] = checkpoint(`w${w}.${i}`);
          await store.save(state);
        }
      }),
    );
    const final = await new S3StateStore(io, key, 'rb', 'env').load();
    expect(Object.keys(final.steps).sort()).toEqual(stores.flatMap((_, w) => [0, 1, 2, 3].map((i) => `w${w}.${i}`)).sort());
    const conflicts = stores.reduce((n, s) => n + s.conflicts, 0);
    expect(conflicts).toBeGreaterThan(0);
  });

  it('the same step changed on both sides is a STATE_CONFLICT, and theirs is kept', async () => {
    const io = freshIo();
    const key = `${io.location.prefix}/env/state.json`;
    const a = new S3StateStore(io, key, 'rb', 'env');
    const b = new S3StateStore(io, key, 'rb', 'env');
    const sa = await a.load();
    const sb = await b.load();
    sa.steps['mid.3'] = checkpoint('mid.3', 'applied');
    await a.save(sa);
    sb.steps['mid.3'] = checkpoint('mid.3', 'failed');
    await expect(b.save(sb)).rejects.toMatchObject({ code: 'STATE_CONFLICT' });
    expect((await new S3StateStore(io, key, 'rb', 'env').load()).steps['mid.3']?.status).toBe('applied');
  });

  it('a corrupt or foreign state object is refused naming bucket and key, and never overwritten', async () => {
    const io = freshIo();
    const key = `${io.location.prefix}/env/state.json`;
    for (const body of [
      '{ not json',
      JSON.stringify({ terraform_version: '1.9.0', resources: [] }),
      JSON.stringify({ version: 1, runbook: 'other', env: 'env', steps: {}, rollbacks: {} }),
    ]) {
      await raw.send(new s3.PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body }));
      const store = new S3StateStore(io, key, 'rb', 'env');
      await expect(store.load()).rejects.toMatchObject({
        code: 'STATE_CORRUPT',
        message: expect.stringContaining(`s3://${BUCKET}/${key}`),
      });
      await expect(store.save({ version: 1, runbook: 'rb', env: 'env', updatedAt: '', steps: {}, rollbacks: {} })).rejects.toMatchObject({
        code: 'STATE_CORRUPT',
      });
      expect((await io.get(key))!.text).toBe(body);
    }
  });

  it('encrypts every object: SSE-S3 by default, SSE-KMS with the configured key', async () => {
    const io = freshIo();
    await io.put(`${io.location.prefix}/a`, '{}');
    expect((await raw.send(new s3.HeadObjectCommand({ Bucket: BUCKET, Key: `${io.location.prefix}/a` }))).ServerSideEncryption).toBe(
      'AES256',
    );
    const kms = createS3Io({ bucket: BUCKET, prefix: io.location.prefix, kmsKeyId: 'alias/migrate-state' }, 'eu-west-2');
    await kms.put(`${io.location.prefix}/b`, '{}');
    const head = await raw.send(new s3.HeadObjectCommand({ Bucket: BUCKET, Key: `${io.location.prefix}/b` }));
    expect(head.ServerSideEncryption).toBe('aws:kms');
    expect(head.SSEKMSKeyId).toContain('migrate-state');
  });

  it("status reads the bucket's versioning; a write S3 does not confirm is an error naming bucket and key, never done", async () => {
    const io = freshIo();
    const backend = s3Backend({ io, source: '--state', runbook: 'rb', env: { name: 'env', region: 'eu-west-2' }, timeScale: 1 });
    expect(await backend.status()).toMatchObject({ kind: 's3', bucket: BUCKET, versioning: 'Off', encryption: 'SSE-S3' });
    await raw.send(new s3.PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } }));
    expect(await backend.status()).toMatchObject({ versioning: 'Enabled' });

    const missing = createS3Io({ bucket: 'no-such-state-bucket', prefix: 'p' }, 'eu-west-2');
    const store = new S3StateStore(missing, 'p/env/state.json', 'rb', 'env');
    await expect(store.load()).rejects.toMatchObject({
      code: 'AWS_ERROR',
      message: expect.stringContaining('s3://no-such-state-bucket/p/env/state.json'),
      hint: expect.stringContaining('Create the bucket'),
    });
    await expect(missing.put('p/env/state.json', '{}')).rejects.toMatchObject({ code: 'AWS_ERROR' });
  });
});
