import { expect } from 'vitest';
import type { Checkpoint, StepContext, StepType } from '../../../src/steps/types.js';
import { deepEqual } from '../../../src/util/json.js';

export interface RoundTrip<S> {
  before: S;
  applied: S;
  reread: S;
  undone: S;
  final: S;
}

/**
 * What the engine does with a mutating step, then its rollback: read, plan, apply, verify, read
 * again (changed, and now a noop), undo from a checkpoint of plain JSON, read once more.
 */
export async function roundTrip<P, S>(step: StepType<P, S>, ctx: StepContext, p: P): Promise<RoundTrip<S>> {
  const same = step.same ?? deepEqual;
  const before = await step.read(ctx, p);
  const change = step.plan(before, p);
  if (change.noop) throw new Error(`expected ${step.name} to plan a change, got a noop: ${change.summary ?? ''}`);
  const applied = await step.apply(ctx, change, p);
  await step.verify?.(ctx, p, applied);
  const reread = await step.read(ctx, p);
  expect(same(reread, applied)).toBe(true);
  expect(same(reread, before)).toBe(false);
  expect(step.plan(reread, p).noop).toBe(true);

  // The checkpoint goes through JSON, as the state file does.
  const checkpoint = JSON.parse(
    JSON.stringify({
      ref: 'mid.x',
      type: step.name,
      title: step.name,
      status: 'applied',
      params: p,
      before,
      after: applied,
      digest: 'd',
      at: new Date().toISOString(),
    }),
  ) as Checkpoint<S, P>;
  if (!step.undo) throw new Error(`${step.name} has no undo`);
  const undone = await step.undo(ctx, checkpoint);
  const final = await step.read(ctx, p);
  return { before, applied, reread, undone, final };
}
