import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { runPhase } from '../../src/engine/engine.js';
import { selectSteps } from '../../src/engine/select.js';
import { runRollback } from '../../src/rollback/run.js';
import { emptyState, type StateFile } from '../../src/state/types.js';
import type { Checkpoint, StepType } from '../../src/steps/types.js';
import { FakeWorld, harness, kv, resolvedWith } from '../helpers/fake-steps.js';

/**
 * Random sequences of run / rollback, each possibly stopped at a random write (before or after it
 * took effect, as Ctrl-C or kill -9 would) or failing there (an AWS fault), against an in-memory
 * world. After every operation: wherever the world holds a change migrate made, the checkpoint of
 * the step that made it may be live and holds the value from before it (what its rollback restores).
 */

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const INITIAL = { policy: 'open', dns: 'cname', reval: 'old-pool' };
// Which step first changes each key away from its pre-migration value.
const FIRST_WRITER: Record<string, string> = { policy: 'mid.2', dns: 'mid.3', reval: 'mid.4' };

type Stop = 'kill-before' | 'kill-after' | 'fault-before' | 'fault-after';

/** The fake kv step, stopped at the n-th write of this operation in the way chosen. */
function stoppable(base: StepType, plan: { at: number; how: Stop } | undefined): StepType {
  let writes = 0;
  const around = async <T>(write: () => Promise<T>): Promise<T> => {
    writes += 1;
    if (!plan || writes !== plan.at) return write();
    if (plan.how === 'kill-before') throw new RunbookError('ABORTED', 'killed before the write');
    if (plan.how === 'fault-before') throw new Error('ServiceUnavailable (503)');
    await write();
    if (plan.how === 'kill-after') throw new RunbookError('ABORTED', 'killed after the write');
    throw new Error('ServiceUnavailable (503) after the write');
  };
  return {
    ...base,
    apply: (ctx, change, p) => around(() => base.apply(ctx, change, p)),
    undo: (ctx, cp) => around(() => base.undo!(ctx, cp)),
  };
}

function mayBeLive(cp: Checkpoint | undefined): boolean {
  return !!cp && cp.before !== undefined && ['applied', 'applying', 'failed', 'undoing', 'interrupted'].includes(cp.status);
}

function checkInvariant(world: FakeWorld, state: StateFile, trail: string[]): void {
  for (const [key, initial] of Object.entries(INITIAL)) {
    const live = world.data[key] ?? null;
    if (live === initial) continue;
    // policy "open" again after mid.5b is the pre-migration value too: only "restricted" is a change.
    const ref = FIRST_WRITER[key]!;
    const cp = state.steps[ref];
    const why = `${key}=${live} after: ${trail.join(' ; ')}`;
    expect(mayBeLive(cp), `${ref} must keep a live checkpoint (${cp?.status}) — ${why}`).toBe(true);
    expect(cp?.before, `${ref}'s before — ${why}`).toEqual({ value: initial });
  }
}

async function sequence(seed: number): Promise<void> {
  const random = rng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;
  const world = new FakeWorld();
  world.data = { ...INITIAL };
  const mid = [kv('2', 'policy', 'restricted'), kv('3', 'dns', 'cloudfront'), kv('4', 'reval', 'new-pool'), kv('5b', 'policy', 'open')];
  const resolved = resolvedWith({ mid }, [
    { id: '3', title: 'DNS back', undo: ['mid.3'], steps: [], then: [] },
    { id: '4', title: 'Reval back', undo: ['mid.4'], steps: [], then: ['3'] },
    { id: '5', title: 'UserManagement back', undo: ['mid.2', 'mid.5b'], steps: [], then: [] },
    { id: '9', title: 'everything', undo: ['mid.2', 'mid.3', 'mid.4', 'mid.5b'], steps: [], then: [] },
  ]);
  let saved: StateFile = emptyState('test', 'sandbox');
  const trail: string[] = [];
  const ops = 3 + Math.floor(random() * 8);
  for (let i = 0; i < ops; i += 1) {
    const stop =
      random() < 0.5
        ? { at: 1 + Math.floor(random() * 3), how: pick(['kill-before', 'kill-after', 'fault-before', 'fault-after'] as const) }
        : undefined;
    const h = harness(world, { state: saved });
    const base = h.deps.stepType('test.kv');
    const wrapped = stoppable(base, stop);
    h.deps.stepType = (name) => (name === 'test.kv' ? wrapped : harness(world).deps.stepType(name));
    const kind = random() < 0.55 ? 'run' : 'rollback';
    let label: string;
    if (kind === 'run') {
      const sel = pick([{}, {}, { only: pick(['2', '3', '4', '5b']) }, { from: pick(['3', '4', '5b']) }]);
      const reapply = random() < 0.15 ? [pick(['mid.2', 'mid.3', 'mid.4', 'mid.5b'])] : [];
      const steps = selectSteps(mid, sel, 'mid');
      label = `run ${JSON.stringify(sel)}${reapply.length ? ` reapply ${reapply[0]}` : ''}`;
      await runPhase(h.deps, steps, {
        command: 'run mid',
        resumeCommand: (id) => id,
        runbookSteps: mid,
        reapply: reapply.filter((r) => steps.some((s) => s.ref === r)),
      });
    } else {
      const id = pick(['3', '4', '5', '9']);
      const force = random() < 0.3;
      label = `rollback ${id}${force ? ' --force' : ''}`;
      await runRollback(h.deps, resolved, { id, force, command: `rollback ${id}` });
    }
    trail.push(`${label}${stop ? ` [${stop.how}@${stop.at}]` : ''}`);
    // A kill loses what was not saved; a clean stop saved it. Either way the next command loads
    // the store, as a new process would.
    saved = await h.store.load();
    checkInvariant(world, saved, trail);
  }
  // And the checkpoints are enough to get back: rollback of everything, without faults, restores
  // the pre-migration world.
  for (let attempt = 0; attempt < 2; attempt += 1) {
    const h = harness(world, { state: saved });
    await runRollback(h.deps, resolved, { id: '9', force: true, command: 'rollback 9 --force' });
    saved = await h.store.load();
  }
  expect(world.data, `after: ${trail.join(' ; ')}`).toEqual(INITIAL);
}

describe('checkpoints under random run / rollback / kill / fault sequences', () => {
  it('every change migrate made keeps the before-state its rollback restores (200 sequences)', async () => {
    for (let seed = 1; seed <= 200; seed += 1) await sequence(seed);
  });
});
