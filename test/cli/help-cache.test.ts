import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { inTerminal } from '../e2e/helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/bin.js');
const cacheHome = mkdtempSync(join(tmpdir(), 'migrate-help-cache-'));
const helpDir = join(cacheHome, 'migrate', 'help');
const env = { ...process.env, NO_COLOR: '1', CI: 'true', XDG_CACHE_HOME: cacheHome };

function migrate(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, encoding: 'utf8', input: '' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

afterAll(() => rmSync(cacheHome, { recursive: true, force: true }));

/** Issue 17: `--help` is printed from a per-build, per-width copy of what commander rendered. */
describe('migrate --help from the help cache', () => {
  it('the kept text is exactly what commander renders (`migrate help` never uses the cache), for the build and width it was made for', () => {
    const rendered = migrate(['help']);
    expect(rendered.code).toBe(0);
    const first = migrate(['--help']);
    expect(first).toEqual({ code: 0, out: rendered.out, err: '' });
    const kept = readdirSync(helpDir);
    expect(kept).toEqual([expect.stringMatching(/^[0-9a-f]+-80\.txt$/)]);
    const again = migrate(['--help']);
    expect(again).toEqual({ code: 0, out: rendered.out, err: '' });
    expect(migrate(['-h'])).toEqual({ code: 0, out: rendered.out, err: '' });
    // Anything but the bare flag goes to commander as before.
    expect(migrate(['run', '--help']).out).toMatch(/^Usage: migrate run /);
  });

  it("the kept text of this build and width is printed; another build's or another width's never is", () => {
    mkdirSync(helpDir, { recursive: true });
    writeFileSync(join(helpDir, 'another-build-80.txt'), 'not this\n');
    for (const file of readdirSync(helpDir).filter((f) => f.endsWith('-80.txt') && !f.startsWith('another'))) {
      writeFileSync(join(helpDir, file.replace(/-80\.txt$/, '-120.txt')), 'nor this\n');
    }
    expect(migrate(['--help']).out).toMatch(/^Usage: migrate \[options\] \[command\]/);
    // And the kept text for this build and width is what is printed: commander is not asked again.
    const own = readdirSync(helpDir).find((f) => f.endsWith('-80.txt') && !f.startsWith('another'))!;
    const kept = readFileSync(join(helpDir, own), 'utf8');
    writeFileSync(join(helpDir, own), 'the kept text\n');
    try {
      expect(migrate(['--help'])).toEqual({ code: 0, out: 'the kept text\n', err: '' });
    } finally {
      writeFileSync(join(helpDir, own), kept);
    }
  });

  it('in a 120-column terminal: wrapped to 120 both times, kept under its own width', async () => {
    for (const file of readdirSync(helpDir).filter((f) => f.endsWith('-120.txt'))) rmSync(join(helpDir, file));
    const shown: string[] = [];
    for (let i = 0; i < 2; i++) {
      const r = await inTerminal(['--help'], env, []);
      expect(r.exitCode).toBe(0);
      shown.push(r.output);
    }
    expect(shown[1]).toBe(shown[0]);
    expect(shown[0]).toMatch(/^Usage: migrate \[options\] \[command\]/m);
    expect(Math.max(...shown[0]!.split(/\r?\n/).map((l) => l.length))).toBeGreaterThan(80);
    expect(readdirSync(helpDir).filter((f) => f.endsWith('-120.txt') && !f.startsWith('another'))).toHaveLength(1);
  });
});
