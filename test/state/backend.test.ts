import { afterEach, describe, expect, it } from 'vitest';
import { chooseState } from '../../src/state/backend.js';
import { mergeStates, parseStateDocument } from '../../src/state/state-doc.js';
import { emptyState, type StateFile } from '../../src/state/types.js';
import type { Checkpoint } from '../../src/steps/types.js';

const saved = process.env.MIGRATE_STATE;
afterEach(() => {
  if (saved === undefined) delete process.env.MIGRATE_STATE;
  else process.env.MIGRATE_STATE = saved;
});

describe('which state backend', () => {
  const runbookState = { state: { s3: { bucket: 'from-runbook', prefix: '/team/', kmsKeyId: 'alias/k' } } };

  it("--state, then MIGRATE_STATE, then the environment's state:, else the local folder", () => {
    delete process.env.MIGRATE_STATE;
    expect(chooseState({}, undefined)).toEqual({ kind: 'local' });
    expect(chooseState({}, runbookState)).toEqual({
      kind: 's3',
      source: 'runbook state:',
      location: { bucket: 'from-runbook', prefix: 'team', region: undefined, kmsKeyId: 'alias/k' },
    });
    process.env.MIGRATE_STATE = 's3://from-env';
    expect(chooseState({}, runbookState)).toMatchObject({
      kind: 's3',
      source: 'MIGRATE_STATE',
      location: { bucket: 'from-env', prefix: '' },
    });
    expect(chooseState({ state: 's3://from-flag/a/b/' }, runbookState)).toMatchObject({
      kind: 's3',
      source: '--state',
      location: { bucket: 'from-flag', prefix: 'a/b' },
    });
    expect(chooseState({ state: 'local' }, runbookState)).toEqual({ kind: 'local' });
  });

  it('refuses what is not an S3 location (exit 2)', () => {
    for (const bad of ['bucket/prefix', 's3://', 's3://UPPER/x', 'https://bucket.s3.amazonaws.com/x']) {
      expect(() => chooseState({ state: bad }, undefined)).toThrow(expect.objectContaining({ code: 'USAGE' }));
    }
  });
});

const cp = (ref: string, status: Checkpoint['status']): Checkpoint => ({
  ref,
  type: 't',
  title: ref,
  status,
  params: {},
  digest: 'd',
  at: '2026-01-01T00:00:00.000Z',
});
const withSteps = (steps: Record<string, Checkpoint>, rollbacks: StateFile['rollbacks'] = {}): StateFile => ({
  ...emptyState('rb', 'env'),
  steps,
  rollbacks,
});

describe("merging two writers' states", () => {
  it('takes each step from the side that changed it', () => {
    const base = withSteps({ 'mid.1': cp('mid.1', 'applied') });
    const ours = withSteps({ 'mid.1': cp('mid.1', 'applied'), 'mid.2': cp('mid.2', 'applied') });
    const theirs = withSteps({ 'mid.1': cp('mid.1', 'rolled-back') }, { '3': { status: 'applied', at: 'x' } });
    const { merged, conflicts } = mergeStates(base, ours, theirs);
    expect(conflicts).toEqual([]);
    expect(merged.steps).toEqual({ 'mid.1': cp('mid.1', 'rolled-back'), 'mid.2': cp('mid.2', 'applied') });
    expect(merged.rollbacks).toEqual({ '3': { status: 'applied', at: 'x' } });
  });

  it('the same step changed differently on both sides is a conflict; the same change is not', () => {
    const base = withSteps({});
    expect(
      mergeStates(base, withSteps({ 'mid.3': cp('mid.3', 'applied') }), withSteps({ 'mid.3': cp('mid.3', 'failed') })).conflicts,
    ).toEqual(['mid.3']);
    expect(
      mergeStates(base, withSteps({ 'mid.3': cp('mid.3', 'applied') }), withSteps({ 'mid.3': cp('mid.3', 'applied') })).conflicts,
    ).toEqual([]);
  });
});

describe('a stored state document', () => {
  const where = 's3://b/p/env/state.json';
  it("is refused when it is not JSON, not a migrate state, newer, or another environment's", () => {
    expect(() => parseStateDocument('{', where, { runbook: 'rb', env: 'env' })).toThrow(/s3:\/\/b\/p\/env\/state\.json cannot be parsed/);
    expect(() => parseStateDocument('{"steps": []}', where, { runbook: 'rb', env: 'env' })).toThrow(/is not a migrate state document/);
    expect(() => parseStateDocument('{"version": 99, "steps": {}}', where, { runbook: 'rb', env: 'env' })).toThrow(
      expect.objectContaining({ code: 'STATE_NEWER' }),
    );
    expect(() => parseStateDocument('{"version": 1, "env": "prod", "steps": {}}', where, { runbook: 'rb', env: 'env' })).toThrow(
      /belongs to runbook/,
    );
    expect(
      parseStateDocument('{"version": 1, "env": "env", "runbook": "rb", "steps": {}}', where, { runbook: 'rb', env: 'env' }),
    ).toMatchObject({ steps: {}, rollbacks: {} });
  });
});
