import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { sandboxClientConfig, snapshotEstate, type EstateIds } from '../../src/sandbox/estate.js';
import type { RequestLogEntry } from '../../src/sandbox/proxy.js';
import { RUNBOOK, appliedWrites, cli, lockExists, readState, sandboxEnv, sandboxPool, spawnCli, tempDir, withIdsNamed } from './helpers.js';

/**
 * Issue 3: `migrate run mid --yes` killed with SIGKILL (no chance to clean up) at step boundaries,
 * inside mid.3's old-TTL wait, and just after a write reached AWS but before its answer came back.
 * The operator's way back: run again (refused: stale lock, exit 3), `migrate unlock`, run again.
 * Afterwards the estate and the checkpoints equal those of an uninterrupted run, and no change was
 * sent twice.
 *
 * Each kill point needs the estate as seeded, so each starts a sandbox of its own (a few seconds), on a
 * moto server reset for it (sandboxPool).
 * Having nothing else in common, they run side by side (two at a time, vitest's maxConcurrency):
 * one's CPU work fills the other's waits (moto starting, mid.3's TTL wait, the scaled rate limits).
 * Every kill is triggered by what the run printed or sent, never by a delay, so overlap cannot move it.
 */

/** The writes the plan's mutating steps make, and which step makes each. */
const COUNTED = {
  ChangeResourceRecordSets: 'mid.3 (lower the TTL, then switch)',
  UpdateAuthorizer: 'mid.4 (add the new pool and remove the old in one patch)',
  UpdateRestApi: 'mid.2 (restrict) and mid.5b (lift)',
  UpdateStage: 'mid.5a (stage variables)',
  // Not a change of its own, but what makes the API changes take effect: once per API step too.
  CreateDeployment: 'mid.2, mid.4, mid.5a and mid.5b (each deploys its stage once)',
} as const;
type Counted = keyof typeof COUNTED;

const MID = ['mid.1', 'mid.2', 'mid.3', 'mid.4', 'mid.5a', 'mid.5b'];

interface Outcome {
  estate: unknown;
  /** Status and before-state of every mid step, ids replaced by names. */
  checkpoints: Record<string, { status: string; before: unknown }>;
  writes: Record<Counted, number>;
}

function countWrites(requests: readonly RequestLogEntry[]): Record<Counted, number> {
  const counts = { ChangeResourceRecordSets: 0, UpdateAuthorizer: 0, UpdateRestApi: 0, UpdateStage: 0, CreateDeployment: 0 };
  for (const r of appliedWrites(requests)) if (r.operation in counts) counts[r.operation as Counted] += 1;
  return counts;
}

/** The stages' deployments as seeded, so a before-state naming one can be compared across sandboxes. */
async function seededDeployments(sandbox: Sandbox): Promise<Record<string, string>> {
  const ag = await import('@aws-sdk/client-api-gateway');
  const client = new ag.APIGatewayClient(sandboxClientConfig(sandbox.moto.url));
  try {
    const out: Record<string, string> = {};
    for (const [name, restApiId] of [
      ['reval-api', sandbox.ids.revalApiId],
      ['usermanagement-api', sandbox.ids.userManagementApiId],
    ] as const) {
      out[name] = (await client.send(new ag.GetStageCommand({ restApiId, stageName: sandbox.ids.stage }))).deploymentId ?? '';
    }
    return out;
  } finally {
    client.destroy();
  }
}

/**
 * moto makes new ids in every sandbox: replace them by their names so two sandboxes compare. A
 * deployment made during the run is "<new deployment>"; one that was seeded keeps its API's name.
 */
function normaliser(ids: EstateIds, deployments: Record<string, string>): (value: unknown) => unknown {
  const byName = withIdsNamed(ids);
  return (value) => {
    let text = JSON.stringify(byName(value));
    for (const [api, id] of Object.entries(deployments))
      text = text.split(`"deploymentId":"${id}"`).join(`"deploymentId":"<seeded ${api}>"`);
    text = text.replace(/"deploymentId":"[a-z0-9]+"/g, '"deploymentId":"<new deployment>"');
    return JSON.parse(text) as unknown;
  };
}

async function outcome(sandbox: Sandbox, stateDir: string, deployments: Record<string, string>): Promise<Outcome> {
  const normal = normaliser(sandbox.ids, deployments);
  const state = readState(stateDir);
  const checkpoints = Object.fromEntries(
    MID.map((ref) => [ref, { status: state.steps[ref]?.status ?? 'pending', before: normal(state.steps[ref]?.before ?? null) }]),
  );
  return {
    estate: normal(await snapshotEstate(sandbox.moto.url, sandbox.ids, { healthUrl: sandbox.health.url })),
    checkpoints,
    writes: countWrites(sandbox.proxy.requests),
  };
}

interface KillPoint {
  name: string;
  /** Kill when the run prints a line matching this ... */
  line?: RegExp;
  /** ... or when the n-th (1-based) request of this operation reaches the sandbox, before moto answers it. */
  write?: { operation: Counted; nth: number };
  /** MIGRATE_TIME_SCALE for the killed run (the old-TTL wait lasts 5s at 60); the resumed one runs at 180. */
  timeScale?: number;
}

const KILL_POINTS: KillPoint[] = [
  { name: 'at the boundary before mid.2', line: /^▸ mid\.2 / },
  { name: 'at the boundary before mid.3', line: /^▸ mid\.3 / },
  {
    name: "inside mid.3's wait for the old TTL to run out",
    // The second tick of the countdown: "4m left", or "3m59s left" when a loaded machine fires the 1 s timer late.
    line: /^\s+… old TTL \(5m\) of apps\.tis\.nhs\.uk\. to expire: (?:4m|3m\d+s) left/,
    timeScale: 60,
  },
  { name: 'at the boundary before mid.4', line: /^▸ mid\.4 / },
  { name: 'at the boundary before mid.5a', line: /^▸ mid\.5a / },
  { name: 'at the boundary before mid.5b', line: /^▸ mid\.5b / },
  { name: 'inside mid.2, its UpdateRestApi sent but not answered', write: { operation: 'UpdateRestApi', nth: 1 } },
  { name: 'inside mid.3, its switch sent but not answered', write: { operation: 'ChangeResourceRecordSets', nth: 2 } },
  { name: 'inside mid.4, its UpdateAuthorizer sent but not answered', write: { operation: 'UpdateAuthorizer', nth: 1 } },
  { name: 'inside mid.5a, its UpdateStage sent but not answered', write: { operation: 'UpdateStage', nth: 1 } },
];

/** Calls `onEntry` for each request the proxy logs, synchronously, before it is forwarded to moto. */
function watchRequests(sandbox: Sandbox, onEntry: (entry: RequestLogEntry) => void): void {
  const log = sandbox.proxy.requests;
  log.push = (...entries: RequestLogEntry[]) => {
    const n = Array.prototype.push.apply(log, entries);
    for (const entry of entries) onEntry(entry);
    return n;
  };
}

// Each kill point's sandbox is new and freshly seeded; only the moto under it is reused, reset.
const pool = sandboxPool();
afterAll(() => pool.stop());

describe('kill -9 of run mid, then resume', () => {
  let reference: Outcome;
  const sandboxes: Sandbox[] = [];
  const dirs: { remove(): void }[] = [];

  async function fresh() {
    const sandbox = await pool.start({ timeScale: 600 });
    sandboxes.push(sandbox);
    const state = tempDir();
    dirs.push(state);
    return { sandbox, state: state.path, deployments: await seededDeployments(sandbox) };
  }

  beforeAll(async () => {
    const { sandbox, state, deployments } = await fresh();
    const run = await cli(['--runbook', RUNBOOK, 'run', 'mid', '--yes'], sandboxEnv(sandbox, state));
    expect(run.code, run.stderr).toBe(0);
    reference = await outcome(sandbox, state, deployments);
    await sandbox.stop();
  });
  afterAll(async () => {
    await Promise.allSettled(sandboxes.map((s) => s.stop()));
    for (const dir of dirs) dir.remove();
  });

  it('an uninterrupted run makes each change once', () => {
    expect(reference.writes).toEqual({
      ChangeResourceRecordSets: 2,
      UpdateAuthorizer: 1,
      UpdateRestApi: 2,
      UpdateStage: 1,
      CreateDeployment: 4,
    });
    expect(Object.values(reference.checkpoints).map((c) => c.status)).toEqual(MID.map(() => 'applied'));
  });

  it.concurrent.for(KILL_POINTS)(
    'killed $name: resumes to the same estate and checkpoints, no write sent twice',
    { timeout: 60_000 },
    async (point, { expect }) => {
      const { sandbox, state, deployments } = await fresh();
      try {
        const extra = point.timeScale ? { MIGRATE_TIME_SCALE: String(point.timeScale) } : {};
        const env = sandboxEnv(sandbox, state, extra);
        const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);

        const victim = spawnCli(['--runbook', RUNBOOK, 'run', 'mid', '--yes'], env);
        if (point.write) {
          const { operation, nth } = point.write;
          let seen = 0;
          watchRequests(sandbox, (entry) => {
            if (entry.operation === operation && entry.write && ++seen === nth) victim.child.kill('SIGKILL');
          });
        } else if (point.line) {
          await victim.waitForLine(point.line);
          victim.child.kill('SIGKILL');
        }
        const killed = await victim.done;
        expect(killed.signal, `the run ended by itself:\n${killed.stdout}\n${killed.stderr}`).toBe('SIGKILL');
        // The dead run's lock is still there: the next run reports it and says how to release it.
        expect(lockExists(state)).toBe(true);
        const refused = await migrate('run', 'mid', '--yes');
        expect(refused.code).toBe(3);
        expect(refused.stderr).toMatch(/stale lock: pid \d+ on .*running "run mid".*that process is gone/);
        expect(refused.stderr).toMatch(/hint: .*migrate status --env sandbox.*migrate unlock --env sandbox/);
        const status = await migrate('status', '--json');
        expect(JSON.parse(status.stdout).lock).toMatchObject({ pid: victim.child.pid, command: 'run mid', stale: true });

        const unlock = await migrate('unlock');
        expect(unlock.code, unlock.stderr).toBe(0);
        expect(unlock.stdout).toMatch(/released the lock on "sandbox"/);

        // Only the kill needed scale 60's long wait to land in: the resumed run of that point waits at
        // 180 (1.7 s, still long enough for its countdown to be shown), the others at the sandbox's 600.
        const resumeScale = point.timeScale ? { MIGRATE_TIME_SCALE: '180' } : {};
        const resumed = await cli(['--runbook', RUNBOOK, 'run', 'mid', '--yes'], sandboxEnv(sandbox, state, resumeScale));
        expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);
        expect(lockExists(state)).toBe(false);
        if (point.timeScale) {
          // The lowered TTL does not mean the old one has run out: the resumed run waits it out again.
          expect(resumed.stdout).toMatch(/old TTL \(5m\) of apps\.tis\.nhs\.uk\. to expire \(in full again after an interrupted run\)/);
        }

        const after = await outcome(sandbox, state, deployments);
        expect(after.estate).toEqual(reference.estate);
        // Before-states name deployments too: a step stopped between its change and its deploy is
        // deployed when resumed, so the next step finds the stage on a new deployment, as it would have.
        expect(after.checkpoints).toEqual(reference.checkpoints);
        // Across the killed run and the resumed one, each change reached AWS exactly once.
        expect(after.writes).toEqual(reference.writes);
      } finally {
        await sandbox.stop();
      }
    },
  );
});

describe('kill -9 of rollback 4, then resume', () => {
  it('killed just after the undo of mid.4 reached AWS: the resumed rollback deploys it and finishes, no write sent twice', async () => {
    const sandbox = await pool.start({ timeScale: 600 });
    const dir = tempDir();
    try {
      const env = sandboxEnv(sandbox, dir.path);
      const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);
      const seeded = await snapshotEstate(sandbox.moto.url, sandbox.ids);
      const mid = await migrate('run', 'mid', '--yes');
      expect(mid.code, mid.stderr).toBe(0);
      const mark = sandbox.proxy.requests.length;

      const victim = spawnCli(['--runbook', RUNBOOK, 'rollback', '4', '--yes'], env);
      watchRequests(sandbox, (entry) => {
        if (entry.operation === 'UpdateAuthorizer') victim.child.kill('SIGKILL');
      });
      expect((await victim.done).signal).toBe('SIGKILL');
      expect(readState(dir.path).steps['mid.4']?.status).toBe('undoing');
      expect((await migrate('rollback', '4', '--yes')).code).toBe(3);
      expect((await migrate('unlock')).code).toBe(0);
      const resumed = await migrate('rollback', '4', '--yes');
      expect(resumed.code, `${resumed.stdout}\n${resumed.stderr}`).toBe(0);

      const live = await snapshotEstate(sandbox.moto.url, sandbox.ids, { healthUrl: sandbox.health.url });
      expect(live.revalProviderArns).toEqual(seeded.revalProviderArns);
      expect(live.appsRecordSets).toEqual(seeded.appsRecordSets);
      const state = readState(dir.path);
      expect([
        state.steps['mid.4']?.status,
        state.steps['mid.3']?.status,
        state.rollbacks['4']?.status,
        state.rollbacks['3']?.status,
      ]).toEqual(['rolled-back', 'rolled-back', 'applied', 'applied']);
      const rollbackWrites = appliedWrites(sandbox.proxy.requests.slice(mark));
      expect(countWrites(rollbackWrites)).toEqual({
        ChangeResourceRecordSets: 1,
        UpdateAuthorizer: 1,
        UpdateRestApi: 0,
        UpdateStage: 0,
        CreateDeployment: 1,
      });
      // The authorizer's way back takes effect only once the stage is deployed: after the
      // interrupted UpdateAuthorizer, a deployment of reval-api must follow.
      const revalDeploys = rollbackWrites.filter((r) => r.operation === 'CreateDeployment' && r.path.includes(sandbox.ids.revalApiId));
      const authorizer = rollbackWrites.find((r) => r.operation === 'UpdateAuthorizer');
      expect(revalDeploys.some((d) => d.seq > (authorizer?.seq ?? Infinity))).toBe(true);
    } finally {
      await sandbox.stop();
      dir.remove();
    }
  }, 60_000);
});
