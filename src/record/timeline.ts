import { formatDuration } from '../util/duration.js';
import type { ChangeRecord } from './model.js';

export interface TimelineRow {
  /** "run", "rollback" (a run or rollback as a whole), "entry" (one rollback entry), "step", "undo". */
  kind: 'run' | 'rollback' | 'entry' | 'step' | 'undo';
  label: string;
  start: number;
  end: number;
  result: string;
  note: string;
}

/** The rows of the chart: each run, then its steps; in a rollback, each entry, then what it undid. */
export function timelineRows(r: ChangeRecord): TimelineRow[] {
  const rows: TimelineRow[] = [];
  for (const run of r.runs) {
    const start = Date.parse(run.start);
    const last = run.steps.length ? Math.max(...run.steps.map((s) => Date.parse(s.end))) : start;
    const end = run.end ? Date.parse(run.end) : last;
    rows.push({
      kind: run.kind,
      label: run.label,
      start,
      end,
      result: run.result,
      note: `${new Date(start).toISOString().slice(5, 19).replace('T', ' ')} · ${formatDuration(end - start)} · ${run.result}`,
    });
    const entries =
      run.kind === 'rollback' ? [...run.entries, ...(run.steps.some((s) => s.entry === undefined) ? [undefined] : [])] : [undefined];
    for (const entry of entries) {
      const steps = run.steps.filter((s) => s.entry === entry);
      if (entry !== undefined) {
        const s0 = steps.length ? Math.min(...steps.map((s) => Date.parse(s.start))) : start;
        const s1 = steps.length ? Math.max(...steps.map((s) => Date.parse(s.end))) : s0;
        rows.push({
          kind: 'entry',
          label: `rollback.${entry}`,
          start: s0,
          end: s1,
          result: 'applied',
          note: r.rollbacks.length ? `entry ${entry}` : '',
        });
      }
      for (const s of steps) {
        rows.push({
          kind: s.undo ? 'undo' : 'step',
          label: s.ref,
          start: Date.parse(s.start),
          end: Date.parse(s.end),
          result: s.result,
          note: `${s.undo ? 'undo · ' : ''}${s.result} · ${formatDuration(s.durationMs)}`,
        });
      }
    }
  }
  return rows;
}

/**
 * Time -> x. Runs can be seconds apart (a rehearsal) or days apart (pre a week before mid), so a
 * gap between runs that is long next to the time spent running is drawn as a fixed-width break
 * instead of to scale; within a run the axis is linear.
 */
export function timeAxis(
  intervals: [number, number][],
  width: number,
  breakWidth = 28,
): { x(t: number): number; breaks: { x: number; gapMs: number }[] } {
  const sorted = intervals
    .filter(([a, b]) => Number.isFinite(a) && Number.isFinite(b))
    .map(([a, b]) => [a, Math.max(a, b)] as [number, number])
    .sort((p, q) => p[0] - q[0]);
  const merged: [number, number][] = [];
  for (const [a, b] of sorted) {
    const last = merged[merged.length - 1];
    if (last && a <= last[1]) last[1] = Math.max(last[1], b);
    else merged.push([a, b]);
  }
  if (merged.length === 0) return { x: () => 0, breaks: [] };
  const active = merged.reduce((sum, [a, b]) => sum + (b - a), 0);
  const segments: { from: number; to: number; fixed: number | null }[] = [];
  merged.forEach(([a, b], i) => {
    if (i > 0) {
      const prev = merged[i - 1]![1];
      const gap = a - prev;
      segments.push({ from: prev, to: a, fixed: gap > Math.max(active * 0.05, 1) ? breakWidth : null });
    }
    segments.push({ from: a, to: b, fixed: null });
  });
  const fixedTotal = segments.reduce((sum, s) => sum + (s.fixed ?? 0), 0);
  const scaled = segments.reduce((sum, s) => sum + (s.fixed === null ? s.to - s.from : 0), 0);
  const k = scaled > 0 ? Math.max(0, width - fixedTotal) / scaled : 0;
  const starts: number[] = [];
  let acc = 0;
  for (const s of segments) {
    starts.push(acc);
    acc += s.fixed ?? (s.to - s.from) * k;
  }
  const breaks = segments.flatMap((s, i) => (s.fixed !== null ? [{ x: starts[i]!, gapMs: s.to - s.from }] : []));
  return {
    breaks,
    x(t) {
      if (t <= segments[0]!.from) return 0;
      for (let i = 0; i < segments.length; i++) {
        const s = segments[i]!;
        if (t <= s.to) {
          const span = s.to - s.from;
          const w = s.fixed ?? span * k;
          return starts[i]! + (span > 0 ? ((t - s.from) / span) * w : 0);
        }
      }
      return acc;
    },
  };
}

const esc = (text: string) => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function colour(row: TimelineRow): string {
  if (row.result === 'failed' || row.result === 'drift' || row.result === 'interrupted') return 'var(--bad)';
  if (row.kind === 'rollback' || row.kind === 'entry' || row.kind === 'undo') return 'var(--rollback)';
  if (row.result === 'skipped') return 'var(--skip)';
  if (row.result === 'noop' || row.result === 'already-applied') return 'var(--same)';
  return 'var(--run)';
}

/** The chart as inline SVG: labels in a column on the left, one bar per row on a shared time axis. */
export function timelineSvg(r: ChangeRecord, options: { width?: number } = {}): string {
  const rows = timelineRows(r);
  const width = options.width ?? 980;
  const labelW = 150;
  const noteW = 190;
  const chartW = width - labelW - noteW - 20;
  const rowH = 18;
  const top = 40;
  const height = top + rows.length * rowH + 10;
  const axis = timeAxis(
    rows.filter((row) => row.kind === 'run' || row.kind === 'rollback').map((row) => [row.start, row.end]),
    chartW,
  );
  const parts: string[] = [];
  parts.push(
    `<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="Timeline of runs and rollbacks" class="timeline" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}">`,
  );
  parts.push(
    `<title>Timeline of ${esc(r.env.name)}: ${rows
      .filter((x) => x.kind === 'run' || x.kind === 'rollback')
      .map((x) => esc(x.label))
      .join(', ')}</title>`,
  );
  const first = rows.length ? Math.min(...rows.map((x) => x.start)) : 0;
  const last = rows.length ? Math.max(...rows.map((x) => x.end)) : 0;
  if (rows.length) {
    parts.push(`<text x="${labelW}" y="12" class="axis">${esc(new Date(first).toISOString().replace('T', ' ').slice(0, 19))} UTC</text>`);
    parts.push(
      `<text x="${labelW + chartW}" y="12" class="axis" text-anchor="end">${esc(new Date(last).toISOString().replace('T', ' ').slice(0, 19))} UTC</text>`,
    );
    parts.push(`<line x1="${labelW}" y1="18" x2="${labelW + chartW}" y2="18" class="rule"/>`);
  }
  for (const b of axis.breaks) {
    const x = labelW + b.x;
    parts.push(`<rect x="${x + 4}" y="${top - 6}" width="20" height="${rows.length * rowH + 4}" class="break"/>`);
    parts.push(`<text x="${x + 14}" y="${top - 10}" class="axis" text-anchor="middle">${esc(formatDuration(b.gapMs))}</text>`);
  }
  rows.forEach((row, i) => {
    const y = top + i * rowH;
    const header = row.kind === 'run' || row.kind === 'rollback';
    const x0 = labelW + axis.x(row.start);
    const w = Math.max(3, axis.x(row.end) - axis.x(row.start));
    const indent = header ? 4 : row.kind === 'entry' ? 14 : 24;
    if (header) parts.push(`<rect x="0" y="${y}" width="${width}" height="${rowH}" class="band"/>`);
    parts.push(`<g class="row ${row.kind}" data-ref="${esc(row.label)}">`);
    parts.push(
      `<text x="${indent}" y="${y + 13}" class="label${header ? ' head' : ''}">${row.kind === 'undo' ? '↺ ' : ''}${esc(row.label)}</text>`,
    );
    parts.push(
      `<rect x="${x0.toFixed(1)}" y="${y + (header ? 3 : 5)}" width="${w.toFixed(1)}" height="${header ? 12 : 8}" rx="2" fill="${colour(row)}"><title>${esc(`${row.label}: ${row.note}`)}</title></rect>`,
    );
    parts.push(`<text x="${labelW + chartW + 10}" y="${y + 13}" class="note">${esc(row.note)}</text>`);
    parts.push('</g>');
  });
  parts.push('</svg>');
  return parts.join('\n');
}
