import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, ROOT, cli, runbookCopy, sandboxEnv, tempDir } from '../e2e/helpers.js';

const SANDBOX_VARS = `    vars:
      stage: sandbox
      userPool: tis-sandbox
      oldRevalPool: reval-sandbox
      adminsHost: apps.tis.nhs.uk
      adminsDistribution: \${env.MIGRATE_SANDBOX_ADMINS_DISTRIBUTION_DOMAIN}
      userPoolId: \${env.MIGRATE_SANDBOX_NEW_POOL_ID}
      adminsUrl: \${env.MIGRATE_SANDBOX_HEALTH_URL}/admins-ui/
      revalUrl: \${env.MIGRATE_SANDBOX_HEALTH_URL}/reval/api/v1/doctors
      userManagementUrl: \${env.MIGRATE_SANDBOX_HEALTH_URL}/usermanagement
`;

function rehearse(runbook: string, stateDir: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'rehearse', '--runbook', runbook], {
      cwd: ROOT,
      env: { ...process.env, CI: 'true', NO_COLOR: '1', MIGRATE_STATE_DIR: stateDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Issue 14: a rehearsal's timings become the expected durations of another environment's plan. */
describe('rehearsal evidence in plans', () => {
  const dir = tempDir('migrate-timing-');
  const stateDir = join(dir.path, 'state');
  let runbook: string;
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  const migrate = (...args: string[]) => cli(['--runbook', runbook, ...args], env);

  beforeAll(async () => {
    // A second environment ("stage") on the same sandbox estate stands in for preprod or prod.
    runbook = runbookCopy(dir.path, [
      ['  preprod:\n', `  stage:\n    region: eu-west-2\n    account: "000000000000"\n${SANDBOX_VARS}  preprod:\n`],
    ]);
    const r = await rehearse(runbook, stateDir);
    if (r.code !== 0) throw new Error(`rehearse exited ${r.code}:\n${r.out.slice(-3000)}`);
    expect(r.out).toMatch(/Step timings of this rehearsal .* recorded in .*rehearsal\.keycloak-to-cognito\.json/);
    sandbox = await startSandbox({ timeScale: 600 });
    env = sandboxEnv(sandbox, stateDir);
  }, 120_000);
  afterAll(async () => {
    await sandbox?.stop();
    dir.remove();
  });

  it('rehearse records per step its measured time, its waits and the runbook digest', () => {
    const file = join(stateDir, 'rehearsal.keycloak-to-cognito.json');
    expect(existsSync(file)).toBe(true);
    const ev = JSON.parse(readFileSync(file, 'utf8')) as {
      ok: boolean;
      timeScale: number;
      runbookDigest: string;
      steps: Record<string, { measuredMs: number; waitedMs: number; expectedMs: number }>;
    };
    expect(ev).toMatchObject({ ok: true, timeScale: 600, runbookDigest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    // mid.3 lowers the TTL first and waits the old one (300s) out: at real length in the expectation.
    expect(ev.steps['mid.3']!.waitedMs).toBeGreaterThanOrEqual(300_000);
    expect(ev.steps['mid.3']!.expectedMs).toBeGreaterThanOrEqual(300_000);
    for (const ref of ['pre.1a', 'mid.1', 'mid.2', 'mid.4', 'mid.5a', 'mid.5b', 'post.1a']) expect(ev.steps[ref], ref).toBeDefined();
  });

  it('plan mid of another environment shows per-step expected durations, a total and a finish time', async () => {
    const saved = await migrate('plan', 'mid', '--env', 'stage', '--out', join(dir.path, 'stage.plan'));
    expect(saved.code, saved.stderr).toBe(0);
    expect(saved.stdout).toMatch(/^plan mid · env stage · 6 steps/m);
    expect(saved.stdout).toMatch(/~ mid\.3 would change \(expected 5m(\d+s)?\)/);
    expect(saved.stdout).toMatch(/^last rehearsal passed at .* \(time scale 600\), of this runbook byte for byte$/m);
    expect(saved.stdout).toMatch(
      /^expected duration \d+m(\d+s)? \(waits at their real length, calls as rehearsed; prompts not counted\): if started now, finishes about \d\d:\d\d UTC$/m,
    );
    const plan = JSON.parse(readFileSync(join(dir.path, 'stage.plan'), 'utf8')) as {
      timing: { totalMs: number; unknown: string[] };
      steps: { ref: string; expectedMs?: number }[];
    };
    expect(plan.timing.unknown).toEqual([]);
    expect(plan.timing.totalMs).toBe(plan.steps.reduce((sum, s) => sum + s.expectedMs!, 0));

    const printed = await migrate('plan', 'mid', '--env', 'stage');
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^expected per step: mid\.1 .*, mid\.3 5m/m);
    expect(printed.stdout).toMatch(/^expected duration /m);
  });

  it('says so when the runbook changed since the last passing rehearsal', async () => {
    writeFileSync(
      runbook,
      readFileSync(runbook, 'utf8').replace(
        'title: Give notice to users that the migration starts',
        'title: Give notice to users that the cutover starts',
      ),
    );
    const printed = await migrate('plan', 'mid', '--env', 'stage');
    expect(printed.code, printed.stderr).toBe(0);
    expect(printed.stdout).toMatch(/^! the runbook changed since the last rehearsal passed at .*: rehearse again before the change$/m);
  });

  it('during run, each step says how long the rest of the phase should take', async () => {
    const run = await migrate('run', 'mid', '--env', 'stage', '--yes');
    expect(run.code, run.stderr).toBe(0);
    // The runbook was edited by the test before: the rehearsal was of an earlier one.
    expect(run.stdout).toMatch(/^ {4}… expected time left for the phase: 5m(\d+s)? \(as rehearsed with an earlier runbook\)$/m);
    // After mid.3's TTL wait, seconds are left (the plain output drops a line equal to the one before).
    expect(run.stdout).toMatch(/^▸ mid\.4 .*\n {4}… expected time left for the phase: \d+(ms|s) /m);
  });
});
