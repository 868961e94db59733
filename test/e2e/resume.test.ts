import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { cli, localEnv, tempDir, writeRunbook } from './helpers.js';

/**
 * Issue 10, "exact resume commands": the printed command acts on the same runbook, state dir and
 * environment, with the same selection, and is printed only when there is something to resume.
 * No AWS: steps of the json-file plugin.
 */
describe('the printed resume command', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  function book(name: string) {
    const data = join(dir.path, `${name}.json`);
    const blocked = join(dir.path, `${name}-blocked`);
    const file = writeRunbook(
      dir.path,
      `${name}.yaml`,
      `version: 1
name: e2e-resume
environments:
  local: { region: eu-west-2, account: "000000000000" }
phases:
  mid:
    - { id: "1", title: Set a, type: test.jsonFile, with: { file: ${JSON.stringify(data)}, key: a, value: "1" } }
    - { id: "2", title: Set b, type: test.jsonFile, with: { file: ${JSON.stringify(blocked)}, key: b, value: "2" } }
    - { id: "3", title: Set c, type: test.jsonFile, with: { file: ${JSON.stringify(data)}, key: c, value: "3" } }
rollback:
  - { id: 1, title: Undo a, undo: [mid.1] }
`,
    );
    return { file, data, blocked };
  }

  it('after a failed run --only 2 it says --only 2, with --runbook and --state-dir as given', async () => {
    const b = book('only');
    // A directory where the step's JSON file should be makes its write fail.
    mkdirSync(b.blocked);
    const state = join(dir.path, 'state only');
    const env = localEnv('');
    delete env.MIGRATE_STATE_DIR;
    const r = await cli(['--runbook', b.file, '--state-dir', state, 'run', 'mid', '--only', '2', '--yes'], env);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`to resume: migrate run mid --runbook ${b.file} --state-dir '${state}' --env local --only 2\n`);
    expect(r.stdout).not.toMatch(/--from/);
  });

  it('after a failed full run it says --from the failed step', async () => {
    const b = book('from');
    mkdirSync(b.blocked);
    const state = join(dir.path, 'state-from');
    const r = await cli(['--runbook', b.file, 'run', 'mid', '--yes'], localEnv(state));
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toContain(`to resume: migrate run mid --runbook ${b.file} --env local --from 2\n`);
  });

  it('a dry run prints no resume command, even when a step would fail', async () => {
    const b = book('dry');
    mkdirSync(b.blocked);
    writeFileSync(join(b.blocked, 'not-json'), '');
    const state = join(dir.path, 'state-dry');
    const env = localEnv(state);
    const r = await cli(['--runbook', b.file, 'run', 'mid', '--dry-run'], env);
    expect(r.stdout).not.toMatch(/to resume/);
    const plan = await cli(['--runbook', b.file, 'plan', 'mid'], env);
    expect(plan.stdout).not.toMatch(/to resume/);
  });

  it('a rollback refused for drift names --force and what it will overwrite', async () => {
    const b = book('drift');
    const state = join(dir.path, 'state-drift');
    const env = localEnv(state);
    expect((await cli(['--runbook', b.file, 'run', 'mid', '--only', '1', '--yes'], env)).code).toBe(0);
    writeFileSync(b.data, JSON.stringify({ a: 'by hand' }));
    const r = await cli(['--runbook', b.file, 'rollback', '1', '--yes'], env);
    expect(r.code, r.stderr).toBe(5);
    expect(r.stdout).toContain(
      `to resume: migrate rollback 1 --runbook ${b.file} --env local --force   # overwrites the hand-made change to mid.1 with the checkpoint's before-state\n`,
    );
    const dry = await cli(['--runbook', b.file, 'rollback', '1', '--dry-run'], env);
    expect(dry.stdout).not.toMatch(/to resume/);
  });
});
