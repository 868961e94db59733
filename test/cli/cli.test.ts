import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const plugin = join(root, 'test/fixtures/plugins/json-file.mjs');

function migrate(args: string[], env: Record<string, string> = {}, cwd = root) {
  const r = spawnSync(process.execPath, [join(root, 'dist/bin.js'), ...args], {
    cwd,
    env: { ...process.env, NO_COLOR: '1', CI: 'true', MIGRATE_STEP_PLUGINS: plugin, ...env },
    encoding: 'utf8',
    input: '',
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

function workspace() {
  const dir = mkdtempSync(join(tmpdir(), 'migrate-cli-'));
  const world = join(dir, 'world.json');
  writeFileSync(
    join(dir, 'rb.yaml'),
    `version: 1
name: demo
environments:
  sandbox: { region: eu-west-2, account: "000000000000" }
  prod: { region: eu-west-2, account: "123456789012", protected: true }
phases:
  mid:
    - { id: 1, title: Notice, type: manual, with: { instructions: "Tell the users" } }
    - { id: 2, title: Set a, type: test.jsonFile, with: { file: "${world}", key: a, value: one } }
    - { id: 3, title: Set b, type: test.jsonFile, with: { file: "${world}", key: b, value: two } }
rollback:
  - { id: 3, title: Undo b, undo: [mid.3], then: [2] }
  - { id: 2, title: Undo a, undo: [mid.2] }
`,
  );
  return { dir, world, rb: join(dir, 'rb.yaml') };
}

describe('the CLI', () => {
  it('--help teaches: commands, an example flow and the exit codes', () => {
    const r = migrate(['--help']);
    expect(r.code).toBe(0);
    for (const word of ['validate', 'plan', 'run', 'rollback', 'status', 'log', 'unlock', 'rehearse', 'sandbox', 'Exit codes'])
      expect(r.out).toContain(word);
    const run = migrate(['run', '--help']);
    expect(run.out).toContain('--from <id>');
    expect(run.out).toContain('migrate run mid --env prod --from 4');
  });

  it('a typo in a command is exit 2 with a suggestion, no stack trace', () => {
    const r = migrate(['rollbak', '3']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/Did you mean rollback\?/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('validates the TIS runbook with no AWS calls', () => {
    const r = migrate(['validate', '--runbook', 'runbooks/cognito-migration.yaml'], { AWS_ENDPOINT_URL: 'http://127.0.0.1:9' });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/is valid: keycloak-to-cognito; environments sandbox, preprod, prod/);
  });

  it('a malformed runbook is exit 2 with file:line:col and no stack trace', () => {
    const { dir } = workspace();
    const bad = join(dir, 'bad.yaml');
    writeFileSync(
      bad,
      'version: 1\nname: x\nenvironments:\n  sandbox: { region: eu-west-2, account: "000000000000" }\nphases:\n  mid:\n    - { id: 1, title: T, type: manul, with: { instructions: x } }\n',
    );
    const r = migrate(['validate', '--runbook', bad]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(`${bad}:7:`);
    expect(r.err).toMatch(/did you mean "manual"\?/);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it('needs --env when the runbook has several, and suggests a near name', () => {
    const { rb } = workspace();
    expect(migrate(['status', '--runbook', rb]).err).toMatch(/defines 2 environments \(sandbox, prod\); say which one[\s\S]*--env NAME/);
    expect(migrate(['status', '--runbook', rb, '--env', 'prd']).err).toMatch(/did you mean "prod"\?/);
  });

  it('with no terminal and no --yes a mutating run refuses (exit 4) before changing anything', () => {
    const { rb, world } = workspace();
    const r = migrate(['run', 'mid', '--runbook', rb, '--env', 'sandbox']);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/no terminal to confirm/);
    expect(r.err).toMatch(/--yes/);
    expect(existsSync(world)).toBe(false);
  });

  it('a protected environment with --yes needs --confirm-env with its name', () => {
    const { rb, world } = workspace();
    const r = migrate(['run', 'mid', '--runbook', rb, '--env', 'prod', '--yes']);
    expect(r.code).toBe(4);
    expect(r.err).toMatch(/protected[\s\S]*--confirm-env prod/);
    expect(existsSync(world)).toBe(false);
    expect(migrate(['run', 'mid', '--runbook', rb, '--env', 'prod', '--yes', '--confirm-env', 'prod']).code).toBe(0);
    expect(JSON.parse(readFileSync(world, 'utf8'))).toEqual({ a: 'one', b: 'two' });
  });

  it('run, status --json, log --json and rollback chain end to end; --json prints one document', () => {
    const { rb, world } = workspace();
    const run = migrate(['run', 'mid', '--runbook', rb, '--env', 'sandbox', '--yes', '--json']);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.out) as { ok: boolean; summary: { applied: string[] } };
    expect(doc.ok).toBe(true);
    expect(doc.summary.applied).toEqual(['mid.1', 'mid.2', 'mid.3']);

    const status = JSON.parse(migrate(['status', '--runbook', rb, '--env', 'sandbox', '--json']).out) as {
      runbook: string;
      env: string;
      lock: unknown;
      steps: { ref: string; status: string; phase: string }[];
    };
    expect(status).toMatchObject({ runbook: 'demo', env: 'sandbox', lock: null });
    expect(status.steps.map((s) => `${s.ref}:${s.status}`)).toEqual([
      'mid.1:applied',
      'mid.2:applied',
      'mid.3:applied',
      'rollback.3:pending',
      'rollback.2:pending',
    ]);

    const back = migrate(['rollback', '3', '--runbook', rb, '--env', 'sandbox', '--yes']);
    expect(back.code).toBe(0);
    expect(back.out).toMatch(/mid\.3 rolled back[\s\S]*mid\.2 rolled back/);
    expect(JSON.parse(readFileSync(world, 'utf8'))).toEqual({});

    const again = migrate(['rollback', '3', '--runbook', rb, '--env', 'sandbox', '--yes']);
    expect(again.code).toBe(0);
    expect(again.out).toMatch(/mid\.3 already undone/);

    const log = JSON.parse(migrate(['log', '--runbook', rb, '--env', 'sandbox', '--json']).out) as {
      events: { event: string; step?: string; user: string }[];
    };
    expect(log.events.filter((e) => e.event === 'apply-end').map((e) => e.step)).toEqual(['mid.1', 'mid.2', 'mid.3']);
    expect(log.events.filter((e) => e.event === 'undo-end').map((e) => e.step)).toEqual(['mid.3', 'mid.2']);
    expect(log.events[0]?.user).toMatch(/@/);
  });

  it('an unknown rollback lists the ones there are; unlock with no lock says so', () => {
    const { rb } = workspace();
    const r = migrate(['rollback', '9', '--runbook', rb, '--env', 'sandbox', '--yes']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/no rollback 9[\s\S]*Rollbacks: 3 \(Undo b\), 2 \(Undo a\)/);
    expect(migrate(['unlock', '--runbook', rb, '--env', 'sandbox']).out).toMatch(/was not locked/);
  });

  it('resume: a failed step stops the phase and prints the exact command', () => {
    const { rb, dir } = workspace();
    // A directory where the JSON file should be makes the write fail.
    const blocked = rb.replace('rb.yaml', 'rb2.yaml');
    writeFileSync(blocked, readFileSync(rb, 'utf8').replace(/file: "[^"]+world.json", key: b/, `file: "${dir}", key: b`));
    const r = migrate(['run', 'mid', '--runbook', blocked, '--env', 'sandbox', '--yes']);
    expect(r.code).toBe(1);
    // The command as given: --runbook and --env carried over, so it acts on the same runbook and state.
    expect(r.out).toContain(`to resume: migrate run mid --runbook ${blocked} --env sandbox --from 3\n`);
    expect(r.err).toMatch(/mid\.3 \(Set b\)/);
  });
});
