import type { EngineEvent } from '../engine/events.js';
import { diffLines } from '../engine/diff.js';
import type { StateFile } from '../state/types.js';
import { formatDuration } from '../util/duration.js';

export interface StageResult {
  name: string;
  ok: boolean;
  detail: string;
  durationMs: number;
}

export interface SummaryRow {
  step: string;
  status: string;
  duration: string;
  checkpoint: string;
}

/** Pure: one row per step the rehearsal touched, its last status, time spent, and what it recorded. */
export function summaryRows(events: EngineEvent[], state: StateFile): SummaryRow[] {
  const time = new Map<string, number>();
  const order: string[] = [];
  for (const e of events) {
    if (e.kind !== 'step-end') continue;
    if (!time.has(e.ref)) order.push(e.ref);
    time.set(e.ref, (time.get(e.ref) ?? 0) + e.durationMs);
  }
  return order.map((ref) => {
    const cp = state.steps[ref];
    const lines = cp && cp.before !== undefined && cp.after !== undefined ? diffLines(cp.before, cp.after) : [];
    // Deployment ids and timestamps change with every run; the field that tells what changed is another.
    const change = lines.find((l) => !/^(deploymentId|at|by):/.test(l)) ?? lines[0];
    return {
      step: ref,
      status: cp?.status ?? 'not recorded',
      duration: formatDuration(time.get(ref) ?? 0),
      checkpoint: change ? clip(change, 60) : cp?.status === 'noop' ? 'in place already' : '—',
    };
  });
}

function clip(text: string, n: number): string {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

export function renderTable(rows: Record<string, string>[], columns: string[]): string[] {
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(columns), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(columns.map((c) => r[c] ?? '')))];
}

export function stageLine(s: StageResult): string {
  return `${s.ok ? 'PASS' : 'FAIL'}  ${s.name.padEnd(46)} ${formatDuration(s.durationMs).padStart(6)}  ${s.detail}`;
}
