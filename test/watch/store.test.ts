import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Runbook } from '../../src/runbook/types.js';
import type { Checkpoint } from '../../src/steps/types.js';
import { triggerReport } from '../../src/watch/report.js';
import { WatchStore, type WatchFile } from '../../src/watch/store.js';
import { markFired } from '../../src/watch/triggers.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-03-01T10:00:00Z');

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'migrate-watch-store-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function file(watcher: WatchFile['watcher'], timeScale = 1): WatchFile {
  const records = markFired(
    {
      checks: {
        reval: { ok: false, failingSince: T0, lastCheckedAt: T0 + 60_000, detail: 'answered 503' },
        'admins-ui': { ok: true, failingSince: null, lastCheckedAt: T0 + 60_000 },
      },
      fired: {},
    },
    '3',
    T0 - HOUR,
    T0 - 1000,
    'ok',
  );
  return { version: 1, runbook: 'rb', env: 'prod', timeScale, watcher, records };
}

const runbook = {
  name: 'rb',
  phases: {
    pre: [],
    mid: [
      { ref: 'mid.3', phase: 'mid' },
      { ref: 'mid.4', phase: 'mid' },
    ],
    post: [],
  },
  rollback: [
    { id: '3', title: 'DNS back', undo: ['mid.3'], trigger: { check: 'admins-ui', failingForMs: 5 * 60_000 } },
    { id: '4', title: 'Reval back', undo: ['mid.4'], trigger: { check: 'reval', failingForMs: HOUR } },
    { id: '5', title: 'UM back', undo: [] },
  ],
} as unknown as Runbook;
const applied = { status: 'applied', before: 'old', after: 'new' } as Checkpoint;

describe('WatchStore (watch.json)', () => {
  it('round-trips the records with ISO times, private to its owner', async () => {
    const store = new WatchStore(join(dir, 'prod'));
    expect(await store.load()).toEqual({ kind: 'none' });
    const saved = file(null);
    await store.save(saved);
    expect(statSync(store.location).mode & 0o777).toBe(0o600);
    expect(statSync(join(dir, 'prod')).mode & 0o777).toBe(0o700);
    const text = readFileSync(store.location, 'utf8');
    expect(JSON.parse(text)).toMatchObject({
      checks: { reval: { failingSince: '2026-03-01T10:00:00.000Z' } },
      fired: { '3': { result: 'ok' } },
    });
    expect(await store.load()).toEqual({ kind: 'ok', file: saved });
  });

  it('reports a file it cannot read instead of throwing (the watch starts afresh and says so)', async () => {
    const store = new WatchStore(dir);
    writeFileSync(store.location, '{ not json');
    expect(await store.load()).toMatchObject({ kind: 'unreadable', reason: expect.stringContaining('watch.json cannot be read') });
    writeFileSync(store.location, JSON.stringify({ version: 99, checks: {} }));
    expect(await store.load()).toMatchObject({ kind: 'unreadable', reason: expect.stringContaining('newer migrate') });
  });
});

describe('triggerReport (migrate status)', () => {
  const steps = { 'mid.3': applied, 'mid.4': applied };

  it('with no watch running: the last known state, and no countdown', () => {
    const report = triggerReport(
      runbook,
      'prod',
      { kind: 'ok', file: file({ pid: 1, host: 'elsewhere', since: '', autoRollback: false, heartbeat: new Date(T0).toISOString() }) },
      steps,
      T0 + HOUR,
      1,
    );
    expect(report.watch).toMatchObject({ running: false });
    expect(report.rows.map((r) => [r.rollback, r.check, r.ok, r.state, r.dueInMs])).toEqual([
      ['3', 'admins-ui', true, 'no-watch', null],
      ['4', 'reval', false, 'no-watch', null],
    ]);
    expect(triggerReport(runbook, 'prod', { kind: 'none' }, steps, T0, 1)).toMatchObject({
      watch: null,
      rows: [
        { ok: null, state: 'no-watch' },
        { ok: null, state: 'no-watch' },
      ],
    });
  });

  it("with a watch running: the countdown in real milliseconds, at the watch's time scale", () => {
    const running = {
      pid: process.pid,
      host: hostname(),
      since: new Date(T0).toISOString(),
      autoRollback: true,
      heartbeat: new Date(T0).toISOString(),
    };
    const report = triggerReport(runbook, 'prod', { kind: 'ok', file: file(running, 600) }, steps, T0 + 2000, 1);
    expect(report.watch).toMatchObject({ running: true, autoRollback: true, timeScale: 600 });
    expect(report.rows[1]).toMatchObject({
      rollback: '4',
      check: 'reval',
      ok: false,
      failingSince: '2026-03-01T10:00:00.000Z',
      state: 'counting',
      dueInMs: 4000,
      armed: true,
    });
    expect(triggerReport(runbook, 'prod', { kind: 'ok', file: file(running, 600) }, steps, T0 + 7000, 1).rows[1]).toMatchObject({
      state: 'due',
      dueInMs: 0,
    });
    // mid.4 rolled back: nothing for rollback 4 to undo.
    const undone = { ...steps, 'mid.4': { ...applied, status: 'rolled-back' } as Checkpoint };
    expect(triggerReport(runbook, 'prod', { kind: 'ok', file: file(running, 600) }, undone, T0 + 7000, 1).rows[1]).toMatchObject({
      state: 'not-armed',
      armed: false,
    });
  });

  it('ignores the records of another runbook or environment', () => {
    const report = triggerReport(runbook, 'preprod', { kind: 'ok', file: file(null) }, steps, T0, 1);
    expect(report.rows.every((r) => r.ok === null)).toBe(true);
  });
});
