import { randomInt } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RunbookError, messageOf } from '../errors.js';
import type { EngineEvent } from '../engine/events.js';
import { c } from '../output/style.js';
import { compareEstate, normalizeSnapshot } from '../rehearse/compare.js';
import { renderTable, stageLine, summaryRows, type StageResult } from '../rehearse/report.js';
import { loadRunbook } from '../runbook/index.js';
import type { EstateSnapshot } from '../sandbox/estate.js';
import type { FaultSpec } from '../sandbox/faults.js';
import { chooseState, openBackend } from '../state/backend.js';
import { formatDuration } from '../util/duration.js';
import { runbookPath } from './context.js';
import { DEFAULT_TIME_SCALE, parseTimeScale, shellQuote } from './sandbox.js';
import type { GlobalOptions } from './options.js';
import { stageRunner } from '../rehearse/stage.js';

interface Timing {
  ref: string;
  status: string;
  measuredMs: number;
  waitedMs: number;
}

/**
 * Per step, the timing a later plan uses: the run that did the step's work (applied or checked),
 * the latest such; a re-run that found it already applied says little about how long it takes.
 */
async function recordEvidence(opts: RehearseOptions, file: string, timings: Timing[], ok: boolean, timeScale: number): Promise<string> {
  const { expectedMs, writeEvidence } = await import('../plan/evidence.js');
  const { stateRoot } = await import('./locate.js');
  const runbook = await loadRunbook(file);
  const steps: Record<string, { measuredMs: number; waitedMs: number; expectedMs: number }> = {};
  const work = new Set(['applied', 'noop']);
  for (const t of timings) {
    const had = steps[t.ref];
    if (had && !work.has(t.status)) continue;
    steps[t.ref] = { measuredMs: t.measuredMs, waitedMs: t.waitedMs, expectedMs: expectedMs(t.measuredMs, t.waitedMs, timeScale) };
  }
  const where = await writeEvidence(stateRoot(opts, file), {
    version: 1,
    runbook: runbook.name,
    runbookDigest: runbook.digest,
    at: new Date().toISOString(),
    ok,
    timeScale,
    steps,
  });
  return `Step timings of this rehearsal (waits at their real length) recorded in ${where}, for the plans of other environments.`;
}

export interface RehearseOptions extends GlobalOptions {
  faults?: string | undefined;
  keep?: boolean | undefined;
  timeScale?: string | undefined;
  seed?: string | undefined;
  /** 's3': rehearse on the sandbox's shared state bucket instead of a temporary folder. */
  stateBackend?: string | undefined;
}

/** Each rehearsal draws its faults from a new seed unless told one, and says which, so a failing one can be repeated. */
function rehearsalSeed(text: string | undefined): number {
  if (text === undefined) return randomInt(1, 2 ** 31);
  const seed = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(seed))
    throw new RunbookError('USAGE', `--seed takes a whole number, not "${text}"`, {
      hint: 'For example: migrate rehearse --faults throttle=0.3 --seed 42',
    });
  return seed;
}

/**
 * The whole plan against a fresh sandbox, with --yes and a state dir of its own: validate, pre,
 * mid, rollback 4 (which chains 3), the estate back where it was, mid again, post. Exit 0 only if
 * every gate passed. With the reval-down incident, mid stops at Reval's gate and the watch fires
 * rollback 4 after the plan's hour (scaled) before the incident is cleared and mid runs again.
 */
export async function rehearseCommand(opts: RehearseOptions): Promise<number> {
  // With --json, stdout carries one document; the running commentary goes to stderr.
  const say = (line = '') => (opts.json ? process.stderr : process.stdout).write(`${line}\n`);
  const timeScale = parseTimeScale(opts.timeScale ?? String(DEFAULT_TIME_SCALE));
  const { parseFaults } = await import('../sandbox/faults.js');
  const faults: FaultSpec = opts.faults ? parseFaults(opts.faults) : {};
  const seed = rehearsalSeed(opts.seed);
  const file = runbookPath(opts);
  const backendKind = opts.stateBackend ?? 'local';
  if (backendKind !== 'local' && backendKind !== 's3')
    throw new RunbookError('USAGE', `--state-backend is local or s3, not "${backendKind}"`);
  // The routed-records example rehearses against an estate of its own (src/sandbox/estate-routed.ts).
  const { ROUTED_RUNBOOK_NAME } = await import('../sandbox/estate-routed.js');
  if ((await loadRunbook(file).catch(() => undefined))?.name === ROUTED_RUNBOOK_NAME) {
    const { rehearseRouted } = await import('../rehearse/routed.js');
    return rehearseRouted({ file, timeScale, faults, faultsText: opts.faults, seed, json: opts.json, color: opts.color, say });
  }
  const stateDir = await mkdtemp(join(tmpdir(), 'migrate-rehearsal-'));
  const stages: StageResult[] = [];
  const events: EngineEvent[] = [];

  const { startSandbox } = await import('../sandbox/sandbox.js');
  const { snapshotEstate } = await import('../sandbox/estate.js');
  say(c().bold(`Rehearsal of ${file}`));
  say(
    `Starting the sandbox (time scale ${timeScale}: a 1h wait takes ${formatDuration(3_600_000 / timeScale)})${opts.faults ? `, faults: ${opts.faults}` : ''}, seed ${seed} ...`,
  );
  const sandbox = await startSandbox({ timeScale, faults, seed });
  Object.assign(process.env, sandbox.exports);
  // On s3 every command of the rehearsal shares the sandbox's versioned bucket, as a team would.
  const stateUrl = backendKind === 's3' ? `${sandbox.exports.MIGRATE_SANDBOX_STATE_URL}/rehearsal-${Date.now()}` : 'local';
  const base: GlobalOptions & { yes: boolean } = {
    runbook: file,
    env: 'sandbox',
    stateDir,
    state: stateUrl,
    yes: true,
    color: opts.color,
    json: opts.json,
  };
  if (backendKind === 's3') say(`State: ${stateUrl}`);
  const snapshot = (): Promise<EstateSnapshot> => snapshotEstate(sandbox.moto.url, sandbox.ids, { healthUrl: sandbox.health.url });
  const incidents = faults.incidents ?? [];

  const stage = stageRunner(stages, say);

  const { executePhase } = await import('./run.js');
  const { executeRollback } = await import('./rollback.js');
  const timings: Timing[] = [];
  async function phase(name: string, extra: Record<string, unknown> = {}) {
    const run = await executePhase(name, { ...base, ...extra });
    events.push(...run.events);
    for (const e of run.events)
      if (e.kind === 'step-end')
        timings.push({ ref: e.ref, status: e.status, measuredMs: e.durationMs, waitedMs: run.waited.get(e.ref) ?? 0 });
    return run.result;
  }
  async function rollback(id: string) {
    const run = await executeRollback(id, base);
    events.push(...run.events);
    return run.result;
  }
  /** The plan's rollback 4 condition, watched as `migrate watch --auto-rollback` would on the night. */
  async function watchFiresRollback4(): Promise<string> {
    const { openWatchSession } = await import('./watch-session.js');
    const { watchUntil, rolledBackAndHealthy } = await import('../watch/index.js');
    const { plainWatchView } = await import('../output/watch-view.js');
    const view = plainWatchView((line) => say(`  ${line}`));
    const session = await openWatchSession(base, 'rehearse: watch --auto-rollback');
    try {
      const outcome = await watchUntil({
        session,
        autoRollback: true,
        forMs: 3 * 3_600_000,
        until: rolledBackAndHealthy('4', ['reval', 'admins-ui']),
        emit: view.sink,
        rollbackEmit: (event) => {
          events.push(event);
          view.rollbackEmit(event);
        },
      });
      const fired = outcome.fired.find((f) => f.rollback === '4');
      if (outcome.reason !== 'until' || !fired) throw new Error(`the watch ended (${outcome.reason}) without rollback 4 restoring Reval`);
      const waited = formatDuration((fired.startedAt - fired.failingSince) * timeScale);
      return `Reval failing since ${new Date(fired.failingSince).toISOString()}; rollback 4 fired after ${waited} of plan time (chained 3); Reval and Admins-UI healthy again`;
    } finally {
      await session.close();
    }
  }
  const expectOk = (r: { ok: boolean; error?: RunbookError | undefined }, what: string) => {
    if (!r.ok) throw r.error ?? new Error(`${what} failed`);
    return what;
  };

  let baseline: EstateSnapshot | undefined;
  let afterMid: EstateSnapshot | undefined;
  try {
    (await stage('validate', async () => {
      const rb = await loadRunbook(file);
      return `${rb.name}: ${Object.keys(rb.environments).join(', ')}`;
    })) &&
      (await stage('run pre', async () => expectOk(await phase('pre'), 'pre-migration checks hold'))) &&
      (await stage('snapshot the estate before mid', async () => {
        baseline = await snapshot();
        return 'apps.tis.nhs.uk, Reval authorizer, UserManagement policy and variables, health';
      })) &&
      (incidents.includes('reval-down')
        ? (await stage('run mid with Reval down (incident reval-down)', async () => {
            const r = await phase('mid');
            if (r.ok || !r.summary.failed.includes('mid.4'))
              throw new Error(
                `expected mid to stop at mid.4's Reval gate; it ${r.ok ? 'passed' : `failed at ${r.summary.failed.join(', ')}`}`,
              );
            return `mid.4's Reval gate failed as the incident makes it: ${r.error?.message ?? ''}`;
          })) &&
          (await stage('migrate watch --auto-rollback fires rollback 4 after Reval fails for 1h (scaled)', async () => {
            const outcome = await watchFiresRollback4();
            const now = await snapshot();
            const problems = compareEstate(baseline!, now, ['dns', 'reval', 'admins-reval-health']);
            if (problems.length) throw new Error(problems.join('; '));
            return outcome;
          })) &&
          (await stage('incident resolved: mid again', async () => {
            sandbox.proxy.setFaults({ ...faults, incidents: incidents.filter((i) => i !== 'reval-down') });
            expectOk(await phase('mid'), 'mid');
            afterMid = await snapshot();
            return 'mid completed once Reval was fixed';
          }))
        : await stage('run mid', async () => {
            expectOk(await phase('mid'), 'mid');
            afterMid = await snapshot();
            return 'the cutover applied with every gate passing';
          })) &&
      (await stage('rollback 4 (chains rollback 3)', async () => expectOk(await rollback('4'), 'rollback 4 and 3'))) &&
      (await stage('estate back where it was', async () => {
        const problems = compareEstate(baseline!, await snapshot(), ['dns', 'reval', 'health']);
        if (problems.length) throw new Error(problems.join('; '));
        return 'DNS record and Reval authorizer equal the snapshot before mid; health answers too';
      })) &&
      (await stage('run mid again', async () => expectOk(await phase('mid'), 'mid'))) &&
      (await stage('estate equals the first cutover', async () => {
        const problems = compareEstate(afterMid!, await snapshot(), ['dns', 'reval', 'usermanagement', 'health']);
        if (problems.length) throw new Error(problems.join('; '));
        return 'same DNS, authorizer, UserManagement policy and variables as after the first mid';
      })) &&
      (await stage('run post', async () => expectOk(await phase('post'), 'post-migration checks')));

    const backend = await openBackend({
      choice: chooseState(base, undefined),
      envDir: join(stateDir, 'sandbox'),
      runbook: '',
      env: { name: 'sandbox', region: sandbox.exports.AWS_REGION ?? 'eu-west-2' },
      timeScale,
    });
    const state = await backend
      .store()
      .load()
      .catch(() => undefined);
    say();
    say(c().bold('Steps'));
    if (state)
      for (const line of renderTable(summaryRows(events, state) as unknown as Record<string, string>[], [
        'step',
        'status',
        'duration',
        'checkpoint',
      ]))
        say(`  ${line}`);
    say();
    say(c().bold('Rehearsal'));
    for (const s of stages) say(`  ${(s.ok ? c().green : c().red)(stageLine(s))}`);
    const ok = stages.length > 0 && stages.every((s) => s.ok) && stages[stages.length - 1]!.name === 'run post';
    const evidence = await recordEvidence(opts, file, timings, ok, timeScale).catch(
      (error: unknown) => `could not record the rehearsal's timings: ${messageOf(error)}`,
    );
    say();
    say(c().dim(evidence));
    say(ok ? c().green.bold('Rehearsal passed: every gate held.') : c().red.bold('Rehearsal FAILED: see the first FAIL above.'));
    if (opts.json) {
      const finalEstate = normalizeSnapshot(await snapshot(), sandbox.ids as unknown as Record<string, string>);
      const steps = state ? summaryRows(events, state) : [];
      process.stdout.write(
        `${JSON.stringify({ ok, timeScale, faults: opts.faults ?? null, seed, stages, steps, finalEstate, requests: sandbox.proxy.requests.length, injected: sandbox.proxy.requests.filter((r) => r.injected).length }, null, 2)}\n`,
      );
    }
    if (sandbox.proxy.requests.some((r) => r.injected))
      say(
        `Faults injected at the proxy: ${sandbox.proxy.requests.filter((r) => r.injected).length} of ${sandbox.proxy.requests.length} AWS requests (seed ${seed}; repeat with --seed ${seed}).`,
      );

    if (opts.keep) {
      say();
      say('--keep: the sandbox stays up. In another shell:');
      for (const [name, value] of Object.entries(sandbox.exports)) say(`export ${name}=${shellQuote(value)}`);
      say(backendKind === 's3' ? `export MIGRATE_STATE=${shellQuote(base.state!)}` : `export MIGRATE_STATE_DIR=${shellQuote(stateDir)}`);
      say('# ready (Ctrl-C stops the sandbox)');
      await new Promise<void>((done) => {
        process.once('SIGINT', () => done());
        process.once('SIGTERM', () => done());
      });
    }
    return ok ? 0 : 1;
  } finally {
    await sandbox.stop();
    if (!opts.keep) await rm(stateDir, { recursive: true, force: true });
  }
}
