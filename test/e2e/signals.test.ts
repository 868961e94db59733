import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { snapshotEstate } from '../../src/sandbox/estate.js';
import {
  RUNBOOK,
  auditLines,
  cli,
  inTerminal,
  localEnv,
  localRunbook,
  lockExists,
  readState,
  sandboxEnv,
  sandboxPool,
  tempDir,
  withIdsNamed,
  type PtyAction,
} from './helpers.js';

/**
 * Issue 10: every way of stopping a run in a terminal, with listr2's renderer drawing, is a clean
 * stop: Ctrl-C typed at the keyboard, SIGTERM, and the terminal closing (SIGHUP, then EIO on every
 * write). The step in flight is recorded "interrupted", the lock released, exit 4, and `status`
 * names the command that resumes; that command converges to the estate of an uninterrupted run.
 */

const MID = ['mid.1', 'mid.2', 'mid.3', 'mid.4', 'mid.5a', 'mid.5b'];
/**
 * At time scale 60 the old TTL (5m) takes 5 real seconds: the run is stopped a second into it.
 * (listr2 cuts the title at the terminal's width, so the countdown's number is not always shown.)
 */
const IN_TTL_WAIT = String.raw`old TTL \(5m\) of apps\.tis\.nhs\.uk\. to expire`;

const STOPS: { name: string; action: { send: string } | { signal: 'SIGTERM' } | { hangup: true } }[] = [
  { name: 'Ctrl-C typed in the terminal', action: { send: '\x03' } },
  { name: 'SIGTERM', action: { signal: 'SIGTERM' } },
  { name: 'the terminal closed (SIGHUP)', action: { hangup: true } },
];

interface Estate {
  appsRecordSets: unknown;
  revalProviderArns: unknown;
  userManagementPolicy: unknown;
  userManagementStageVariables: unknown;
}

async function estateOf(sandbox: Sandbox): Promise<Estate> {
  const s = await snapshotEstate(sandbox.moto.url, sandbox.ids);
  const named = withIdsNamed(sandbox.ids);
  return named({
    appsRecordSets: s.appsRecordSets,
    revalProviderArns: s.revalProviderArns,
    userManagementPolicy: s.userManagementPolicy,
    userManagementStageVariables: s.userManagementStageVariables,
  }) as Estate;
}

describe("stopping run mid inside mid.3's TTL countdown, in a terminal", () => {
  let reference: Estate;
  const sandboxes: Sandbox[] = [];
  // Each stop gets a new, freshly seeded sandbox; only the moto under it is reused, reset.
  const pool = sandboxPool();
  const dirs: { remove(): void }[] = [];

  async function fresh() {
    const sandbox = await pool.start({ timeScale: 600 });
    sandboxes.push(sandbox);
    const dir = tempDir();
    dirs.push(dir);
    return { sandbox, state: dir.path };
  }

  beforeAll(async () => {
    const { sandbox, state } = await fresh();
    const run = await cli(['--runbook', RUNBOOK, 'run', 'mid', '--yes'], sandboxEnv(sandbox, state));
    expect(run.code, run.stderr).toBe(0);
    reference = await estateOf(sandbox);
    await sandbox.stop();
  }, 60_000);
  afterAll(async () => {
    await Promise.allSettled(sandboxes.map((s) => s.stop()));
    await pool.stop();
    for (const dir of dirs) dir.remove();
  });

  // Each stop has a sandbox and a state of its own, and spends most of its time in mid.3's TTL
  // waits (5 s each at time scale 60): they run side by side, two at a time (maxConcurrency).
  it.concurrent.for(STOPS)(
    '$name: exit 4, mid.3 interrupted, lock released; the resume command status prints converges',
    { timeout: 90_000 },
    async ({ action }, { expect }) => {
      const { sandbox, state } = await fresh();
      try {
        const env = sandboxEnv(sandbox, state, { MIGRATE_TIME_SCALE: '60' });
        const stopped = await inTerminal(['--runbook', RUNBOOK, 'run', 'mid', '--yes'], env, [
          { expect: IN_TTL_WAIT, delay: 1.5, ...action } as PtyAction,
        ]);
        expect(stopped.error, stopped.output).toBeNull();
        expect(stopped.signal, stopped.output).toBeNull();
        expect(stopped.exitCode, stopped.output).toBe(4);
        if (!('hangup' in action)) {
          // listr2 drew the run (its frames, not plain lines), then the way back.
          expect(stopped.output).toMatch(/[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] mid\.3/);
          expect(stopped.output).toMatch(/error: interrupted during mid\.3/);
          expect(stopped.output).toContain(
            `hint: The state was saved and the lock released. To resume: migrate run mid --runbook ${RUNBOOK} --env sandbox --from 3`,
          );
        }
        expect(lockExists(state)).toBe(false);
        const steps = readState(state).steps;
        expect(MID.map((ref) => steps[ref]?.status ?? 'pending')).toEqual([
          'applied',
          'applied',
          'interrupted',
          'pending',
          'pending',
          'pending',
        ]);
        expect(steps['mid.3']?.before).toBeTruthy();
        expect(auditLines(state).at(-1)).toMatchObject({ event: 'run-end', result: 'aborted' });

        const status = await cli(['--runbook', RUNBOOK, 'status'], env);
        expect(status.code, status.stderr).toBe(0);
        expect(status.stdout).toMatch(/mid\.3\s+interrupted/);
        expect(status.stdout).toMatch(/mid\.3 was interrupted in the middle of its change/);
        const json = JSON.parse((await cli(['--runbook', RUNBOOK, 'status', '--json'], env)).stdout) as {
          steps: { ref: string; status: string; resume?: string }[];
        };
        const row = json.steps.find((s) => s.ref === 'mid.3');
        expect(row).toMatchObject({ status: 'interrupted' });
        // The sandbox's exports set MIGRATE_ENV, so the command names the environment.
        expect(row?.resume).toBe(`migrate run mid --runbook ${RUNBOOK} --env sandbox --from 3`);
        expect(status.stdout).toContain(row!.resume!);

        // The printed command, as printed (no terminal here, so with --yes), finishes the cutover.
        const resumeArgs = [...row!.resume!.split(' ').slice(1), '--yes'];
        // The stop needed scale 60's 5 s window to land in; the resumed run only has to show its wait
        // (the countdown is shown for waits of 1.5 s or more), so at 180 it waits 1.7 s instead of 5.
        const resumed = await cli(resumeArgs, sandboxEnv(sandbox, state, { MIGRATE_TIME_SCALE: '180' }));
        expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
        // The lowered TTL does not mean the old one has run out: it is waited out again.
        expect(resumed.stdout).toMatch(/old TTL \(5m\) of apps\.tis\.nhs\.uk\. to expire \(in full again after an interrupted run\)/);
        expect(MID.map((ref) => readState(state).steps[ref]?.status)).toEqual(MID.map(() => 'applied'));
        expect(await estateOf(sandbox)).toEqual(reference);
        expect(lockExists(state)).toBe(false);
      } finally {
        await sandbox.stop();
      }
    },
  );
});

describe('stopping at a prompt, in a terminal', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it.each([
    { name: 'SIGTERM', action: { signal: 'SIGTERM' as const }, why: /interrupted \(SIGTERM\)/ },
    { name: 'SIGHUP', action: { signal: 'SIGHUP' as const }, why: /interrupted \(SIGHUP\)/ },
    { name: 'the terminal closed', action: { hangup: true as const }, why: undefined },
  ])(
    '$name while Apply / Skip / Abort waits: exit 4, nothing changed, lock released',
    async ({ name, action, why }) => {
      const sub = join(dir.path, name.replace(/\W+/g, '-'));
      mkdirSync(sub);
      const book = localRunbook(sub, { steps: 2 });
      const state = join(sub, 'state');
      const result = await inTerminal(['--runbook', book.file, 'run', 'mid'], localEnv(state), [
        { expect: String.raw`Apply mid\.1 \(Set a\)\?`, ...action } as PtyAction,
      ]);
      expect(result.error, result.output).toBeNull();
      expect(result.signal, result.output).toBeNull();
      expect(result.exitCode, result.output).toBe(4);
      if (why) {
        expect(result.output).toMatch(why);
        expect(result.output).toContain(`To resume: migrate run mid --runbook ${book.file} --env local --from 1`);
      }
      expect(book.writes()).toEqual([]);
      expect(lockExists(state, 'local')).toBe(false);
      expect(auditLines(state, 'local').at(-1)).toMatchObject({ event: 'run-end', result: 'aborted' });
    },
    40_000,
  );
});
