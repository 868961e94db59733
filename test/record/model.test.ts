import { describe, expect, it } from 'vitest';
import { buildRecord, type RecordInput } from '../../src/record/model.js';
import { renderMarkdown } from '../../src/record/markdown.js';
import { timeAxis, timelineRows } from '../../src/record/timeline.js';
import type { AuditEvent } from '../../src/state/audit.js';

const who = { user: 'jane@laptop', identity: 'arn:aws:sts::123456789012:assumed-role/Ops/jane', env: 'prod' };
const at = (ms: number) => new Date(Date.parse('2026-11-29T10:00:00Z') + ms).toISOString();

function run(
  audit: AuditEvent[],
  command: string,
  start: number,
  steps: [string, number, string, string?][],
  kind: 'run' | 'rollback' = 'run',
): number {
  audit.push({
    ...who,
    time: at(start),
    command,
    event: `${kind}-start`,
    detail: kind === 'rollback' ? 'rollback 4 -> 3' : steps.map((s) => s[0]).join(' '),
  });
  let t = start;
  for (const [ref, ms, result, entry] of steps) {
    t += ms;
    audit.push({ ...who, time: at(t), command, event: 'step-end', step: ref, result, durationMs: ms } as AuditEvent);
    if (entry) audit.push({ ...who, time: at(t), command, event: 'rollback-entry', step: `rollback.${entry}`, result: 'applied' });
  }
  audit.push({ ...who, time: at(t + 100), command, event: `${kind}-end`, result: 'ok' });
  return t + 100;
}

function input(audit: AuditEvent[]): RecordInput {
  const step = (ref: string, title: string, type = 'x', verify: string[] = []) => ({
    ref,
    phase: ref.split('.')[0] as 'pre' | 'mid' | 'post',
    id: ref.split('.')[1]!,
    title,
    type,
    with: {},
    verify,
    digest: '',
  });
  return {
    runbook: {
      name: 'rb',
      file: 'rb.yaml',
      digest: 'ab'.repeat(32),
      phases: {
        pre: [step('pre.1', 'Notice | all users', 'manual')],
        mid: [step('mid.3', 'DNS', 'route53.switchRecord', ['admins-ui']), step('mid.4', 'Reval', 'x', ['reval', 'admins-ui'])],
        post: [],
      },
      rollback: [],
    },
    env: { name: 'prod', account: '123456789012', region: 'eu-west-2' },
    state: { version: 1, runbook: 'rb', env: 'prod', updatedAt: at(0), steps: {}, rollbacks: {} },
    audit,
    now: new Date(at(10 * 86_400_000)),
  };
}

describe('the change record model', () => {
  it('groups runs, rollback entries and undos; reads gate results from the outcome', () => {
    const audit: AuditEvent[] = [];
    let t = run(audit, 'run pre', 0, [['pre.1', 40_000, 'applied']]);
    t = run(audit, 'run mid', t + 86_400_000, [
      ['mid.3', 310_000, 'applied'],
      ['mid.4', 2000, 'failed'],
    ]);
    audit[audit.length - 2]!.detail = 'gate "admins-ui" failed after mid.4: answered 502';
    t = run(
      audit,
      'rollback 4',
      t + 60_000,
      [
        ['mid.4', 2000, 'rolled-back', '4'],
        ['mid.3', 70_000, 'rolled-back', '3'],
      ],
      'rollback',
    );
    const r = buildRecord(input(audit));
    expect(r.runs.map((x) => x.label)).toEqual(['run pre', 'run mid', 'rollback 4 → 3']);
    expect(r.runs[1]!.steps.map((s) => s.gates)).toEqual([
      [{ name: 'admins-ui', ok: true }],
      [
        { name: 'reval', ok: true },
        { name: 'admins-ui', ok: false },
      ],
    ]);
    expect(r.runs[2]!.steps.map((s) => [s.ref, s.undo, s.entry])).toEqual([
      ['mid.4', true, '4'],
      ['mid.3', true, '3'],
    ]);
    expect(timelineRows(r).map((row) => `${row.kind}:${row.label}`)).toEqual([
      'run:run pre',
      'step:pre.1',
      'run:run mid',
      'step:mid.3',
      'step:mid.4',
      'rollback:rollback 4 → 3',
      'entry:rollback.4',
      'undo:mid.4',
      'entry:rollback.3',
      'undo:mid.3',
    ]);
    // A pipe in a title stays inside its Markdown cell.
    expect(renderMarkdown(r)).toContain('| Notice \\| all users |');
  });

  it('draws a long idle gap as a fixed break, and time within a run to scale', () => {
    const day = 86_400_000;
    const axis = timeAxis(
      [
        [0, 60_000],
        [day, day + 60_000],
      ],
      628,
      28,
    );
    expect(axis.breaks).toEqual([{ x: 300, gapMs: day - 60_000 }]);
    expect(axis.x(0)).toBe(0);
    expect(axis.x(30_000)).toBe(150);
    expect(axis.x(day)).toBe(328);
    expect(axis.x(day + 60_000)).toBe(628);
  });
});
