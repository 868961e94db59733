import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, expect, it } from 'vitest';
import { AdminListGroupsForUserCommand } from '@aws-sdk/client-cognito-identity-provider';
import { usersSync } from '../../src/commands/users.js';
import { isRunbookError } from '../../src/errors.js';
import type { SyncResult } from '../../src/users/sync.js';
import { capture, createPool, kcUser, listAll, mapping, writeRealmExport } from './helpers.js';
import { client, moto, tmp, useMotoCognito } from './moto-cognito.js';

useMotoCognito();

const TOTAL = 400;
/** Every fifth user disabled, every third in a group: the follow-up calls matter for "lost nobody". */
const make = (i: number): Record<string, unknown> => kcUser(i, { enabled: i % 5 !== 0 });

interface ChildRun {
  created: string[];
  result?: SyncResult;
  error?: string;
  killed: boolean;
}

/** Runs the sync in a child process; with killAfter, kill -9 it once that many users are created. */
function runChild(poolId: string, exportFile: string, checkpointFile: string, killAfter?: number): Promise<ChildRun> {
  const script = new URL('./fixtures/sync-child.mjs', import.meta.url).pathname;
  const child = spawn(process.execPath, [script, moto.endpoint, poolId, exportFile, checkpointFile, '400', '20'], {
    stdio: ['ignore', 'pipe', 'inherit'],
    // The SDK reads "true" only (vitest's config sets "1").
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  const run: ChildRun = { created: [], killed: false };
  createInterface({ input: child.stdout! }).on('line', (line) => {
    const doc = JSON.parse(line) as { audit?: { event: string; username: string }; result?: SyncResult; error?: string };
    if (doc.audit?.event === 'users.create') {
      run.created.push(doc.audit.username);
      if (killAfter !== undefined && run.created.length >= killAfter && !run.killed) {
        run.killed = true;
        child.kill('SIGKILL');
      }
    }
    if (doc.result) run.result = doc.result;
    if (doc.error) run.error = doc.error;
  });
  return new Promise((resolve) => child.once('close', () => resolve(run)));
}

async function checkFollowUps(poolId: string): Promise<void> {
  const users = await listAll(client, poolId);
  const byName = new Map(users.map((u) => [u.Username!, u]));
  for (let i = 0; i < TOTAL; i++) {
    const u = byName.get(`user${i}@example.nhs.uk`);
    expect(u, `user${i}`).toBeDefined();
    expect(u!.Enabled, `user${i} enabled`).toBe(i % 5 !== 0);
  }
  for (let i = 0; i < TOTAL; i += 3) {
    const g = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: poolId, Username: `user${i}@example.nhs.uk` }));
    expect(
      g.Groups?.map((x) => x.GroupName),
      `user${i} groups`,
    ).toEqual(['reval-admins']);
  }
}

describe('users sync resumes after a crash', () => {
  it('kill -9 mid-sync, then sync again: every user exactly once, none lost, counts add up', async () => {
    const pool = await createPool(client, { groups: ['reval-admins'] });
    const exportFile = join(tmp.dir, 'kill.json');
    const checkpointFile = join(tmp.dir, 'state', 'kill.checkpoint.json');
    await writeRealmExport(exportFile, TOTAL, make);

    const first = await runChild(pool, exportFile, checkpointFile, 120);
    expect(first.killed).toBe(true);
    expect(first.result).toBeUndefined();
    const cp = JSON.parse(await readFile(checkpointFile, 'utf8')) as { completed: string[]; inflight: string[] };
    const inPool = (await listAll(client, pool)).length;
    expect(inPool).toBeGreaterThanOrEqual(120);
    expect(inPool).toBeLessThan(TOTAL);
    // Everything the pool holds was either recorded done or recorded in flight before it was sent.
    expect(cp.completed.length + cp.inflight.length).toBeGreaterThanOrEqual(inPool);

    const second = await runChild(pool, exportFile, checkpointFile);
    expect(second.error).toBeUndefined();
    const r = second.result!;
    expect(r.failed).toEqual([]);
    expect(r.checkpointed).toBe(cp.completed.length);
    expect(r.checkpointed + r.created + r.existed).toBe(TOTAL);
    // UsernameExists only for users the crash left in flight.
    expect(r.existed).toBeLessThanOrEqual(cp.inflight.length);
    // Nobody created twice: the two runs' creations are disjoint and together are everyone who was missing.
    const both = [...first.created, ...second.created];
    expect(new Set(both).size).toBe(both.length);
    expect(second.created.length).toBe(r.created);

    const users = await listAll(client, pool);
    expect(users).toHaveLength(TOTAL);
    expect(new Set(users.map((u) => u.Username)).size).toBe(TOTAL);
    await checkFollowUps(pool);

    const third = await runChild(pool, exportFile, checkpointFile);
    expect(third.result).toMatchObject({ total: 0, created: 0, existed: 0, checkpointed: TOTAL });
  }, 120_000);

  it('Ctrl-C (abort) stops sending, saves the checkpoint, and the next run finishes the rest', async () => {
    const pool = await createPool(client, { groups: ['reval-admins'] });
    const exportFile = join(tmp.dir, 'abort.json');
    const checkpointFile = join(tmp.dir, 'abort.checkpoint.json');
    await writeRealmExport(exportFile, 200, make);
    const controller = new AbortController();
    const c = capture();
    let creates = 0;
    const deps = {
      cognito: client,
      mapping: mapping({ rate: 400, concurrency: 8 }),
      userPoolId: pool,
      checkpointFile,
      audit: (e: Record<string, unknown>) => {
        c.audit(e);
        if (e.event === 'users.create' && ++creates === 50) controller.abort();
      },
      out: c.out,
      signal: controller.signal,
    };
    let error: unknown;
    try {
      await usersSync(deps, { exportFile, dryRun: false, invite: false, passwordOk: true, batchSize: 20 });
    } catch (e) {
      error = e;
    }
    expect(isRunbookError(error) && error.code).toBe('ABORTED');
    expect(isRunbookError(error) && error.hint).toMatch(/resumes from the checkpoint/);
    const cp = JSON.parse(await readFile(checkpointFile, 'utf8')) as { completed: string[]; inflight: string[] };
    expect(cp.completed.length).toBeGreaterThanOrEqual(40);
    expect(cp.completed.length).toBeLessThan(200);

    const c2 = capture();
    const r = await usersSync(
      { ...deps, audit: c2.audit, out: c2.out, signal: new AbortController().signal },
      { exportFile, dryRun: false, invite: false, passwordOk: true },
    );
    expect(r.checkpointed + r.created + r.existed).toBe(200);
    const users = await listAll(client, pool);
    expect(users).toHaveLength(200);
  }, 60_000);
});
