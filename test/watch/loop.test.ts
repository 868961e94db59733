import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { exitCodeOf } from '../../src/commands/watch.js';
import type { PhaseResult } from '../../src/engine/engine.js';
import { emptySummary } from '../../src/engine/events.js';
import { RunbookError } from '../../src/errors.js';
import type { ResolvedRunbook } from '../../src/runbook/types.js';
import { emptyState, type StateFile } from '../../src/state/types.js';
import type { StepContext, StepType } from '../../src/steps/types.js';
import { rolledBackAndHealthy, runWatch, watchUntil, type WatchEvent, type WatchSession } from '../../src/watch/index.js';

const HOUR = 3_600_000;
/** 1h of plan time is 1 s of real time; a 1m interval is 17 ms. */
const SCALE = 3600;

/** A check whose health the test sets: world[flag]. */
function flagCheck(world: Record<string, boolean>): StepType<{ flag: string }, { up: boolean }> {
  return {
    name: 'test.flag',
    description: 'a flag the test sets',
    params: z.object({ flag: z.string() }),
    mutates: false,
    async read(_ctx, p) {
      return { up: world[p.flag] === true };
    },
    plan(current, p) {
      if (current.up) return { noop: true, current, summary: `${p.flag} up` };
      throw new RunbookError('ASSERTION_FAILED', `${p.flag} is down`);
    },
    async apply() {
      throw new Error('a check is never applied');
    },
  };
}

type Behaviour = 'locked' | 'ok' | 'drift';

interface Fake extends WatchSession {
  world: Record<string, boolean>;
  steps: StateFile['steps'];
  attempts: string[];
  behaviours: Behaviour[];
}

function fakeSession(envDir: string): Fake {
  const world: Record<string, boolean> = { reval: false };
  const type = flagCheck(world);
  const resolved = {
    runbook: { name: 'loop-test' },
    env: { name: 'sandbox', region: 'eu-west-2', account: '000000000000', protected: false, vars: {} },
    phases: {
      pre: [],
      mid: [
        { ref: 'mid.4', phase: 'mid', id: '4', title: 'Reval to the new pool', type: 'x', with: {}, verify: [], digest: '', params: {} },
      ],
      post: [],
    },
    rollback: [
      { id: '4', title: 'Roll back Reval', undo: ['mid.4'], steps: [], then: [], trigger: { check: 'reval', failingForMs: HOUR } },
    ],
    checks: { reval: { name: 'reval', type: 'test.flag', with: {}, intervalMs: 60_000, params: { flag: 'reval' } } },
  } as unknown as ResolvedRunbook;
  const steps: StateFile['steps'] = {
    'mid.4': {
      ref: 'mid.4',
      type: 'x',
      title: 'Reval',
      status: 'failed',
      params: {},
      before: 'old-pool',
      after: 'new-pool',
      digest: '',
      at: '',
    },
  };
  const fake: Fake = {
    world,
    steps,
    attempts: [],
    behaviours: [],
    resolved,
    env: { name: 'sandbox', region: 'eu-west-2', account: '000000000000', protected: false },
    envDir,
    timeScale: SCALE,
    async verifyAccount() {},
    checkContext: (_name, signal) => ({ signal }) as unknown as StepContext,
    stepType: () => type,
    readState: async () => ({ ...emptyState('loop-test', 'sandbox'), steps: fake.steps }),
    audit: async () => undefined,
    rollbackCommand: (id) => `migrate rollback ${id} --env sandbox`,
    async rollback(id, io): Promise<PhaseResult> {
      fake.attempts.push(id);
      const behaviour = fake.behaviours.shift() ?? 'ok';
      if (behaviour === 'locked') throw new RunbookError('LOCKED', 'environment "sandbox" is locked by pid 1');
      await io.onStart?.();
      if (behaviour === 'drift')
        return { ok: false, summary: emptySummary(), error: new RunbookError('DRIFT', 'mid.4 changed since migrate applied it') };
      world.reval = true;
      fake.steps = { ...fake.steps, 'mid.4': { ...fake.steps['mid.4']!, status: 'rolled-back' } };
      return { ok: true, summary: { ...emptySummary(), rolledBack: ['mid.4'] } };
    },
    close: async () => undefined,
  };
  return fake;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'migrate-watch-loop-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('runWatch with a fake session', () => {
  it('retries a locked environment on the next tick, says so once, then fires; watchUntil ends when the estate is back', async () => {
    const session = fakeSession(dir);
    session.behaviours = ['locked', 'locked', 'ok'];
    const events: WatchEvent[] = [];
    const outcome = await watchUntil({
      session,
      autoRollback: true,
      until: rolledBackAndHealthy('4', ['reval']),
      forMs: 5 * HOUR,
      emit: (e) => events.push(e),
    });
    expect(outcome.reason).toBe('until');
    expect(session.attempts).toEqual(['4', '4', '4']);
    expect(events.filter((e) => e.kind === 'rollback-locked').map((e) => e.kind === 'rollback-locked' && e.first)).toEqual([true, false]);
    expect(outcome.fired).toEqual([expect.objectContaining({ rollback: '4', check: 'reval', result: 'ok', how: 'auto' })]);
    expect(outcome.view.checks.reval).toMatchObject({ ok: true, failingSince: null });
    expect(exitCodeOf(outcome)).toBe(0);
  }, 20_000);

  it('reports a drift refusal, does not try again in the same episode, and keeps watching (exit 5 at the end)', async () => {
    const session = fakeSession(dir);
    session.behaviours = ['drift'];
    const events: WatchEvent[] = [];
    const outcome = await runWatch({ session, autoRollback: true, forMs: 2.5 * HOUR, emit: (e) => events.push(e) });
    expect(outcome.reason).toBe('for');
    expect(session.attempts).toEqual(['4']);
    const end = events.find((e) => e.kind === 'rollback-end');
    expect(end?.kind === 'rollback-end' && end.error?.code).toBe('DRIFT');
    expect(outcome.fired).toEqual([expect.objectContaining({ result: 'drift' })]);
    // Ticks went on after the refusal.
    const lastTick = events.filter((e) => e.kind === 'tick').at(-1);
    expect(lastTick?.kind === 'tick' && lastTick.view.now).toBeGreaterThan(outcome.fired[0]!.endedAt);
    expect(exitCodeOf(outcome)).toBe(5);
  }, 20_000);

  it('never fires a rollback that has nothing to undo', async () => {
    const session = fakeSession(dir);
    session.steps = { 'mid.4': { ...session.steps['mid.4']!, status: 'rolled-back' } };
    const outcome = await runWatch({ session, autoRollback: true, forMs: 1.5 * HOUR });
    expect(session.attempts).toEqual([]);
    expect(outcome.due).toEqual([]);
    expect(outcome.view.triggers[0]).toMatchObject({ state: 'not-armed', due: false });
  }, 20_000);

  it('without auto-rollback: asks onDue once per failing episode and changes nothing when told no', async () => {
    const session = fakeSession(dir);
    const asked: number[] = [];
    const flap = (async () => {
      // Down for 1.4 s (past the 1 s window), up, then down again long enough for a second episode.
      await new Promise((r) => setTimeout(r, 1400));
      session.world.reval = true;
      await new Promise((r) => setTimeout(r, 300));
      session.world.reval = false;
    })();
    const outcome = await runWatch({
      session,
      autoRollback: false,
      forMs: 3.6 * HOUR,
      onDue: async (trigger) => {
        asked.push(trigger.failingSince!);
        return { run: false };
      },
    });
    await flap;
    expect(asked).toHaveLength(2);
    expect(asked[1]).toBeGreaterThan(asked[0]!);
    expect(session.attempts).toEqual([]);
    expect(outcome.fired).toEqual([]);
    expect(outcome.due.map((d) => d.rollback)).toEqual(['4', '4']);
  }, 20_000);

  it('refuses to start beside another running watch of the same environment', async () => {
    const session = fakeSession(dir);
    const other = {
      pid: process.ppid,
      host: hostname(),
      since: new Date().toISOString(),
      autoRollback: true,
      heartbeat: new Date().toISOString(),
    };
    writeFileSync(
      join(dir, 'watch.json'),
      JSON.stringify({ version: 1, runbook: 'loop-test', env: 'sandbox', timeScale: SCALE, watcher: other, checks: {}, fired: {} }),
    );
    await expect(runWatch({ session, autoRollback: false, forMs: HOUR })).rejects.toMatchObject({ code: 'LOCKED' });
  });

  it('--max-auto-rollbacks 0: a due trigger is alerted, held, and never run', async () => {
    const session = fakeSession(dir);
    const events: WatchEvent[] = [];
    const outcome = await runWatch({ session, autoRollback: true, maxAutoRollbacks: 0, forMs: 1.5 * HOUR, emit: (e) => events.push(e) });
    expect(session.attempts).toEqual([]);
    expect(outcome.due).toEqual([expect.objectContaining({ rollback: '4', held: expect.stringContaining('--max-auto-rollbacks 0') })]);
    const due = events.find((e) => e.kind === 'trigger-due');
    expect(due?.kind === 'trigger-due' && due.autoRollback).toBe(false);
  }, 20_000);

  it('past its maxCost a due rollback is held: the watch alerts with the cost instead of running it', async () => {
    const session = fakeSession(dir);
    (session.resolved.rollback[0] as { cost?: unknown; maxCost?: number }).cost = { counter: 'cognito.usersCreatedSince', since: 'mid.4' };
    (session.resolved.rollback[0] as { maxCost?: number }).maxCost = 2;
    session.rollbackCost = async () => ({
      value: 3,
      counter: 'cognito.usersCreatedSince',
      since: 'mid.4',
      sinceAt: new Date().toISOString(),
      first: new Date().toISOString(),
    });
    const asked: (string | undefined)[] = [];
    const outcome = await runWatch({
      session,
      autoRollback: true,
      forMs: 1.5 * HOUR,
      onDue: async (_t, context) => void asked.push(context.held),
    });
    expect(session.attempts).toEqual([]);
    expect(asked).toEqual([expect.stringContaining('would strand 3 users')]);
    expect(outcome.due[0]?.held).toContain('point of no return (maxCost 2)');
  }, 20_000);

  it('probe errors past the errorLimit: inconclusive, onInconclusive once, no rollback', async () => {
    const session = fakeSession(dir);
    const type = session.stepType('test.flag');
    session.stepType = () => ({ ...type, read: async () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:443')) });
    const told: string[] = [];
    const outcome = await runWatch({
      session,
      autoRollback: true,
      forMs: 1.5 * HOUR,
      onInconclusive: async (t) => void told.push(t.rollback),
    });
    expect(told).toEqual(['4']);
    expect(session.attempts).toEqual([]);
    expect(outcome.inconclusive).toEqual([expect.objectContaining({ rollback: '4', check: 'reval' })]);
    expect(outcome.view.checks.reval).toMatchObject({ outcome: 'error', failingSince: null });
  }, 20_000);
});
