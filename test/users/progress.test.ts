import { describe, expect, it } from 'vitest';
import { createProgressRenderer, formatProgress } from '../../src/users/progress.js';
import type { SyncProgress } from '../../src/users/types.js';

function p(done: number, total = 200, extra: Partial<SyncProgress> = {}): SyncProgress {
  return {
    done,
    total,
    created: done,
    existed: 0,
    failed: 0,
    usersPerSecond: 39.84,
    requestsPerSecond: 60,
    elapsedSeconds: done / 40,
    etaSeconds: (total - done) / 40,
    ...extra,
  };
}

function sink(isTTY: boolean): { text: string; write(t: string): void; isTTY: boolean; columns: number } {
  const s = {
    text: '',
    isTTY,
    columns: 100,
    write: (t: string) => {
      s.text += t;
    },
  };
  return s;
}

describe('progress', () => {
  it('formats done/total, percent, rate, ETA and failures', () => {
    expect(formatProgress(p(80, 200, { failed: 3 }))).toBe('[########------------] 80/200  40%  39.8 users/s  ETA 3s  (3 failed)');
    expect(formatProgress(p(0, 200, { etaSeconds: undefined, usersPerSecond: 0 }))).toBe(
      '[--------------------] 0/200  0%  0.0 users/s  ETA -',
    );
    expect(formatProgress(p(20000, 20000, { elapsedSeconds: 502 }))).toBe(
      '[####################] 20000/20000  100%  39.8 users/s  took 8m22s',
    );
  });

  it('redraws one line on a TTY, no more often than asked, and ends it', () => {
    let now = 0;
    const out = sink(true);
    const r = createProgressRenderer({ stream: out, redrawMs: 100, now: () => now });
    for (let i = 1; i <= 200; i++) {
      now += 10;
      r.update(p(i));
    }
    r.done();
    const frames = out.text.split('\r').filter(Boolean);
    expect(frames.length).toBe(21);
    expect(out.text.split('\n')).toHaveLength(2);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: the frame ends with the terminal's erase-line escape.
    expect(frames.at(-1)).toMatch(/^\[#{20}\] 200\/200 {2}100%.*\x1b\[K\n$/);
  });

  it('prints a line every N percent without a TTY', () => {
    const out = sink(false);
    const r = createProgressRenderer({ stream: out, everyPercent: 25 });
    for (let i = 0; i <= 200; i++) r.update(p(i));
    r.done();
    expect(
      out.text
        .split('\n')
        .filter(Boolean)
        .map((l) => l.split('  ')[0]),
    ).toEqual([
      '[--------------------] 0/200',
      '[#####---------------] 50/200',
      '[##########----------] 100/200',
      '[###############-----] 150/200',
      '[####################] 200/200',
    ]);
    expect(out.text).not.toContain('\r');
  });
});
