import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { sandboxClientConfig } from '../../src/sandbox/estate.js';
import { RUNBOOK, appliedWrites, auditLines, cli, readState, runbookCopy, sandboxEnv, tempDir, sandboxPool } from '../e2e/helpers.js';

// The two describes' sandboxes, one after the other, on one moto server (reset in between).
const pool = sandboxPool();
afterAll(() => pool.stop());

/** Issue 14: a saved plan is applied exactly, and refused (exit 5, before any write) once stale. */
describe('saved plans on the sandbox', () => {
  let sandbox: Sandbox;
  const state = tempDir('migrate-plan-');
  let env: NodeJS.ProcessEnv;
  const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);
  const planFile = (name: string) => join(state.path, name);

  async function setAppsCname(target: string): Promise<void> {
    const r53 = await import('@aws-sdk/client-route-53');
    const client = new r53.Route53Client(sandboxClientConfig(sandbox.proxy.url));
    try {
      await client.send(
        new r53.ChangeResourceRecordSetsCommand({
          HostedZoneId: sandbox.ids.zoneId,
          ChangeBatch: {
            Changes: [
              {
                Action: 'UPSERT',
                ResourceRecordSet: { Name: 'apps.tis.nhs.uk.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: target }] },
              },
            ],
          },
        }),
      );
    } finally {
      client.destroy();
    }
  }

  beforeAll(async () => {
    sandbox = await pool.start({ timeScale: 600 });
    env = sandboxEnv(sandbox, state.path);
    const pre = await migrate('run', 'pre', '--yes');
    expect(pre.code, pre.stderr).toBe(0);
  });
  afterAll(async () => {
    await sandbox?.stop();
    state.remove();
  });

  it('plan mid --out writes a plan file with no secret; show prints it as plan does, and --json', async () => {
    const saved = await migrate('plan', 'mid', '--out', planFile('mid.plan'));
    expect(saved.stderr).toBe('');
    expect(saved.code).toBe(0);
    expect(saved.stdout).toMatch(/^plan mid · env sandbox · 6 steps · SAVED PLAN/m);
    expect(saved.stdout).toMatch(/^ {2}~ mid\.3 would change/m);
    expect(saved.stdout).toMatch(/^plan saved to .*mid\.plan$/m);

    const doc = JSON.parse(readFileSync(planFile('mid.plan'), 'utf8')) as {
      format: string;
      env: { name: string };
      phase: string;
      runbook: { digest: string };
      author: { identity: string };
      steps: { ref: string; outcome: string; fingerprint?: { sha256: string } }[];
    };
    expect(doc).toMatchObject({ format: 'migrate-plan/1', env: { name: 'sandbox' }, phase: 'mid' });
    expect(doc.author.identity).toMatch(/^arn:aws:/);
    expect(doc.steps.map((s) => s.ref)).toEqual(['mid.1', 'mid.2', 'mid.3', 'mid.4', 'mid.5a', 'mid.5b']);
    expect(doc.steps.find((s) => s.ref === 'mid.3')?.fingerprint?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const text = readFileSync(planFile('mid.plan'), 'utf8');
    for (const secret of [env.AWS_SECRET_ACCESS_KEY!, env.AWS_ACCESS_KEY_ID!]) expect(text).not.toContain(secret);

    const shown = await migrate('show', planFile('mid.plan'));
    expect(shown.code).toBe(0);
    // The same lines as when it was saved, but for the closing "plan saved" note.
    expect(saved.stdout.startsWith(shown.stdout.split('\n').slice(0, -2).join('\n'))).toBe(true);
    const json = await migrate('show', planFile('mid.plan'), '--json');
    expect(JSON.parse(json.stdout)).toMatchObject({ plan: { phase: 'mid' }, digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(auditLines(state.path).filter((l) => l.event === 'plan-saved')).toHaveLength(1);
  });

  it('a DNS record changed behind the tool after the plan: run --plan exits 5 with the 3-way difference and no AWS write', async () => {
    await setAppsCname('hand-made.example.net');
    const mark = sandbox.proxy.requests.length;
    const refused = await migrate('run', 'mid', '--plan', planFile('mid.plan'), '--yes');
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toMatch(/the saved plan .*mid\.plan is stale: live state changed since it was planned \(mid\.3\)/);
    expect(refused.stderr).toMatch(/planned against: "admins-ui-origin\.tis\.nhs\.uk"/);
    expect(refused.stderr).toMatch(/live now: +"hand-made\.example\.net"/);
    expect(appliedWrites(sandbox.proxy.requests.slice(mark))).toEqual([]);
    expect(readState(state.path).steps['mid.1']).toBeUndefined();
    await setAppsCname('admins-ui-origin.tis.nhs.uk');
  });

  it('an edited runbook: run --plan exits 5 before any AWS call', async () => {
    const copy = runbookCopy(state.path, [
      ['title: Give notice to users that the migration starts', 'title: Give notice to users that the cutover starts'],
    ]);
    const mark = sandbox.proxy.requests.length;
    const refused = await cli(['--runbook', copy, 'run', 'mid', '--plan', planFile('mid.plan'), '--yes'], env);
    expect(refused.code, refused.stderr).toBe(5);
    expect(refused.stderr).toMatch(/is stale: the runbook changed since it was planned/);
    expect(sandbox.proxy.requests.slice(mark)).toEqual([]);
  });

  it("run --plan --yes applies exactly the plan's steps and no other", async () => {
    const only = await migrate('plan', 'mid', '--only', '2', '--out', planFile('mid2.plan'));
    expect(only.code, only.stderr).toBe(0);
    const run = await migrate('run', 'mid', '--plan', planFile('mid2.plan'), '--yes');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^done: 1 applied$/m);
    const steps = readState(state.path).steps;
    expect(Object.keys(steps).filter((ref) => ref.startsWith('mid.'))).toEqual(['mid.2']);

    const full = await migrate('plan', 'mid', '--out', planFile('mid-rest.plan'));
    expect(full.code, full.stderr).toBe(0);
    const rest = await migrate('run', 'mid', '--plan', planFile('mid-rest.plan'), '--yes');
    expect(rest.code, rest.stderr).toBe(0);
    expect(rest.stdout).toMatch(/^done: 5 applied, 1 already applied$/m);
    const audit = auditLines(state.path);
    expect(audit.filter((l) => l.event === 'run-plan').map((l) => l.detail)).toEqual(['mid.2', 'mid.1 mid.2 mid.3 mid.4 mid.5a mid.5b']);
    expect(audit.filter((l) => l.event === 'run-start' && l.command === 'run mid').map((l) => l.detail)).toEqual([
      'mid.2',
      'mid.1 mid.2 mid.3 mid.4 mid.5a mid.5b',
    ]);
    // Both plans were made against the state their run met: every change is the one planned.
    expect(audit.filter((l) => l.event === 'plan-deviation')).toEqual([]);
  });

  it('--from or --only cannot narrow a saved plan', async () => {
    const r = await migrate('run', 'mid', '--plan', planFile('mid.plan'), '--from', '3', '--yes');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--from and --only cannot narrow it/);
  });
});

describe('a saved plan whose run failed part-way', () => {
  let sandbox: Sandbox;
  const state = tempDir('migrate-plan-resume-');
  let env: NodeJS.ProcessEnv;
  const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);

  beforeAll(async () => {
    sandbox = await pool.start({ timeScale: 600, faults: { incidents: ['reval-down'] } });
    env = sandboxEnv(sandbox, state.path);
  });
  afterAll(async () => {
    await sandbox?.stop();
    state.remove();
  });

  it('resumes with the same run --plan: what its first run wrote is not stale', async () => {
    const file = join(state.path, 'mid.plan');
    expect((await migrate('plan', 'mid', '--out', file)).code).toBe(0);
    const failed = await migrate('run', 'mid', '--plan', file, '--yes');
    expect(failed.code, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/✘ mid\.4 failed/);
    expect(failed.stdout).toMatch(new RegExp(`^to resume: migrate run mid .*--plan ${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`, 'm'));

    sandbox.proxy.setFaults({});
    const resumed = await migrate('run', 'mid', '--plan', file, '--yes');
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/✔ mid\.3 already applied/);
    expect(Object.fromEntries(Object.entries(readState(state.path).steps).map(([ref, cp]) => [ref, cp.status]))).toMatchObject({
      'mid.3': 'applied',
      'mid.4': 'applied',
      'mid.5b': 'applied',
    });
  });
});
