import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { snapshotEstate, type EstateSnapshot } from '../../src/sandbox/estate.js';
import { RUNBOOK, cli, lockExists, readState, sandboxEnv, tempDir } from './helpers.js';

/**
 * Issue 3: the whole plan through the real CLI, as an operator with --yes would run it:
 * pre, mid, then rollback 3 and rollback 4 (which chains 3, already undone by then).
 */
describe('the whole plan via the CLI', () => {
  let sandbox: Sandbox;
  const state = tempDir();
  let env: NodeJS.ProcessEnv;
  let seeded: EstateSnapshot;
  const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);

  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600 });
    env = sandboxEnv(sandbox, state.path);
    seeded = await snapshotEstate(sandbox.moto.url, sandbox.ids);
  });
  afterAll(async () => {
    await sandbox?.stop();
    state.remove();
  });

  it('runs pre: the assertions hold and the manual steps are confirmed', async () => {
    const pre = await migrate('run', 'pre', '--yes');
    expect(pre.stderr).toBe('');
    expect(pre.code).toBe(0);
    expect(pre.stdout).toMatch(/^done: 3 applied, 7 unchanged$/m);
  });

  it('runs mid and leaves the estate migrated', async () => {
    const mid = await migrate('run', 'mid', '--yes');
    expect(mid.stderr).toBe('');
    expect(mid.code).toBe(0);
    expect(mid.stdout).toMatch(/^done: 6 applied$/m);

    const { ids } = sandbox;
    const live = await snapshotEstate(sandbox.moto.url, ids, { healthUrl: sandbox.health.url });
    // apps.tis.nhs.uk: one record set, an A alias to the Admins-UI distribution; the CNAME is gone.
    expect(live.appsRecordSets).toHaveLength(1);
    // moto answers an alias with "TTL": 0 (AWS sends none); an alias takes its target's TTL either way.
    const { TTL: _ttl, ...apps } = live.appsRecordSets[0] as Record<string, unknown>;
    expect(apps).toEqual({
      Name: 'apps.tis.nhs.uk.',
      Type: 'A',
      AliasTarget: { HostedZoneId: 'Z2FDTNDATAQYW2', DNSName: ids.adminsDistributionDomain, EvaluateTargetHealth: false },
    });
    expect(live.revalProviderArns).toEqual([ids.newPoolArn]);
    expect(live.userManagementStageVariables).toEqual({
      authenticationProvider: 'cognito',
      keycloakRealm: 'lin',
      cognitoUserPoolId: ids.newPoolId,
    });
    // mid 5b lifted the restriction of mid 2: no resource policy is left.
    expect(live.userManagementPolicy).toBeNull();
    expect(live.health).toEqual({ adminsUi: 200, reval: 200, userManagementRead: 200, userManagementWrite: 201 });
  });

  it('rollback 3 puts the DNS record back exactly as it was seeded', async () => {
    const rb = await migrate('rollback', '3', '--yes');
    expect(rb.stderr).toBe('');
    expect(rb.code).toBe(0);
    expect(rb.stdout).toMatch(/↺ mid\.3 rolled back/);

    const live = await snapshotEstate(sandbox.moto.url, sandbox.ids);
    expect(live.appsRecordSets).toEqual([
      { Name: 'apps.tis.nhs.uk.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'admins-ui-origin.tis.nhs.uk' }] },
    ]);
    expect(live.appsRecordSets).toEqual(seeded.appsRecordSets);
    // Only DNS moved back.
    expect(live.revalProviderArns).toEqual([sandbox.ids.newPoolArn]);
  });

  it('rollback 4 puts the authorizer back on the old pool; the 3 it chains is already undone', async () => {
    const rb = await migrate('rollback', '4', '--yes');
    expect(rb.stderr).toBe('');
    expect(rb.code).toBe(0);
    expect(rb.stdout).toMatch(/↺ mid\.4 rolled back/);
    expect(rb.stdout).toMatch(/↺ mid\.3 already undone/);

    const live = await snapshotEstate(sandbox.moto.url, sandbox.ids, { healthUrl: sandbox.health.url });
    expect(live.revalProviderArns).toEqual([sandbox.ids.oldPoolArn]);
    expect(live.revalProviderArns).toEqual(seeded.revalProviderArns);
    expect(live.appsRecordSets).toEqual(seeded.appsRecordSets);
    expect(live.health?.reval).toBe(200);
    expect(live.health?.adminsUi).toBe(200);
  });

  it('status --json shows every step and rollback with its status, and no lock', async () => {
    const st = await migrate('status', '--json');
    expect(st.code).toBe(0);
    expect(st.stderr).toBe('');
    const doc = JSON.parse(st.stdout) as {
      runbook: string;
      env: string;
      lock: unknown;
      steps: { ref: string; status: string; at: string | null }[];
    };
    expect(doc).toMatchObject({ runbook: 'keycloak-to-cognito', env: 'sandbox', lock: null });
    const status = Object.fromEntries(doc.steps.map((s) => [s.ref, s.status]));
    expect(status).toEqual({
      'pre.1a': 'noop',
      'pre.1b': 'noop',
      'pre.1c': 'noop',
      'pre.1d': 'noop',
      'pre.2': 'noop',
      'pre.3': 'noop',
      'pre.4a': 'noop',
      'pre.4b': 'applied',
      'pre.5': 'applied',
      'pre.6': 'applied',
      'mid.1': 'applied',
      'mid.2': 'applied',
      'mid.3': 'rolled-back',
      'mid.4': 'rolled-back',
      'mid.5a': 'applied',
      'mid.5b': 'applied',
      'post.1a': 'pending',
      'post.1b': 'pending',
      'post.1c': 'pending',
      'post.2': 'pending',
      'post.3': 'pending',
      'rollback.3': 'applied',
      'rollback.4': 'applied',
      'rollback.5': 'pending',
    });
    for (const step of doc.steps) expect(step.at === null).toBe(step.status === 'pending');
    expect(lockExists(state.path)).toBe(false);
    // The checkpoint of mid.3 keeps the record as it was before migrate touched it (TTL 300, not the lowered 60).
    expect(readState(state.path).steps['mid.3']?.before).toMatchObject({ Type: 'CNAME', TTL: 300 });
  });
});
