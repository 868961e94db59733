import { readFileSync } from 'node:fs';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { sandboxClientConfig, snapshotEstate, type EstateSnapshot } from '../../src/sandbox/estate.js';
import { RUNBOOK, cli, lockExists, readState, sandboxEnv, statePath, tempDir } from './helpers.js';

/**
 * Issue 3: a change made behind the tool's back. After mid, someone repoints apps.tis.nhs.uk by
 * hand; rollback 3 must not silently overwrite it: it stops before writing (exit 5) and shows
 * before / after / live, and only --force restores the checkpoint.
 */
describe('drift on rollback', () => {
  let sandbox: Sandbox;
  const state = tempDir();
  let env: NodeJS.ProcessEnv;
  let seeded: EstateSnapshot;
  const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);

  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600 });
    env = sandboxEnv(sandbox, state.path);
    seeded = await snapshotEstate(sandbox.moto.url, sandbox.ids);
    const mid = await migrate('run', 'mid', '--yes');
    expect(mid.code, mid.stderr).toBe(0);
  });
  afterAll(async () => {
    await sandbox?.stop();
    state.remove();
  });

  it('rollback 3 stops with exit 5 and shows before / after / live; --force restores the seeded record', async () => {
    // The hand-made change, through the SDK as a console or script would send it. After mid the name
    // is an A alias, and Route 53 allows no CNAME beside it (moto would accept a bare UPSERT of one,
    // leaving both, which AWS never does): so the alias goes and a CNAME to another host comes.
    const r53 = await import('@aws-sdk/client-route-53');
    const client = new r53.Route53Client(sandboxClientConfig(sandbox.proxy.url));
    try {
      const [alias] = (await snapshotEstate(sandbox.moto.url, sandbox.ids)).appsRecordSets as unknown as ResourceRecordSet[];
      const { TTL: _moto, ...aliasRecord } = alias as ResourceRecordSet;
      await client.send(
        new r53.ChangeResourceRecordSetsCommand({
          HostedZoneId: sandbox.ids.zoneId,
          ChangeBatch: {
            Comment: 'by hand',
            Changes: [
              { Action: 'DELETE', ResourceRecordSet: aliasRecord },
              {
                Action: 'UPSERT',
                ResourceRecordSet: {
                  Name: 'apps.tis.nhs.uk.',
                  Type: 'CNAME',
                  TTL: 60,
                  ResourceRecords: [{ Value: 'hand-made.example.net' }],
                },
              },
            ],
          },
        }),
      );
    } finally {
      client.destroy();
    }

    const stateBefore = readFileSync(statePath(state.path, 'sandbox'));
    const mark = sandbox.proxy.requests.length;
    const refused = await migrate('rollback', '3', '--yes');
    expect(refused.code, `${refused.stdout}\n${refused.stderr}`).toBe(5);
    expect(sandbox.proxy.requests.slice(mark).filter((r) => r.write)).toEqual([]);
    expect(refused.stderr).toMatch(/^error: mid\.3 changed since migrate applied it: rollback stopped before writing anything$/m);
    // The three-way view, field by field: what was there, what migrate left, what is there now.
    const view = refused.stderr;
    expect(view).toMatch(/^ {2}mid\.3 \(Switch Admins-UI DNS .*\):$/m);
    expect(view).toMatch(
      /^ {4}ResourceRecords\[0\]\.Value:\n {8}before \(checkpoint\): "admins-ui-origin\.tis\.nhs\.uk"\n {8}after {2}\(checkpoint\): \(none\)\n {8}live {3}\(now\): {8}"hand-made\.example\.net"$/m,
    );
    expect(view).toMatch(
      /^ {4}Type:\n {8}before \(checkpoint\): "CNAME"\n {8}after {2}\(checkpoint\): "A"\n {8}live {3}\(now\): {8}"CNAME"$/m,
    );
    expect(view).toMatch(/^ {4}TTL:\n {8}before \(checkpoint\): 300\n {8}after {2}\(checkpoint\): .*\n {8}live {3}\(now\): {8}60$/m);
    expect(view).toMatch(/^hint: .*migrate rollback 3 --env sandbox --force$/m);
    expect(readFileSync(statePath(state.path, 'sandbox')).equals(stateBefore)).toBe(true);
    expect(lockExists(state.path)).toBe(false);
    expect((await snapshotEstate(sandbox.moto.url, sandbox.ids)).appsRecordSets).toEqual([
      { Name: 'apps.tis.nhs.uk.', Type: 'CNAME', TTL: 60, ResourceRecords: [{ Value: 'hand-made.example.net' }] },
    ]);

    const forced = await migrate('rollback', '3', '--yes', '--force');
    expect(forced.code, `${forced.stdout}\n${forced.stderr}`).toBe(0);
    expect(forced.stdout).toMatch(/! drift overridden by --force/);
    expect(forced.stdout).toMatch(/↺ mid\.3 rolled back/);
    expect((await snapshotEstate(sandbox.moto.url, sandbox.ids)).appsRecordSets).toEqual(seeded.appsRecordSets);
    expect(readState(state.path).steps['mid.3']?.status).toBe('rolled-back');
  });
});
