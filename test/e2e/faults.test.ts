import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { snapshotEstate } from '../../src/sandbox/estate.js';
import { RUNBOOK, cli, lockExists, readState, runbookCopy, sandboxEnv, tempDir, withIdsNamed } from './helpers.js';

/**
 * Issue 5: AWS misbehaving. Throttling and 5xx answers are retried by the SDK (its back-off divided
 * by the time scale) and the plan ends where a calm run ends; a Route 53 change that never gets
 * INSYNC makes the step time out, with state saved and the resume command printed; a health gate
 * that fails stops the run, and resuming runs the gate again.
 */
describe('faults', () => {
  let sandbox: Sandbox;
  const dirs: { path: string; remove(): void }[] = [];
  const stateDir = () => {
    const dir = tempDir();
    dirs.push(dir);
    return dir.path;
  };

  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600, seed: 7 });
  });
  afterAll(async () => {
    await sandbox?.stop();
    for (const dir of dirs) dir.remove();
  });

  it('throttling and 5xx on 40% of requests: pre and mid complete and the estate equals a calm run', async () => {
    // The calm run, on a sandbox of its own (moto's ids differ, so both are compared with ids named).
    const calm = await startSandbox({ timeScale: 600 });
    let expected: unknown;
    try {
      const state = stateDir();
      const env = sandboxEnv(calm, state);
      for (const phase of ['pre', 'mid']) {
        const run = await cli(['--runbook', RUNBOOK, 'run', phase, '--yes'], env);
        expect(run.code, run.stderr).toBe(0);
      }
      expected = withIdsNamed(calm.ids)(await snapshotEstate(calm.moto.url, calm.ids, { healthUrl: calm.health.url }));
    } finally {
      await calm.stop();
    }

    const state = stateDir();
    const env = sandboxEnv(sandbox, state);
    sandbox.proxy.setFaults({ throttle: 0.3, error5xx: 0.1 });
    try {
      for (const phase of ['pre', 'mid']) {
        const run = await cli(['--runbook', RUNBOOK, 'run', phase, '--yes'], env);
        expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
      }
    } finally {
      sandbox.proxy.setFaults({});
    }
    const injected = sandbox.proxy.requests.filter((r) => r.injected);
    expect(injected.some((r) => r.injected === 'throttle')).toBe(true);
    expect(injected.some((r) => r.injected === '5xx')).toBe(true);
    // Writes were faulted too, and retried: the SDK retries a throttled or 5xx write only because AWS refused it before acting.
    expect(injected.some((r) => r.write)).toBe(true);
    expect(withIdsNamed(sandbox.ids)(await snapshotEstate(sandbox.moto.url, sandbox.ids, { healthUrl: sandbox.health.url }))).toEqual(
      expected,
    );
    expect(Object.values(readState(state).steps).map((s) => s.status)).not.toContain('failed');

    // Put DNS back for the next test (mid.3 has to find the CNAME again).
    const back = await cli(['--runbook', RUNBOOK, 'rollback', '3', '--yes'], env);
    expect(back.code, back.stderr).toBe(0);
  }, 120_000);

  it('mid.3 times out while Route 53 keeps the change PENDING: exit 1, state saved, resume command printed; resuming finishes', async () => {
    const dir = tempDir();
    dirs.push(dir);
    // At time scale 1 so that 1s is a real second: enough to read and send the change, not to see it INSYNC.
    const runbook = runbookCopy(dir.path, [['      timeout: 30m\n', '      timeout: 1s\n']]);
    const state = stateDir();
    // The hold is plan time, divided by the sandbox's scale (600) like every other wait: 600 min is 60 s here.
    sandbox.proxy.setFaults({ slowInsyncMs: 600 * 60_000 });
    let failed: Awaited<ReturnType<typeof cli>>;
    try {
      failed = await cli(
        ['--runbook', runbook, 'run', 'mid', '--yes', '--from', '3'],
        sandboxEnv(sandbox, state, { MIGRATE_TIME_SCALE: '1' }),
      );
    } finally {
      sandbox.proxy.setFaults({});
    }
    expect(failed.code, `${failed.stdout}\n${failed.stderr}`).toBe(1);
    expect(failed.stderr).toMatch(/^error: mid\.3 did not finish within 1s \(its timeout\)$/m);
    expect(failed.stdout).toMatch(/✘ mid\.3 failed/);
    expect(failed.stdout).toContain(`\nto resume: migrate run mid --runbook ${runbook} --env sandbox --from 3\n`);
    expect(lockExists(state)).toBe(false);
    const cp = readState(state).steps['mid.3'];
    expect(cp).toMatchObject({ status: 'failed', error: { code: 'STEP_TIMEOUT' } });
    // The checkpoint kept the record as it was before anything was sent.
    expect(cp?.before).toMatchObject({ Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'admins-ui-origin.tis.nhs.uk' }] });

    // Route 53 calm again, and the timeout back at 30m: the printed command finishes the step, and
    // rollback 3 still undoes it.
    const resumed = await cli(['--runbook', RUNBOOK, 'run', 'mid', '--yes', '--from', '3'], sandboxEnv(sandbox, state));
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(readState(state).steps['mid.3']).toMatchObject({ status: 'applied', before: { Type: 'CNAME', TTL: 300 } });
    const back = await cli(['--runbook', RUNBOOK, 'rollback', '3', '--yes'], sandboxEnv(sandbox, state));
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    expect(back.stdout).toMatch(/↺ mid\.3 rolled back/);
    const live = await snapshotEstate(sandbox.moto.url, sandbox.ids);
    expect(live.appsRecordSets).toEqual([
      { Name: 'apps.tis.nhs.uk.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'admins-ui-origin.tis.nhs.uk' }] },
    ]);
  }, 60_000);

  it('a health gate that fails stops the run; resuming runs the gate again, and rollback still undoes the step', async () => {
    const state = stateDir();
    const env = sandboxEnv(sandbox, state);
    const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);
    sandbox.proxy.setFaults({ incidents: ['admins-ui-down'] });
    try {
      const failed = await migrate('run', 'mid', '--yes', '--only', '3');
      expect(failed.code, `${failed.stdout}\n${failed.stderr}`).toBe(1);
      expect(failed.stderr).toMatch(/gate "admins-ui" failed after mid\.3/);
      expect(readState(state).steps['mid.3']?.status).toBe('failed');

      // Still down: the resumed run must not call mid.3 done because DNS already points at CloudFront.
      const again = await migrate('run', 'mid', '--yes', '--from', '3');
      expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(1);
      expect(again.stderr).toMatch(/gate "admins-ui" failed after mid\.3/);
      expect(again.stdout).not.toMatch(/▸ mid\.4/);
    } finally {
      sandbox.proxy.setFaults({});
    }

    const resumed = await migrate('run', 'mid', '--yes', '--only', '3');
    expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
    expect(resumed.stdout).toMatch(/! reconciled: the change of a failed run had taken effect; verifying it/);
    expect(resumed.stdout).toMatch(/gate: admins-ui/);
    expect(readState(state).steps['mid.3']).toMatchObject({ status: 'applied', before: { Type: 'CNAME', TTL: 300 } });

    // migrate made this change, so rollback 3 undoes it.
    const back = await migrate('rollback', '3', '--yes');
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    expect(back.stdout).toMatch(/↺ mid\.3 rolled back/);
    const live = await snapshotEstate(sandbox.moto.url, sandbox.ids);
    expect(live.appsRecordSets).toEqual([
      { Name: 'apps.tis.nhs.uk.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'admins-ui-origin.tis.nhs.uk' }] },
    ]);
  }, 60_000);
});
