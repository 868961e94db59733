import { describe, expect, it } from 'vitest';
import { runPhase } from '../../src/engine/engine.js';
import { ScriptedPrompter } from '../../src/engine/prompter.js';
import { scaledTimeout, SCALED_TIMEOUT_FLOOR_MS } from '../../src/engine/step-budget.js';
import { FakeWorld, ends, harness, kv } from '../helpers/fake-steps.js';

const resume = {
  command: 'migrate run mid',
  resumeCommand: (id: string, reapply?: string) => `migrate run mid --from ${id}${reapply ? ` --reapply ${reapply}` : ''}`,
};

// The shape of mid.2 / mid.5b: a restriction put on a resource and later lifted from it.
const restrict = () => kv('2', 'policy', 'restricted');
const other = () => kv('3', 'dns', 'cloudfront');
const lift = () => kv('5b', 'policy', 'open');
const phase = () => [restrict(), other(), lift()];

function plans(events: ReturnType<typeof harness>['events']) {
  return Object.fromEntries(events.flatMap((e) => (e.kind === 'step-end' && e.plan ? [[e.ref, e.plan]] : [])));
}

describe('the whole-phase plan', () => {
  it('plans a later step on the same resource against what the earlier step leaves', async () => {
    const world = new FakeWorld();
    world.data.policy = 'open';
    const h = harness(world, { dryRun: true, prompter: new ScriptedPrompter([]) });
    const result = await runPhase(h.deps, phase(), resume);
    expect(ends(h.events)).toEqual(['mid.2:would-change', 'mid.3:would-change', 'mid.5b:would-change']);
    expect(result.summary.wouldChange).toHaveLength(3);
    const p = plans(h.events);
    expect(p['mid.2']).toEqual({ before: { value: 'open' }, after: { value: 'restricted' }, source: 'live' });
    expect(p['mid.5b']).toEqual({ before: { value: 'restricted' }, after: { value: 'open' }, source: 'predicted', by: 'mid.2' });
    expect(h.events).toContainEqual(expect.objectContaining({ kind: 'step-planned', ref: 'mid.5b', source: 'predicted', by: 'mid.2' }));
    expect(world.writes).toEqual([]);
    expect(result.summary.resume).toBeUndefined();
  });

  it('the plan is what the run does, and after the run the plan and a re-run change nothing', async () => {
    const world = new FakeWorld();
    world.data.policy = 'open';
    const plan = harness(world, { dryRun: true, prompter: new ScriptedPrompter([]) });
    await runPhase(plan.deps, phase(), resume);
    const h = harness(world);
    await runPhase(h.deps, phase(), resume);
    expect(ends(h.events)).toEqual(['mid.2:applied', 'mid.3:applied', 'mid.5b:applied']);
    expect(ends(plan.events).map((e) => e.replace('would-change', 'applied'))).toEqual(ends(h.events));
    const writes = world.writes.length;

    const replan = harness(world, { dryRun: true, state: h.deps.state, prompter: new ScriptedPrompter([]) });
    const r = await runPhase(replan.deps, phase(), resume);
    expect(r.summary.wouldChange).toEqual([]);
    expect(ends(replan.events)).toEqual(['mid.2:already-applied', 'mid.3:already-applied', 'mid.5b:already-applied']);

    const rerun = harness(world, { state: h.deps.state, prompter: new ScriptedPrompter([]) });
    const again = await runPhase(rerun.deps, phase(), resume);
    expect(again.ok).toBe(true);
    expect(world.writes).toHaveLength(writes);
    const ended = rerun.events.find((e) => e.kind === 'step-end' && e.ref === 'mid.2');
    expect(ended).toMatchObject({ status: 'already-applied', message: expect.stringMatching(/^applied .* by tester, still in place$/) });
  });

  it('--only plans just that step against live state', async () => {
    const world = new FakeWorld();
    world.data.policy = 'open';
    const h = harness(world, { dryRun: true, prompter: new ScriptedPrompter([]) });
    await runPhase(h.deps, [lift()], resume);
    expect(ends(h.events)).toEqual(['mid.5b:noop']);
  });

  it('an earlier step changing the resource again makes a later applied step apply again', async () => {
    const world = new FakeWorld();
    world.data.policy = 'open';
    const h = harness(world);
    await runPhase(h.deps, phase(), resume);
    const again = harness(world, { state: h.deps.state });
    await runPhase(again.deps, phase(), { ...resume, reapply: ['mid.2'] });
    expect(ends(again.events)).toEqual(['mid.2:applied', 'mid.3:already-applied', 'mid.5b:applied']);
    expect(world.data.policy).toBe('open');
  });

  it('live state that no step explains is drift: shown 3-way, refused until --reapply', async () => {
    const world = new FakeWorld();
    const h = harness(world);
    await runPhase(h.deps, [other()], resume);
    world.data.dns = 'by-hand';
    const writes = world.writes.length;
    const plan = harness(world, { dryRun: true, state: h.deps.state, prompter: new ScriptedPrompter([]) });
    await runPhase(plan.deps, [other()], resume);
    expect(ends(plan.events)).toEqual(['mid.3:would-fail']);
    const refused = harness(world, { state: h.deps.state });
    const r = await runPhase(refused.deps, [other()], resume);
    expect(r.error?.code).toBe('DRIFT');
    expect(r.error?.exitCode).toBe(5);
    expect(r.error?.hint).toContain('--reapply mid.3');
    expect(r.summary.resume).toBe('migrate run mid --from 3 --reapply mid.3');
    expect(refused.events).toContainEqual(
      expect.objectContaining({ kind: 'drift', ref: 'mid.3', lines: expect.arrayContaining([expect.stringContaining('by-hand')]) }),
    );
    expect(world.writes).toHaveLength(writes);
    expect(refused.deps.state.steps['mid.3']?.status).toBe('applied');

    const forced = harness(world, { state: h.deps.state });
    const f = await runPhase(forced.deps, [other()], { ...resume, reapply: ['3'] });
    expect(f.ok).toBe(true);
    expect(world.data.dns).toBe('cloudfront');
    // The pre-migration value is still what a rollback restores.
    expect(forced.deps.state.steps['mid.3']).toMatchObject({ status: 'applied', before: { value: null } });
  });

  it('Skip keeps an applied checkpoint and records the skip in the audit log', async () => {
    const world = new FakeWorld();
    const h = harness(world);
    await runPhase(h.deps, [other()], resume);
    world.data.dns = 'by-hand';
    const again = harness(world, { state: h.deps.state, answers: ['skip'] });
    await runPhase(again.deps, [other()], { ...resume, reapply: ['mid.3'] });
    expect(ends(again.events)).toEqual(['mid.3:skipped']);
    expect(again.deps.state.steps['mid.3']).toMatchObject({ status: 'applied', before: { value: null }, after: { value: 'cloudfront' } });
    expect(again.audit).toContainEqual(expect.objectContaining({ event: 'skipped', step: 'mid.3' }));
  });
});

describe('in-flight checkpoints', () => {
  it('an undo that did not take effect leaves the change applied with its original before', async () => {
    const world = new FakeWorld();
    world.data.dns = 'cname';
    const h = harness(world);
    await runPhase(h.deps, [other()], resume);
    h.deps.state.steps['mid.3']!.status = 'undoing';
    const again = harness(world, { state: h.deps.state });
    await runPhase(again.deps, [other()], resume);
    expect(again.deps.state.steps['mid.3']).toMatchObject({
      status: 'applied',
      before: { value: 'cname' },
      after: { value: 'cloudfront' },
    });
  });

  it('an undo that took effect is recorded as rolled back, and the run applies the step afresh', async () => {
    const world = new FakeWorld();
    world.data.dns = 'cname';
    const h = harness(world);
    await runPhase(h.deps, [other()], resume);
    h.deps.state.steps['mid.3']!.status = 'undoing';
    world.data.dns = 'cname';
    const again = harness(world, { state: h.deps.state });
    await runPhase(again.deps, [other()], resume);
    expect(again.audit).toContainEqual(expect.objectContaining({ event: 'reconciled', step: 'mid.3', result: 'rolled-back' }));
    expect(again.deps.state.steps['mid.3']).toMatchObject({
      status: 'applied',
      before: { value: 'cname' },
      after: { value: 'cloudfront' },
    });
  });
});

describe('scaled timeouts', () => {
  it('never drop below the floor for real work, nor rise above the unscaled timeout', () => {
    expect(scaledTimeout(undefined, 600)).toBeUndefined();
    expect(scaledTimeout(30 * 60_000, 600)).toBe(SCALED_TIMEOUT_FLOOR_MS);
    expect(scaledTimeout(30 * 60_000, 1)).toBe(30 * 60_000);
    expect(scaledTimeout(1000, 600)).toBe(1000);
    expect(scaledTimeout(10 * 3_600_000, 600)).toBe(60_000 * 1);
    expect(scaledTimeout(100 * 3_600_000, 600)).toBe(600_000);
  });
});

describe('the recorded after of earlier phases', () => {
  it('names the applied step of an earlier phase whose after the live state still is', async () => {
    const world = new FakeWorld();
    const h = harness(world);
    await runPhase(h.deps, [kv('1', 'dns', 'cname', 'pre')], { ...resume, runbookSteps: [kv('1', 'dns', 'cname', 'pre'), other()] });
    const plan = harness(world, { dryRun: true, state: h.deps.state, prompter: new ScriptedPrompter([]) });
    await runPhase(plan.deps, [other()], { ...resume, runbookSteps: [kv('1', 'dns', 'cname', 'pre'), other()] });
    expect(plans(plan.events)['mid.3']).toEqual({
      before: { value: 'cname' },
      after: { value: 'cloudfront' },
      source: 'recorded',
      by: 'pre.1',
    });
  });
});
