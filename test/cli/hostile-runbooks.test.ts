import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { CASES } from '../runbook/hostile-cases.js';

/** Issues 10 and 11: each hostile runbook, given to `migrate validate`, exits 2 with a located message. */
describe('hostile runbooks from the command line', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'migrate-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(CASES))('%s: validate exits 2 with a located message, no stack trace', (name) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, CASES[name]!);
    const r = spawnSync(process.execPath, [join(root, 'dist/bin.js'), '--runbook', file, 'validate'], {
      encoding: 'utf8',
      timeout: 20_000,
      env: { ...process.env, NO_COLOR: '1' },
    });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `, 'm'));
    expect(r.stderr).not.toMatch(/internal error|This is a bug|^\s+at /m);
    if (name !== 'over the size limit')
      expect(r.stderr).toMatch(new RegExp(`^ {2}${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ `, 'm'));
  });
});
