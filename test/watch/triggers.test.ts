import { describe, expect, it } from 'vitest';
import {
  emptyRecords,
  evaluateTriggers,
  markFired,
  recordResult,
  restartedRecords,
  settleFired,
  triggersOf,
  type TriggerSpec,
  type WatchRecords,
} from '../../src/watch/triggers.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');
const reval: TriggerSpec = { rollback: '4', title: 'Roll back Reval', check: 'reval', failingForMs: HOUR };
const admins: TriggerSpec = { rollback: '3', title: 'DNS back', check: 'admins-ui', failingForMs: 5 * 60_000 };
const resume = { resumeWithinMs: HOUR };

/** Feeds results (offset from T0 in real ms, ok?) for one check, as a watch would. */
function feed(results: [number, boolean][], check = 'reval', start: WatchRecords = emptyRecords(), options = resume): WatchRecords {
  let records = start;
  for (const [offset, ok] of results)
    records = recordResult(records, check, { ok, at: T0 + offset, detail: ok ? 'answered 200' : 'answered 503' }, options).records;
  return records;
}

function statusAt(records: WatchRecords, offset: number, scale = 1, trigger = reval, armed?: Set<string>) {
  const [status] = evaluateTriggers(records, [trigger], { now: T0 + offset, scale, armed });
  return status!;
}

describe('recordResult', () => {
  it('starts an episode at the first failure and keeps it while the check keeps failing', () => {
    const records = feed([
      [0, true],
      [60_000, false],
      [120_000, false],
      [180_000, false],
    ]);
    expect(records.checks.reval).toMatchObject({
      ok: false,
      failingSince: T0 + 60_000,
      lastCheckedAt: T0 + 180_000,
      detail: 'answered 503',
    });
  });

  it('reports changes only: first result, ok -> failing, failing -> ok', () => {
    let records = emptyRecords();
    const changes: unknown[] = [];
    for (const [offset, ok] of [
      [0, true],
      [1, true],
      [2, false],
      [3, false],
      [4, true],
    ] as [number, boolean][]) {
      const next = recordResult(records, 'reval', { ok, at: T0 + offset }, resume);
      records = next.records;
      if (next.change)
        changes.push([next.change.from, next.change.to, next.change.failingSince === null ? null : next.change.failingSince - T0]);
    }
    expect(changes).toEqual([
      [null, true, null],
      [true, false, 2],
      [false, true, null],
    ]);
  });

  it('is pure: the records passed in are not changed', () => {
    const before = feed([[0, false]]);
    const copy = structuredClone(before);
    recordResult(before, 'reval', { ok: true, at: T0 + 10 }, resume);
    expect(before).toEqual(copy);
  });

  it('starts a new episode after a gap longer than resumeWithinMs (nobody saw the meantime)', () => {
    const records = feed([
      [0, false],
      [2 * HOUR, false],
    ]);
    expect(records.checks.reval?.failingSince).toBe(T0 + 2 * HOUR);
  });
});

describe('evaluateTriggers', () => {
  it('counts the window down from failingSince and is due once it has passed', () => {
    const records = feed([
      [0, false],
      [30 * 60_000, false],
    ]);
    expect(statusAt(records, 30 * 60_000)).toMatchObject({
      ok: false,
      failingSince: T0,
      dueAt: T0 + HOUR,
      remainingMs: 30 * 60_000,
      due: false,
      state: 'counting',
    });
    expect(statusAt(records, HOUR)).toMatchObject({ remainingMs: 0, due: true, state: 'due' });
    expect(statusAt(records, 2 * HOUR)).toMatchObject({ remainingMs: 0, due: true });
  });

  it('divides the plan-time window by the time scale: 1h at scale 600 is 6 s of real time', () => {
    const records = feed([[0, false]]);
    expect(statusAt(records, 5_999, 600)).toMatchObject({ windowMs: 6_000, dueAt: T0 + 6_000, remainingMs: 1, due: false });
    expect(statusAt(records, 6_000, 600)).toMatchObject({ remainingMs: 0, due: true });
  });

  it('never fires for a flapping check: each recovery resets failingSince', () => {
    // Fails 50 minutes, recovers, fails 50 minutes again: 100 minutes failing, never 1h in a row.
    const results: [number, boolean][] = [];
    for (let m = 0; m < 50; m++) results.push([m * 60_000, false]);
    results.push([50 * 60_000, true]);
    for (let m = 51; m < 101; m++) results.push([m * 60_000, false]);
    const records = feed(results);
    expect(records.checks.reval?.failingSince).toBe(T0 + 51 * 60_000);
    for (let m = 0; m <= 101; m++) expect(statusAt(feed(results.filter(([t]) => t <= m * 60_000)), m * 60_000).due).toBe(false);
    expect(statusAt(records, 51 * 60_000 + HOUR).due).toBe(true);
  });

  it('is unknown before the first result and ok while passing', () => {
    expect(statusAt(emptyRecords(), 0)).toMatchObject({ ok: null, state: 'unknown', due: false, remainingMs: null });
    expect(statusAt(feed([[0, true]]), HOUR)).toMatchObject({ ok: true, state: 'ok', due: false, dueAt: null });
  });

  it('is never due while the rollback has nothing to undo (not armed)', () => {
    const records = feed([[0, false]]);
    expect(statusAt(records, 2 * HOUR, 1, reval, new Set())).toMatchObject({
      due: false,
      armed: false,
      state: 'not-armed',
      remainingMs: 0,
    });
    expect(statusAt(records, 2 * HOUR, 1, reval, new Set(['4']))).toMatchObject({ due: true, armed: true });
  });

  it('evaluates each trigger against its own check', () => {
    let records = feed([[0, false]], 'reval');
    records = feed([[0, true]], 'admins-ui', records);
    const statuses = evaluateTriggers(records, [admins, reval], { now: T0 + HOUR, scale: 1 });
    expect(statuses.map((s) => [s.rollback, s.state])).toEqual([
      ['3', 'ok'],
      ['4', 'due'],
    ]);
  });

  it('rejects a time scale that is not positive', () => {
    expect(() => evaluateTriggers(emptyRecords(), [reval], { now: T0, scale: 0 })).toThrow(/time scale/);
  });
});

describe('firing once per episode', () => {
  it('a fired trigger is not due again while the same episode lasts', () => {
    let records = feed([
      [0, false],
      [HOUR, false],
    ]);
    expect(statusAt(records, HOUR).due).toBe(true);
    records = markFired(records, '4', T0, T0 + HOUR);
    records = settleFired(records, '4', 'ok');
    records = feed([[HOUR + 60_000, false]], 'reval', records);
    expect(statusAt(records, 3 * HOUR)).toMatchObject({
      due: false,
      state: 'fired',
      firedAt: T0 + HOUR,
      lastFired: { episode: T0, result: 'ok' },
    });
  });

  it('a new episode (after a recovery) may fire again', () => {
    let records = feed([[0, false]]);
    records = markFired(records, '4', T0, T0 + HOUR);
    records = feed(
      [
        [HOUR + 1, true],
        [HOUR + 2, false],
      ],
      'reval',
      records,
    );
    expect(statusAt(records, HOUR + 2)).toMatchObject({ due: false, state: 'counting', firedAt: null, lastFired: { episode: T0 } });
    expect(statusAt(records, 2 * HOUR + 2)).toMatchObject({ due: true, state: 'due' });
  });

  it('a failed or drifted rollback also counts as fired: the watch does not hammer it', () => {
    let records = feed([[0, false]]);
    records = markFired(records, '4', T0, T0 + HOUR, 'drift', 'mid.4 changed since');
    expect(statusAt(records, 2 * HOUR)).toMatchObject({
      due: false,
      state: 'fired',
      lastFired: { result: 'drift', detail: 'mid.4 changed since' },
    });
  });
});

describe('a restarted watch', () => {
  it('keeps failingSince: the first failure after the restart continues the recorded episode', () => {
    const before = feed([
      [0, false],
      [20 * 60_000, false],
    ]);
    const restarted = restartedRecords(JSON.parse(JSON.stringify(before)) as WatchRecords, ['reval', 'admins-ui']);
    expect(restarted.checks.reval).toMatchObject({ ok: null, failingSince: T0 });
    const next = recordResult(restarted, 'reval', { ok: false, at: T0 + 25 * 60_000 }, resume);
    expect(next.change).toMatchObject({ from: null, to: false, failingSince: T0, resumed: true });
    expect(statusAt(next.records, HOUR).due).toBe(true);
  });

  it('starts afresh when the check passes after the restart', () => {
    const restarted = restartedRecords(feed([[0, false]]), ['reval']);
    const next = recordResult(restarted, 'reval', { ok: true, at: T0 + 60_000 }, resume);
    expect(next.records.checks.reval?.failingSince).toBeNull();
  });

  it('starts a new episode when it was stopped for longer than resumeWithinMs', () => {
    const restarted = restartedRecords(feed([[0, false]]), ['reval']);
    const next = recordResult(restarted, 'reval', { ok: false, at: T0 + 3 * HOUR }, resume);
    expect(next.change).toMatchObject({ failingSince: T0 + 3 * HOUR, resumed: false });
  });

  it('keeps what it fired, and drops checks the runbook no longer has', () => {
    const saved = markFired(feed([[0, false]], 'gone'), '4', T0, T0 + 1);
    const restarted = restartedRecords(saved, ['reval']);
    expect(restarted.checks).toEqual({});
    expect(restarted.fired['4']).toMatchObject({ episode: T0 });
  });
});

describe('triggersOf', () => {
  it('lists the rollback entries with a trigger, in runbook order', () => {
    expect(
      triggersOf([
        { id: '3', title: 'DNS back', trigger: { check: 'admins-ui', failingForMs: 300_000 } },
        { id: '4', title: 'Reval back', trigger: { check: 'reval', failingForMs: HOUR } },
        { id: '5', title: 'UM back' },
      ]),
    ).toEqual([
      { rollback: '3', title: 'DNS back', check: 'admins-ui', failingForMs: 300_000 },
      { rollback: '4', title: 'Reval back', check: 'reval', failingForMs: HOUR },
    ]);
  });
});

describe('judgement: probe errors, "N of M", missing data, windows', () => {
  type O = 'success' | 'failure' | 'error' | 'missing';
  function feedOutcomes(results: [number, O][], check = 'reval'): WatchRecords {
    let records = emptyRecords();
    for (const [offset, outcome] of results)
      records = recordResult(records, check, { ok: outcome === 'success', outcome, at: T0 + offset }, resume).records;
    return records;
  }

  it('probe errors neither start nor end a failing episode; past errorLimit in a row the trigger is inconclusive, never due', () => {
    const errors = feedOutcomes([0, 1, 2, 3, 4, 5].map((m) => [m * 60_000, 'error'] as [number, O]));
    expect(errors.checks.reval).toMatchObject({ ok: null, failingSince: null, outcome: 'error' });
    expect(statusAt(errors, HOUR)).toMatchObject({ state: 'inconclusive', due: false, errorsInARow: 6, inconclusiveSince: T0 });
    const four = feedOutcomes([0, 1, 2, 3].map((m) => [m * 60_000, 'error'] as [number, O]));
    expect(statusAt(four, HOUR)).toMatchObject({ state: 'unknown', errorsInARow: 4, inconclusiveSince: null });
    // Failing, then unreachable for the rest of the hour: inconclusive rather than fired.
    const mixed = feedOutcomes([[0, 'failure'], ...[1, 2, 3, 4, 5].map((m) => [m * 60_000, 'error'] as [number, O])]);
    expect(mixed.checks.reval?.failingSince).toBe(T0);
    expect(statusAt(mixed, HOUR)).toMatchObject({ state: 'inconclusive', due: false });
    // errorLimit is per trigger.
    expect(statusAt(mixed, HOUR, 1, { ...reval, errorLimit: 10 })).toMatchObject({ state: 'due', due: true });
  });

  it('"N of M": due once N of the last M results failed, or N within a window; errors are not results', () => {
    const trigger: TriggerSpec = { ...reval, failingForMs: 0, failures: { count: 3, of: 5 } };
    const results: [number, O][] = [
      [0, 'failure'],
      [1, 'success'],
      [2, 'failure'],
      [3, 'error'],
      [4, 'success'],
    ];
    expect(statusAt(feedOutcomes(results), 5, 1, trigger)).toMatchObject({ state: 'counting', failuresSeen: 2, due: false });
    const more = feedOutcomes([...results, [5, 'failure']]);
    expect(statusAt(more, 6, 1, trigger)).toMatchObject({ state: 'due', due: true, failuresSeen: 3, failingSince: T0 });
    // Fired at 6: the same failures do not fire it again.
    const fired = markFired(more, '4', T0, T0 + 6);
    expect(statusAt(fired, 7, 1, trigger)).toMatchObject({ state: 'fired', due: false });
    const within: TriggerSpec = { ...reval, failingForMs: 0, failures: { count: 2, withinMs: 10 * 60_000 } };
    const spread = feedOutcomes([
      [0, 'failure'],
      [20 * 60_000, 'failure'],
    ]);
    expect(statusAt(spread, 20 * 60_000, 1, within)).toMatchObject({ due: false, failuresSeen: 1 });
    const close = feedOutcomes([
      [0, 'failure'],
      [5 * 60_000, 'failure'],
    ]);
    expect(statusAt(close, 5 * 60_000, 1, within)).toMatchObject({ due: true });
  });

  it('missing data follows the trigger policy: error (default), breaching, notBreaching, ignore', () => {
    const records = feedOutcomes([0, 1, 2, 3, 4, 5].map((m) => [m * 60_000, 'missing'] as [number, O]));
    expect(statusAt(records, HOUR)).toMatchObject({ state: 'inconclusive' });
    expect(statusAt(records, HOUR, 1, { ...reval, missingData: 'breaching' })).toMatchObject({ state: 'due', failingSince: T0 });
    expect(statusAt(records, HOUR, 1, { ...reval, missingData: 'notBreaching' })).toMatchObject({ state: 'ok' });
    expect(statusAt(records, HOUR, 1, { ...reval, missingData: 'ignore' })).toMatchObject({ state: 'unknown', errorsInARow: 0 });
  });

  it('outside its window a trigger is not active; rolled back it says when, not its rule', () => {
    const records = feed([[0, false]]);
    const [inactive] = evaluateTriggers(records, [reval], { now: T0 + 2 * HOUR, scale: 1, inactive: new Set(['4']) });
    expect(inactive).toMatchObject({ state: 'inactive', due: false });
    const [back] = evaluateTriggers(feed([[0, true]]), [reval], {
      now: T0,
      scale: 1,
      armed: new Set(),
      rolledBack: { '4': '2026-03-01T09:00:00.000Z' },
    });
    expect(back).toMatchObject({ state: 'rolled-back', rolledBackAt: '2026-03-01T09:00:00.000Z' });
  });

  it('a result during warmup is shown but not judged', () => {
    let records = emptyRecords();
    records = recordResult(
      records,
      'reval',
      { ok: false, outcome: 'failure', at: T0 },
      { ...resume, judge: false, warmupUntil: T0 + 1 },
    ).records;
    expect(records.checks.reval).toMatchObject({ ok: false, failingSince: null, history: [] });
    expect(statusAt(records, 2 * HOUR).due).toBe(false);
  });
});
