import { describe, expect, it } from 'vitest';
import { runPhase } from '../../src/engine/engine.js';
import { ScriptedPrompter } from '../../src/engine/prompter.js';
import { planRollback } from '../../src/rollback/plan.js';
import { runRollback } from '../../src/rollback/run.js';
import { FakeWorld, ends, harness, kv, resolvedWith, step } from '../helpers/fake-steps.js';

const opts = { command: 'migrate run mid', resumeCommand: (id: string) => `--from ${id}` };

function estate() {
  const mid = [kv('2', 'um', 'read-only'), kv('3', 'dns', 'cloudfront'), kv('4', 'reval', 'new-pool')];
  const resolved = resolvedWith({ mid }, [
    { id: '3', title: 'DNS back', undo: ['mid.3'], steps: [], then: [] },
    { id: '4', title: 'Reval back', undo: ['mid.4'], steps: [], then: ['3'] },
    {
      id: '5',
      title: 'UM back',
      undo: ['mid.2', 'mid.4'],
      steps: [step('rollback', '1', 'manual', { instructions: 'fix within 2 days' }, { ref: 'rollback.5.1' })],
      then: [],
    },
    { id: '6', title: 'cycle-safe', undo: [], steps: [], then: ['4', '3'] },
  ]);
  return { mid, resolved };
}

async function applied(world: FakeWorld) {
  world.data = { dns: 'old-origin', reval: 'old-pool', um: 'open' };
  const { mid, resolved } = estate();
  const h = harness(world);
  const result = await runPhase(h.deps, mid, opts);
  expect(result.ok).toBe(true);
  return { resolved, state: h.deps.state };
}

describe('planRollback', () => {
  it('chains then-entries depth first, each once, latest step first', () => {
    const { resolved } = estate();
    expect(planRollback(resolved, '4').map((s) => [s.id, s.undo.map((u) => u.ref)])).toEqual([
      ['4', ['mid.4']],
      ['3', ['mid.3']],
    ]);
    expect(planRollback(resolved, '5')[0]?.undo.map((u) => u.ref)).toEqual(['mid.4', 'mid.2']);
    expect(planRollback(resolved, '6').map((s) => s.id)).toEqual(['6', '4', '3']);
    expect(() => planRollback(resolved, '9')).toThrow(/no rollback 9/);
  });
});

describe('runRollback', () => {
  it('undoes from the checkpoints in reverse order, then the chained entry, and records it', async () => {
    const world = new FakeWorld();
    const { resolved, state } = await applied(world);
    world.writes = [];
    const h = harness(world, { state });
    const result = await runRollback(h.deps, resolved, { id: '4', force: false, command: 'rollback 4' });
    expect(result.ok).toBe(true);
    expect(world.writes).toEqual(['undo reval=old-pool', 'undo dns=old-origin']);
    expect(world.data).toEqual({ dns: 'old-origin', reval: 'old-pool', um: 'read-only' });
    expect(h.deps.state.steps['mid.4']?.status).toBe('rolled-back');
    expect(h.deps.state.steps['mid.3']?.status).toBe('rolled-back');
    expect(h.deps.state.rollbacks).toMatchObject({ '4': { status: 'applied' }, '3': { status: 'applied' } });
  });

  it('is idempotent: a second rollback changes nothing', async () => {
    const world = new FakeWorld();
    const { resolved, state } = await applied(world);
    const h = harness(world, { state });
    await runRollback(h.deps, resolved, { id: '3', force: false, command: 'rollback 3' });
    world.writes = [];
    const again = harness(world, { state: h.deps.state, prompter: new ScriptedPrompter([]) });
    const result = await runRollback(again.deps, resolved, { id: '3', force: false, command: 'rollback 3' });
    expect(result.ok).toBe(true);
    expect(world.writes).toEqual([]);
    expect(ends(again.events)).toEqual(['mid.3:already-undone']);
  });

  it('refuses (exit 5) when the resource changed since the checkpoint, showing before/after/live, and --force restores', async () => {
    const world = new FakeWorld();
    const { resolved, state } = await applied(world);
    world.data.dns = 'edited-by-hand';
    world.writes = [];
    const h = harness(world, { state });
    const refused = await runRollback(h.deps, resolved, { id: '4', force: false, command: 'rollback 4' });
    expect(refused.error?.code).toBe('DRIFT');
    expect(refused.error?.exitCode).toBe(5);
    expect(refused.error?.details.join('\n')).toMatch(
      /before \(checkpoint\): "old-origin"[\s\S]*after {2}\(checkpoint\): "cloudfront"[\s\S]*live {3}\(now\): {8}"edited-by-hand"/,
    );
    // Drift in the chained entry stops the whole rollback before its first write.
    expect(world.writes).toEqual([]);
    const forced = harness(world, { state: h.deps.state });
    const result = await runRollback(forced.deps, resolved, { id: '4', force: true, command: 'rollback 4 --force' });
    expect(result.ok).toBe(true);
    expect(world.data.dns).toBe('old-origin');
  });

  it('says a step that never ran has nothing to undo, and changes nothing', async () => {
    const world = new FakeWorld();
    world.data = { dns: 'old-origin' };
    const { resolved } = estate();
    const h = harness(world, { prompter: new ScriptedPrompter([]) });
    const result = await runRollback(h.deps, resolved, { id: '3', force: false, command: 'rollback 3' });
    expect(result.ok).toBe(true);
    expect(ends(h.events)).toEqual(['mid.3:nothing-to-undo']);
    expect(h.events.find((e) => e.kind === 'step-end')).toMatchObject({ message: expect.stringContaining('never ran') });
    expect(world.writes).toEqual([]);
  });

  it('a dry run shows the undo diff and writes nothing', async () => {
    const world = new FakeWorld();
    const { resolved, state } = await applied(world);
    world.writes = [];
    const h = harness(world, { state, dryRun: true, prompter: new ScriptedPrompter([]) });
    const result = await runRollback(h.deps, resolved, { id: '4', force: false, command: 'rollback 4 --dry-run' });
    expect(result.ok).toBe(true);
    expect(ends(h.events)).toEqual(['mid.4:would-change', 'mid.3:would-change']);
    expect(h.events).toContainEqual(
      expect.objectContaining({ kind: 'step-planned', ref: 'mid.4', diff: ['value: "new-pool" -> "old-pool"'] }),
    );
    expect(world.writes).toEqual([]);
    expect(h.deps.state.steps['mid.4']?.status).toBe('applied');
  });

  it('resumes an interrupted rollback: an undo that took effect is recognised, the rest is done', async () => {
    const world = new FakeWorld();
    const { resolved, state } = await applied(world);
    // As if killed after undoing mid.4 but before recording it.
    state.steps['mid.4']!.status = 'undoing';
    world.data.reval = 'old-pool';
    world.writes = [];
    const h = harness(world, { state });
    const result = await runRollback(h.deps, resolved, { id: '4', force: false, command: 'rollback 4' });
    expect(result.ok).toBe(true);
    expect(world.writes).toEqual(['undo dns=old-origin']);
    expect(ends(h.events)).toEqual(['mid.4:already-undone', 'mid.3:rolled-back']);
  });

  it("runs the entry's own steps after its undo (rollback 5: manual fix deadline)", async () => {
    const world = new FakeWorld();
    const { resolved, state } = await applied(world);
    const h = harness(world, { state });
    const result = await runRollback(h.deps, resolved, { id: '5', force: false, command: 'rollback 5' });
    expect(result.ok).toBe(true);
    expect(ends(h.events)).toEqual(['mid.4:rolled-back', 'mid.2:rolled-back', 'rollback.5.1:applied']);
    expect(h.deps.state.steps['rollback.5.1']).toMatchObject({ status: 'applied', after: { confirmed: true, by: 'tester' } });
  });

  it('a re-run of the phase after a rollback applies again from the restored state', async () => {
    const world = new FakeWorld();
    const { resolved, state } = await applied(world);
    const h = harness(world, { state });
    await runRollback(h.deps, resolved, { id: '3', force: false, command: 'rollback 3' });
    const again = harness(world, { state: h.deps.state });
    const result = await runPhase(again.deps, resolved.phases.mid, opts);
    expect(result.ok).toBe(true);
    expect(ends(again.events)).toEqual(['mid.2:already-applied', 'mid.3:applied', 'mid.4:already-applied']);
    expect(again.deps.state.steps['mid.3']).toMatchObject({ status: 'applied', before: { value: 'old-origin' } });
  });
});
