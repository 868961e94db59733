import { formatDuration } from '../util/duration.js';
import type { SyncProgress } from './types.js';

export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean | undefined;
  columns?: number | undefined;
}

export interface ProgressRendererOptions {
  stream: ProgressStream;
  /** Without a TTY, print a line each time progress crosses another N percent (default 10). */
  everyPercent?: number;
  /** Minimum time between redraws on a TTY (default 100 ms). */
  redrawMs?: number;
  now?: () => number;
}

export interface ProgressRenderer {
  update(p: SyncProgress): void;
  /** Ends the line on a TTY (and prints the last state if it was not drawn). */
  done(): void;
}

/** "[########------------] 8000/20000  40%  39.8 users/s  ETA 5m2s  (3 failed)" */
export function formatProgress(p: SyncProgress, barWidth = 20): string {
  const ratio = p.total > 0 ? Math.min(1, p.done / p.total) : 1;
  const filled = Math.round(ratio * barWidth);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]`;
  const eta =
    p.done >= p.total
      ? `took ${formatDuration(p.elapsedSeconds * 1000)}`
      : p.etaSeconds === undefined
        ? 'ETA -'
        : `ETA ${formatDuration(p.etaSeconds * 1000)}`;
  const failed = p.failed ? `  (${p.failed} failed)` : '';
  return `${bar} ${p.done}/${p.total}  ${Math.floor(ratio * 100)}%  ${p.usersPerSecond.toFixed(1)} users/s  ${eta}${failed}`;
}

/** One line redrawn in place on a TTY; on a pipe or in CI, a line every N percent. */
export function createProgressRenderer(options: ProgressRendererOptions): ProgressRenderer {
  const { stream } = options;
  const tty = stream.isTTY === true;
  const every = options.everyPercent ?? 10;
  const redrawMs = options.redrawMs ?? 100;
  const now = options.now ?? (() => performance.now());
  let lastDraw = -Infinity;
  let lastStep = -1;
  let last: SyncProgress | undefined;
  let drawn: SyncProgress | undefined;
  let ended = false;

  const draw = (p: SyncProgress): void => {
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    const text = formatProgress(p).slice(0, width);
    // \r back to the start, \x1b[K clears what a longer previous line left behind.
    stream.write(`\r${text}\x1b[K`);
    drawn = p;
    lastDraw = now();
  };

  return {
    update(p) {
      last = p;
      if (tty) {
        if (now() - lastDraw >= redrawMs || p.done >= p.total) draw(p);
        return;
      }
      const pct = p.total > 0 ? (p.done / p.total) * 100 : 100;
      const step = Math.floor(pct / every);
      if (step > lastStep) {
        lastStep = step;
        stream.write(`${formatProgress(p)}\n`);
        drawn = p;
      }
    },
    done() {
      // Called before the summary and again on the way out: the line is ended once.
      if (ended) return;
      ended = true;
      if (tty) {
        if (last && last !== drawn) draw(last);
        if (drawn) stream.write('\n');
      } else if (last && last !== drawn) stream.write(`${formatProgress(last)}\n`);
    },
  };
}
