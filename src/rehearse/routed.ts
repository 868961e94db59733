import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { EngineEvent } from '../engine/events.js';
import type { RunbookError } from '../errors.js';
import { c } from '../output/style.js';
import { loadRunbook } from '../runbook/index.js';
import type { FaultSpec } from '../sandbox/faults.js';
import type { GlobalOptions } from '../commands/options.js';
import type { Json } from '../steps/types.js';
import { canonicalJson } from '../util/json.js';
import { formatDuration } from '../util/duration.js';
import { stageLine, type StageResult } from './report.js';
import { stageRunner } from './stage.js';

export interface RoutedRehearsalOptions {
  file: string;
  timeScale: number;
  faults: FaultSpec;
  faultsText?: string | undefined;
  /** Draws the faults, as for the TIS rehearsal: printed, and given again to repeat a run. */
  seed: number;
  json?: boolean | undefined;
  color?: boolean | undefined;
  say: (line?: string) => void;
}

/** The keys of two snapshots whose values differ, with both values (short). */
export function snapshotDifferences(a: Record<string, Json>, b: Record<string, Json>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])]
    .filter((k) => canonicalJson(a[k]) !== canonicalJson(b[k]))
    .map((k) => `${k}: ${show(a[k])} != ${show(b[k])}`);
}

function show(value: Json | undefined): string {
  return value === undefined ? '(missing)' : canonicalJson(value).slice(0, 200);
}

/**
 * The rehearsal of runbooks/examples/routed-records.yaml against its own seeded estate: validate,
 * pre, mid (every weighted set of the name lowered together), rollback 1, the estate back exactly
 * (compared semantically) with no drift reported, mid again equal to the first, rollback 1 again.
 */
export async function rehearseRouted(opts: RoutedRehearsalOptions): Promise<number> {
  const { say, file } = opts;
  const stateDir = await mkdtemp(join(tmpdir(), 'migrate-rehearsal-'));
  const stages: StageResult[] = [];
  const events: EngineEvent[] = [];
  const { startSandbox } = await import('../sandbox/sandbox.js');
  const { snapshotRoutedEstate } = await import('./../sandbox/estate-routed.js');
  say(c().bold(`Rehearsal of ${file} (routed-records estate)`));
  say(
    `Starting the sandbox (time scale ${opts.timeScale}: a 1h wait takes ${formatDuration(3_600_000 / opts.timeScale)})${opts.faultsText ? `, faults: ${opts.faultsText}` : ''}, seed ${opts.seed} ...`,
  );
  const sandbox = await startSandbox({ timeScale: opts.timeScale, faults: opts.faults, seed: opts.seed, routedEstate: true });
  Object.assign(process.env, sandbox.exports);
  const routed = sandbox.routed!;
  const base: GlobalOptions & { yes: boolean } = { runbook: file, env: 'sandbox', stateDir, yes: true, color: opts.color, json: opts.json };
  const snapshot = () => snapshotRoutedEstate(sandbox.moto.url, routed);

  const stage = stageRunner(stages, say);
  const { executePhase } = await import('../commands/run.js');
  const { executeRollback } = await import('../commands/rollback.js');
  const expectOk = (r: { ok: boolean; error?: RunbookError | undefined }, what: string) => {
    if (!r.ok) throw r.error ?? new Error(`${what} failed`);
    return what;
  };
  async function phase(name: string) {
    const run = await executePhase(name, base);
    events.push(...run.events);
    return run.result;
  }
  async function rollbackAll(): Promise<string> {
    const before = events.length;
    const run = await executeRollback('1', base);
    events.push(...run.events);
    expectOk(run.result, 'rollback 1');
    const drift = run.events.filter((e) => e.kind === 'drift');
    if (drift.length || events.length < before)
      throw new Error(`drift reported: ${drift.map((e) => (e.kind === 'drift' ? e.ref : '')).join(', ')}`);
    return 'rollback 1 undid mid 5..1 with no drift reported';
  }
  const backExactly = (reference: Record<string, Json>, what: string) => async () => {
    const problems = snapshotDifferences(reference, await snapshot());
    if (problems.length) throw new Error(problems.join('; '));
    return what;
  };

  let baseline: Record<string, Json> | undefined;
  let afterMid: Record<string, Json> | undefined;
  try {
    (await stage('validate', async () => `${(await loadRunbook(file)).name}`)) &&
      (await stage('run pre', async () => expectOk(await phase('pre'), 'pre-checks hold'))) &&
      (await stage('snapshot the estate before mid', async () => {
        baseline = await snapshot();
        return 'weighted api, www, both authorizers, policy, 91 stage variables';
      })) &&
      (await stage('run mid', async () => {
        expectOk(await phase('mid'), 'mid');
        afterMid = await snapshot();
        const api = (afterMid.records as { Name: string; TTL?: number }[]).filter((r) => r.Name.startsWith('api.'));
        if (api.length !== 2 || api.some((r) => r.TTL !== 60))
          throw new Error(`the weighted sets of api are not all at TTL 60: ${JSON.stringify(api)}`);
        return 'every gate passed; both weighted sets of api at TTL 60 (lowered together, one batch)';
      })) &&
      (await stage('rollback 1', rollbackAll)) &&
      (await stage(
        'estate back where it was, exactly',
        backExactly(baseline!, 'records, authorizers, policy and stage variables equal the snapshot before mid'),
      )) &&
      (await stage('run mid again', async () => expectOk(await phase('mid'), 'mid'))) &&
      (await stage('estate equals the first cutover', async () => backExactly(afterMid!, 'same estate as after the first mid')()));
    const ok = stages.length > 0 && stages.every((s) => s.ok) && stages.at(-1)!.name === 'estate equals the first cutover';
    say();
    say(c().bold('Rehearsal'));
    for (const s of stages) say(`  ${(s.ok ? c().green : c().red)(stageLine(s))}`);
    say();
    say(ok ? c().green.bold('Rehearsal passed: every gate held.') : c().red.bold('Rehearsal FAILED: see the first FAIL above.'));
    const injected = sandbox.proxy.requests.filter((r) => r.injected).length;
    if (injected)
      say(
        `Faults injected at the proxy: ${injected} of ${sandbox.proxy.requests.length} AWS requests (seed ${opts.seed}; repeat with --seed ${opts.seed}).`,
      );
    if (opts.json) {
      // Ids differ from one sandbox to the next: named instead, so two rehearsals compare.
      const names: [string, string][] = [
        [routed.apiId, '<apiId>'],
        [routed.zoneId, '<zoneId>'],
        [routed.staffPoolArn, '<staffPoolArn>'],
        [routed.partnerOldPoolArn, '<partnerOldPoolArn>'],
        [routed.partnerNewPoolArn, '<partnerNewPoolArn>'],
      ];
      const finalEstate = JSON.parse(
        names.reduce((text, [id, name]) => text.split(id).join(name), canonicalJson(await snapshot())),
      ) as Json;
      process.stdout.write(
        `${JSON.stringify({ ok, timeScale: opts.timeScale, faults: opts.faultsText ?? null, seed: opts.seed, stages, finalEstate, requests: sandbox.proxy.requests.length, injected }, null, 2)}\n`,
      );
    }
    return ok ? 0 : 1;
  } finally {
    await sandbox.stop();
    await rm(stateDir, { recursive: true, force: true });
  }
}
