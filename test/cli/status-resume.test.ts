import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { STEP_STATUSES } from '../../src/steps/types.js';

/**
 * Issue 10: a step stopped in the middle of its change (a signal leaves it "interrupted", kill -9
 * "applying") or of its undo ("undoing") is shown by `status` with the command that goes on from
 * there, carrying the --runbook / --state-dir / --env the status was given.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'migrate-status-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const book = join(dir, 'rb.yaml');
const stateDir = join(dir, 'state');
const world = join(dir, 'world.json');
writeFileSync(
  book,
  `version: 1
name: demo
environments:
  local: { region: eu-west-2, account: "000000000000" }
  other: { region: eu-west-2, account: "000000000000" }
phases:
  mid:
    - { id: "1", title: Set a, type: test.jsonFile, with: { file: "${world}", key: a, value: one } }
    - { id: "2", title: Set b, type: test.jsonFile, with: { file: "${world}", key: b, value: two } }
    - { id: "3", title: Set c, type: test.jsonFile, with: { file: "${world}", key: c, value: three } }
rollback:
  - { id: "7", title: Undo c, undo: [mid.3] }
`,
);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NO_COLOR: '1',
  CI: 'true',
  MIGRATE_STEP_PLUGINS: join(root, 'test/fixtures/plugins/json-file.mjs'),
};
delete env.MIGRATE_ENV;
delete env.MIGRATE_STATE_DIR;
const migrate = (...args: string[]) =>
  spawnSync(process.execPath, [join(root, 'dist/bin.js'), '--runbook', book, '--state-dir', stateDir, '--env', 'local', ...args], {
    env,
    encoding: 'utf8',
    input: '',
  });

describe('status of unfinished steps', () => {
  it('lists interrupted among the statuses', () => {
    expect(STEP_STATUSES).toContain('interrupted');
    expect(new Set(STEP_STATUSES).size).toBe(STEP_STATUSES.length);
  });

  it('interrupted, applying and undoing: each shown with the command that goes on, and that command works', () => {
    expect(migrate('run', 'mid', '--yes').status).toBe(0);
    const file = join(stateDir, 'local', 'state.json');
    const state = JSON.parse(readFileSync(file, 'utf8'));
    state.steps['mid.1'].status = 'interrupted';
    state.steps['mid.2'].status = 'applying';
    state.steps['mid.3'].status = 'undoing';
    writeFileSync(file, JSON.stringify(state));

    const text = migrate('status');
    expect(text.status, text.stderr).toBe(0);
    const flags = `--runbook ${book} --state-dir ${stateDir} --env local`;
    expect(text.stdout).toMatch(/^ {2}mid\.1\s+interrupted {2}Set a/m);
    expect(text.stdout).toContain(
      `mid.1 was interrupted in the middle of its change, which may or may not have taken effect.\n  to resume (reconciles it from live state, then goes on): migrate run mid ${flags} --from 1\n`,
    );
    expect(text.stdout).toContain(`mid.2 was stopped in the middle of its change`);
    expect(text.stdout).toContain(`migrate run mid ${flags} --from 2\n`);
    expect(text.stdout).toContain(
      `mid.3 was being undone when its rollback stopped; the undo may or may not have taken effect.\n  to finish the rollback (checks live state first): migrate rollback 7 ${flags}\n`,
    );

    const json = JSON.parse(migrate('status', '--json').stdout) as { steps: { ref: string; status: string; resume?: string }[] };
    expect(json.steps.filter((s) => s.resume).map((s) => [s.ref, s.status, s.resume])).toEqual([
      ['mid.1', 'interrupted', `migrate run mid ${flags} --from 1`],
      ['mid.2', 'applying', `migrate run mid ${flags} --from 2`],
      ['mid.3', 'undoing', `migrate rollback 7 ${flags}`],
    ]);

    // The printed commands, as printed (with --yes: no terminal here), finish what was left.
    const finish = migrate('rollback', '7', '--yes');
    expect(finish.status, finish.stderr).toBe(0);
    const resumed = migrate('run', 'mid', '--from', '1', '--yes');
    expect(resumed.status, resumed.stderr).toBe(0);
    const after = JSON.parse(migrate('status', '--json').stdout) as { steps: { ref: string; status: string; resume?: string }[] };
    expect(after.steps.filter((s) => s.ref.startsWith('mid.')).map((s) => s.status)).toEqual(['applied', 'applied', 'applied']);
    expect(after.steps.some((s) => s.resume)).toBe(false);
  });
});
