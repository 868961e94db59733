import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMoto, type MotoServer } from '../../src/sandbox/moto.js';
import { cli, localEnv, localRunbook, tempDir } from './helpers.js';

/**
 * Issue 13: many migrate processes on one environment in S3 at once, over real HTTP: exactly one
 * takes the lock, and no audit event of any of them is lost.
 */
let moto: MotoServer;
const dir = tempDir('migrate-s3-conc-');
const BUCKET = 'conc-state';

beforeAll(async () => {
  moto = await startMoto();
  const s3 = await import('@aws-sdk/client-s3');
  const client = new s3.S3Client({
    endpoint: moto.url,
    region: 'eu-west-2',
    forcePathStyle: true,
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
  await client.send(new s3.CreateBucketCommand({ Bucket: BUCKET, CreateBucketConfiguration: { LocationConstraint: 'eu-west-2' } }));
  client.destroy();
}, 60_000);

afterAll(async () => {
  await moto?.stop();
  dir.remove();
});

describe('concurrent migrate processes on the S3 backend', () => {
  it('5 runs at once: one holds the lock and applies, 4 exit 3 naming it; 20 plans at once: every audit event kept', async () => {
    // The winner holds the lock until a gate opens, and the gate opens only once the four others
    // have been turned away: all five try while it is held, however loaded the machine.
    const gate = join(dir.path, 'gate');
    const book = localRunbook(dir.path, { steps: 2, hold: { 1: gate } });
    const localState = join(dir.path, 'never');
    // localEnv drops AWS_ENDPOINT_URL (its runbooks call no AWS); the state backend needs it.
    const env = {
      ...localEnv(localState),
      AWS_ENDPOINT_URL: moto.url,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: '',
      AWS_REGION: 'eu-west-2',
      MIGRATE_STATE: `s3://${BUCKET}/team`,
    };
    const migrate = (...args: string[]) => cli(['--runbook', book.file, ...args], env);

    const started = Array.from({ length: 5 }, () => migrate('run', 'mid', '--yes'));
    let ended = 0;
    const othersEnded = new Promise<void>((resolve) => {
      for (const run of started) void run.then(() => ++ended === 4 && resolve());
    });
    // Should two runs ever hold the lock, neither ends by itself: open the gate anyway after a
    // while, so the assertions below say what went wrong instead of the test timing out.
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([othersEnded, new Promise((resolve) => (timer = setTimeout(resolve, 30_000)))]);
    clearTimeout(timer);
    writeFileSync(gate, '');
    const runs = await Promise.all(started);
    const codes = runs.map((r) => r.code).sort();
    expect(codes, runs.map((r) => r.stderr).join('\n')).toEqual([0, 3, 3, 3, 3]);
    for (const r of runs.filter((x) => x.code === 3)) expect(r.stderr).toMatch(/is locked by .*pid \d+ on .*running "run mid"/);
    expect(book.writes()).toEqual(['set a=1', 'set b=2']);

    const one = await migrate('plan', 'mid');
    expect(one.code, one.stderr).toBe(0);
    const perPlan = (await logOf(migrate)).filter((e) => e.command === 'plan mid').length;
    expect(perPlan).toBeGreaterThan(1);
    const plans = await Promise.all(Array.from({ length: 20 }, () => migrate('plan', 'mid')));
    expect(plans.map((p) => p.code)).toEqual(Array(20).fill(0));
    const events = await logOf(migrate);
    expect(events.filter((e) => e.command === 'plan mid')).toHaveLength(21 * perPlan);
    expect(events.map((e) => e.time)).toEqual([...events.map((e) => e.time)].sort());
    const status = JSON.parse((await migrate('status', '--json')).stdout) as { lock: unknown; steps: { ref: string; status: string }[] };
    expect(status.lock).toBeNull();
    expect(status.steps.map((s) => s.status)).toEqual(['applied', 'applied']);
    expect(existsSync(localState)).toBe(false);
  }, 120_000);
});

async function logOf(migrate: (...args: string[]) => ReturnType<typeof cli>): Promise<{ command: string; time: string }[]> {
  const log = await migrate('log', '--json');
  expect(log.code, log.stderr).toBe(0);
  return (JSON.parse(log.stdout) as { events: { command: string; time: string }[] }).events;
}
