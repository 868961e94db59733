import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { sandboxClientConfig, snapshotEstate, type EstateSnapshot } from '../../src/sandbox/estate.js';
import type { RequestLogEntry } from '../../src/sandbox/proxy.js';
import { RUNBOOK, appliedWrites, cli, readState, sandboxEnv, spawnCli, tempDir } from './helpers.js';

/**
 * Issue 10 (the plan tells the truth) and issue 11 item 1 (a lost before-state), over the sandbox:
 * the plan of a fresh estate shows every change the run makes (mid.5b lifts what mid.2 adds), a
 * completed phase plans and re-runs to nothing, and a rollback that failed or was killed part-way
 * still leaves the checkpoint that takes DNS back to the original CNAME.
 */

const MID = ['mid.1', 'mid.2', 'mid.3', 'mid.4', 'mid.5a', 'mid.5b'];

interface PlanDoc {
  ok: boolean;
  summary: { wouldChange: string[] };
  plan: Array<{ ref: string; status: string; before?: unknown; after?: unknown; source?: string; by?: string }>;
}

async function deployments(sandbox: Sandbox): Promise<Record<string, string | undefined>> {
  const ag = await import('@aws-sdk/client-api-gateway');
  const client = new ag.APIGatewayClient(sandboxClientConfig(sandbox.moto.url));
  try {
    const out: Record<string, string | undefined> = {};
    for (const [name, restApiId] of [
      ['reval-api', sandbox.ids.revalApiId],
      ['usermanagement-api', sandbox.ids.userManagementApiId],
    ] as const) {
      out[name] = (await client.send(new ag.GetStageCommand({ restApiId, stageName: sandbox.ids.stage }))).deploymentId;
    }
    return out;
  } finally {
    client.destroy();
  }
}

/** Calls `onEntry` for each request the proxy logs, synchronously, before it is forwarded to moto. */
function watchRequests(sandbox: Sandbox, onEntry: (entry: RequestLogEntry) => void): () => void {
  const log = sandbox.proxy.requests;
  const original = log.push;
  log.push = (...entries: RequestLogEntry[]) => {
    const n = original.apply(log, entries);
    for (const entry of entries) onEntry(entry);
    return n;
  };
  return () => {
    log.push = original;
  };
}

describe('plan = run, and a re-run writes nothing', () => {
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

  it('on a fresh estate, plan mid lists all six mid steps as would-change, mid.5b planned after mid.2', async () => {
    const plan = await migrate('plan', 'mid', '--json');
    expect(plan.code, plan.stderr).toBe(0);
    const doc = JSON.parse(plan.stdout) as PlanDoc;
    expect(doc.summary.wouldChange).toEqual(MID);
    expect(doc.plan.map((p) => `${p.ref}:${p.status}`)).toEqual(MID.map((ref) => `${ref}:would-change`));
    const lift = doc.plan.find((p) => p.ref === 'mid.5b');
    expect(lift).toMatchObject({ source: 'predicted', by: 'mid.2' });
    expect(doc.plan.find((p) => p.ref === 'mid.2')).toMatchObject({ source: 'live', before: { policy: null } });
    // mid.5b starts from the restriction mid.2 leaves, and ends with no Deny in the policy.
    expect(JSON.stringify(lift?.before)).toContain('Deny');
    expect(JSON.stringify(lift?.after)).not.toContain('Deny');

    const human = await migrate('plan', 'mid');
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/lift the restriction.*\(after mid\.2\)/);
    expect(human.stdout).toMatch(/6 would change/);
    expect(human.stdout).not.toMatch(/to resume/);
  });

  it('after run pre and run mid, plan mid lists nothing to change and a second run mid writes nothing', async () => {
    expect((await migrate('run', 'pre', '--yes')).code).toBe(0);
    const mid = await migrate('run', 'mid', '--yes');
    expect(mid.code, `${mid.stdout}\n${mid.stderr}`).toBe(0);
    expect(mid.stdout).toMatch(/done: 6 applied/);

    const plan = await migrate('plan', 'mid', '--json');
    expect(plan.code, plan.stderr).toBe(0);
    const doc = JSON.parse(plan.stdout) as PlanDoc;
    expect(doc.summary.wouldChange).toEqual([]);
    expect(doc.plan.map((p) => `${p.ref}:${p.status}`)).toEqual(MID.map((ref) => `${ref}:already-applied`));

    const ids = await deployments(sandbox);
    const mark = sandbox.proxy.requests.length;
    const again = await migrate('run', 'mid', '--yes');
    expect(again.code, `${again.stdout}\n${again.stderr}`).toBe(0);
    expect(appliedWrites(sandbox.proxy.requests.slice(mark)).map((r) => r.operation)).toEqual([]);
    expect(await deployments(sandbox)).toEqual(ids);
    expect(again.stdout).toMatch(/✔ mid\.2 already applied \(\d+m?s\): applied \S+ by .*, still in place/);
    expect(again.stdout).toMatch(/^done: 6 already applied$/m);
    expect(again.stdout).not.toMatch(/to resume/);
    for (const ref of MID) expect(readState(state.path).steps[ref]?.status).toBe('applied');
  });

  it('rollback 3 failing at its write (Route 53 answering 503), then run mid, then rollback 3: DNS back on the original CNAME', async () => {
    let failing = false;
    const stop = watchRequests(sandbox, (entry) => {
      if (!failing && entry.operation === 'ChangeResourceRecordSets') {
        failing = true;
        sandbox.proxy.setFaults({ error5xx: 1 });
      }
    });
    try {
      const failed = await migrate('rollback', '3', '--yes');
      expect(failed.code, `${failed.stdout}\n${failed.stderr}`).toBe(1);
      expect(failing).toBe(true);
    } finally {
      stop();
      sandbox.proxy.setFaults({});
    }
    expect(readState(state.path).steps['mid.3']?.status).toBe('undoing');

    const run = await migrate('run', 'mid', '--yes');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    const cp = readState(state.path).steps['mid.3'];
    expect(cp?.status).toBe('applied');
    expect(cp?.before).toEqual(expect.objectContaining({ Type: 'CNAME' }));

    const back = await migrate('rollback', '3', '--yes');
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    expect((await snapshotEstate(sandbox.moto.url, sandbox.ids)).appsRecordSets).toEqual(seeded.appsRecordSets);
  });

  it('rollback 3 killed after its write, then run mid, then rollback 3: DNS back on the original CNAME', async () => {
    // Back to the cutover state first.
    expect((await migrate('run', 'mid', '--yes')).code).toBe(0);
    expect(readState(state.path).steps['mid.3']?.status).toBe('applied');

    const rollback = spawnCli(['--runbook', RUNBOOK, 'rollback', '3', '--yes'], env);
    let wrote = false;
    let killed = false;
    const stop = watchRequests(sandbox, (entry) => {
      if (entry.operation === 'ChangeResourceRecordSets') wrote = true;
      // The next request of the rollback comes once the switch back has been answered.
      else if (wrote && !killed) {
        killed = true;
        rollback.child.kill('SIGKILL');
      }
    });
    try {
      const result = await rollback.done;
      expect(result.signal).toBe('SIGKILL');
    } finally {
      stop();
    }
    expect(readState(state.path).steps['mid.3']?.status).toBe('undoing');
    expect((await migrate('unlock')).code).toBe(0);

    const run = await migrate('run', 'mid', '--yes');
    expect(run.code, `${run.stdout}\n${run.stderr}`).toBe(0);
    expect(run.stdout).toMatch(/reconciled: the undo of a stopped rollback had taken effect/);
    const cp = readState(state.path).steps['mid.3'];
    expect(cp?.status).toBe('applied');
    expect(cp?.before).toEqual(expect.objectContaining({ Type: 'CNAME' }));

    const back = await migrate('rollback', '3', '--yes');
    expect(back.code, `${back.stdout}\n${back.stderr}`).toBe(0);
    expect((await snapshotEstate(sandbox.moto.url, sandbox.ids)).appsRecordSets).toEqual(seeded.appsRecordSets);
  });
});
