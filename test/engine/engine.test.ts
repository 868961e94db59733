import { describe, expect, it } from 'vitest';
import { runPhase } from '../../src/engine/engine.js';
import { ScriptedPrompter } from '../../src/engine/prompter.js';
import { selectSteps } from '../../src/engine/select.js';
import { FakeWorld, ends, harness, kv, step } from '../helpers/fake-steps.js';

const resume = { command: 'migrate run mid', resumeCommand: (id: string) => `migrate run mid --from ${id}` };

describe('runPhase', () => {
  it('applies changes, records before/after checkpoints, and reports noop for steps already in place', async () => {
    const world = new FakeWorld();
    world.data.b = 'two';
    const h = harness(world);
    const result = await runPhase(h.deps, [kv('1', 'a', 'one'), kv('2', 'b', 'two')], resume);
    expect(result.ok).toBe(true);
    expect(ends(h.events)).toEqual(['mid.1:applied', 'mid.2:noop']);
    const saved = await h.store.load();
    expect(saved.steps['mid.1']).toMatchObject({ status: 'applied', before: { value: null }, after: { value: 'one' }, by: 'tester' });
    expect(saved.steps['mid.2']).toMatchObject({ status: 'noop' });
    expect(world.writes).toEqual(['set a=one']);
    expect(h.audit.map((a) => a.event)).toEqual(['run-start', 'apply-start', 'apply-end', 'run-end']);
  });

  it('skips a step the operator skips and goes on', async () => {
    const world = new FakeWorld();
    const h = harness(world, { answers: ['skip', 'apply'] });
    const result = await runPhase(h.deps, [kv('1', 'a', 'one'), kv('2', 'b', 'two')], resume);
    expect(result.ok).toBe(true);
    expect(ends(h.events)).toEqual(['mid.1:skipped', 'mid.2:applied']);
    expect(world.data).toEqual({ b: 'two' });
  });

  it('stops at Abort without changing that step, and says how to resume', async () => {
    const world = new FakeWorld();
    const h = harness(world, { answers: ['apply', 'abort'] });
    const result = await runPhase(h.deps, [kv('1', 'a', 'one'), kv('2', 'b', 'two'), kv('3', 'c', 'three')], resume);
    expect(result.ok).toBe(false);
    expect(result.error?.code).toBe('ABORTED');
    expect(result.error?.exitCode).toBe(4);
    expect(result.summary.resume).toBe('migrate run mid --from 2');
    expect(world.data).toEqual({ a: 'one' });
    expect((await h.store.load()).steps['mid.2']).toBeUndefined();
  });

  it('stops at the first failure with state saved, and a re-run resumes without re-applying', async () => {
    const world = new FakeWorld();
    world.failNextApply = 'b';
    const h = harness(world);
    const steps = [kv('1', 'a', 'one'), kv('2', 'b', 'two'), kv('3', 'c', 'three')];
    const first = await runPhase(h.deps, steps, resume);
    expect(first.ok).toBe(false);
    expect(first.error?.message).toContain('mid.2');
    expect(first.summary.resume).toBe('migrate run mid --from 2');
    expect(ends(h.events)).toEqual(['mid.1:applied', 'mid.2:failed']);
    expect((await h.store.load()).steps['mid.2']).toMatchObject({
      status: 'failed',
      error: { message: expect.stringContaining('cannot set b') },
    });

    const again = harness(world, { state: await h.store.load() });
    const second = await runPhase(again.deps, steps, resume);
    expect(second.ok).toBe(true);
    expect(ends(again.events)).toEqual(['mid.1:already-applied', 'mid.2:applied', 'mid.3:applied']);
    expect(world.writes).toEqual(['set a=one', 'set b=two', 'set c=three']);
  });

  it('keeps the original before-state when a failed step is retried', async () => {
    const world = new FakeWorld();
    world.data.a = 'original';
    const h = harness(world);
    // A first attempt that changed the value and then failed verification would leave "partial".
    h.deps.state.steps['mid.1'] = {
      ref: 'mid.1',
      type: 'test.kv',
      title: 't',
      status: 'failed',
      params: { key: 'a', value: 'one' },
      before: { value: 'original' },
      digest: 'd1',
      at: '',
    };
    world.data.a = 'partial';
    await runPhase(h.deps, [kv('1', 'a', 'one')], resume);
    expect(h.deps.state.steps['mid.1']).toMatchObject({ status: 'applied', before: { value: 'original' }, after: { value: 'one' } });
  });

  it('reconciles a step whose write happened but whose checkpoint was not written (crash)', async () => {
    const world = new FakeWorld();
    world.crashAfterWrite = 'a';
    const h = harness(world);
    const first = await runPhase(h.deps, [kv('1', 'a', 'one')], resume);
    expect(first.ok).toBe(false);
    const saved = await h.store.load();
    // The simulated crash is an ABORTED error, which the engine records as a signal's stop would:
    // "interrupted" (a kill -9 leaves "applying"); both are reconciled the same way.
    expect(saved.steps['mid.1']?.status).toBe('interrupted');
    expect(saved.steps['mid.1']).toMatchObject({ before: { value: null }, after: { value: 'one' } });
    const again = harness(world, { state: saved });
    const second = await runPhase(again.deps, [kv('1', 'a', 'one')], resume);
    expect(second.ok).toBe(true);
    expect(ends(again.events)).toEqual(['mid.1:already-applied']);
    expect(again.deps.state.steps['mid.1']).toMatchObject({ status: 'applied', before: { value: null }, after: { value: 'one' } });
    expect(world.writes).toEqual(['set a=one']);
  });

  it('a signal during a wait step records it "interrupted" and stops with the resume command', async () => {
    const world = new FakeWorld();
    const controller = new AbortController();
    const h = harness(world, { signal: controller.signal });
    const run = runPhase(h.deps, [kv('1', 'a', 'one'), step('mid', '2', 'wait', { duration: '10m' }), kv('3', 'b', 'two')], resume);
    setTimeout(() => controller.abort(), 100);
    const result = await run;
    expect(result.error?.code).toBe('ABORTED');
    expect(result.summary).toMatchObject({ aborted: true, resume: 'migrate run mid --from 2' });
    expect(ends(h.events)).toEqual(['mid.1:applied', 'mid.2:interrupted']);
    const saved = await h.store.load();
    expect(saved.steps['mid.1']?.status).toBe('applied');
    expect(saved.steps['mid.2']?.status).toBe('interrupted');
    expect(saved.steps['mid.3']).toBeUndefined();
    expect(world.writes).toEqual(['set a=one']);
  });

  it('a dry run reads and plans every step but never applies or saves', async () => {
    const world = new FakeWorld();
    const prompter = new ScriptedPrompter([]);
    const h = harness(world, { dryRun: true, prompter });
    const result = await runPhase(h.deps, [kv('1', 'a', 'one'), step('mid', '2', 'wait', { duration: '1h' }), kv('3', 'b', 'two')], resume);
    expect(result.ok).toBe(true);
    expect(ends(h.events)).toEqual(['mid.1:would-change', 'mid.2:would-change', 'mid.3:would-change']);
    expect(world.writes).toEqual([]);
    expect(prompter.asked).toEqual([]);
    expect((await h.store.load()).steps).toEqual({});
    const planned = h.events.find((e) => e.kind === 'step-planned' && e.ref === 'mid.1');
    expect(planned).toMatchObject({ diff: ['value: null -> "one"'] });
  });

  it('warns when an applied step was edited in the runbook since', async () => {
    const world = new FakeWorld();
    const h = harness(world);
    await runPhase(h.deps, [kv('1', 'a', 'one')], resume);
    const edited = { ...kv('1', 'a', 'one'), digest: 'changed' };
    await runPhase(h.deps, [edited], resume);
    expect(h.events).toContainEqual(
      expect.objectContaining({ kind: 'step-warning', ref: 'mid.1', message: expect.stringContaining('edited') }),
    );
  });

  it("asks for a protected environment's name once, and stops when it is not given", async () => {
    const world = new FakeWorld();
    const refusing = new ScriptedPrompter(['apply'], false);
    const h = harness(world, { prompter: refusing, protectedEnv: true });
    const result = await runPhase(h.deps, [kv('1', 'a', 'one')], resume);
    expect(result.error?.code).toBe('NOT_CONFIRMED');
    expect(world.writes).toEqual([]);
  });

  it('manual steps record who confirmed and are not asked again', async () => {
    const world = new FakeWorld();
    const prompter = new ScriptedPrompter(['apply']);
    const h = harness(world, { prompter });
    const notice = step('mid', '1', 'manual', { instructions: 'Send the notice' });
    await runPhase(h.deps, [notice], resume);
    expect(h.deps.state.steps['mid.1']).toMatchObject({ status: 'applied', after: { confirmed: true, by: 'tester' } });
    const again = harness(world, { state: h.deps.state, prompter: new ScriptedPrompter([]) });
    const second = await runPhase(again.deps, [notice], resume);
    expect(second.ok).toBe(true);
    expect(ends(again.events)).toEqual(['mid.1:already-applied']);
  });

  it('a step that runs past its timeout fails with STEP_TIMEOUT', async () => {
    const world = new FakeWorld();
    const h = harness(world);
    // 1h of plan time at scale 1000 is 3.6 s of real time; the timeout is 1s of plan time.
    const slow = step('mid', '1', 'wait', { duration: '1h' }, { timeoutMs: 1000 * 1000 });
    slow.timeoutMs = 1000; // 1 ms real at scale 1000
    const result = await runPhase(h.deps, [slow], resume);
    expect(result.error?.code).toBe('STEP_TIMEOUT');
    expect(result.summary.failed).toEqual(['mid.1']);
  });
});

describe('step timeouts and the prompt', () => {
  it("time spent reading the preview at the prompt does not count against the step's timeout", async () => {
    const world = new FakeWorld();
    const slowOperator = {
      async confirmStep() {
        await new Promise((r) => setTimeout(r, 150));
        return 'apply' as const;
      },
      async confirmEnvironment() {
        return true;
      },
    };
    const h = harness(world, { prompter: slowOperator });
    // The change itself takes 10 ms of real time; the timeout (20 s of plan time at scale 1000) is
    // 20 ms, far less than the operator's 150 ms at the prompt.
    const kvType = h.deps.stepType('test.kv');
    const slowKv = {
      ...kvType,
      apply: async (...args: Parameters<typeof kvType.apply>) => {
        await new Promise((r) => setTimeout(r, 10));
        return kvType.apply(...args);
      },
    };
    h.deps.stepType = (name) => (name === 'test.kv' ? slowKv : kvType);
    const result = await runPhase(h.deps, [{ ...kv('1', 'a', 'one'), timeoutMs: 20_000 }], resume);
    expect(result.error).toBeUndefined();
    expect(ends(h.events)).toEqual(['mid.1:applied']);
  });
});

describe('selectSteps', () => {
  const steps = [
    step('pre', '1a', 'wait', {}, { groupId: '1' }),
    step('pre', '1b', 'wait', {}, { groupId: '1' }),
    step('pre', '2', 'wait', {}),
    step('pre', '3', 'wait', {}),
  ];
  it('--from and --only by id, group id or phase.id', () => {
    expect(selectSteps(steps, { from: '2' }, 'pre').map((s) => s.id)).toEqual(['2', '3']);
    expect(selectSteps(steps, { from: 'pre.1b' }, 'pre').map((s) => s.id)).toEqual(['1b', '2', '3']);
    expect(selectSteps(steps, { only: '1' }, 'pre').map((s) => s.id)).toEqual(['1a', '1b']);
    expect(selectSteps(steps, { only: '3' }, 'pre').map((s) => s.id)).toEqual(['3']);
    expect(selectSteps(steps, {}, 'pre')).toHaveLength(4);
  });
  it('an unknown id is a usage error listing the ids', () => {
    expect(() => selectSteps(steps, { from: '9' }, 'pre')).toThrow(/no step "9"/);
    try {
      selectSteps(steps, { only: 'mid.2' }, 'pre');
    } catch (e) {
      expect((e as { hint: string }).hint).toContain('1a, 1b, 2, 3');
    }
  });
});
