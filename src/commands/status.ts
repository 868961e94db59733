import { profileOf } from '../aws/config.js';
import { PHASES } from '../runbook/constants.js';
import { openBackend, type BackendStatus } from '../state/backend.js';
import { isUnfinished } from '../steps/types.js';
import { lastCaller } from '../state/audit-tail.js';
import { c } from '../output/style.js';
import { timeScaleFromEnv } from '../engine/clock.js';
import { formatDuration } from '../util/duration.js';
import { triggerReport, type TriggerReport } from '../watch/report.js';
import { WatchStore } from '../watch/store.js';
import { describeCost, overCost, rollbackCost, sinceTime, type RollbackCost } from '../rollback/cost.js';
import { locateEnvironment } from './locate.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';
import { planStatuses, type PlanStatus } from '../plan/approvals.js';
import { globalFlags, runResume, shellWord } from './resume.js';

export interface StatusRow {
  ref: string;
  phase: string;
  id: string;
  title: string;
  type: string;
  status: string;
  at: string | null;
  /** Rollback entries only: what running it would strand now (null where the runbook declares no cost). */
  cost?: RollbackCost | null;
  /** For a step stopped mid-change: the command that reconciles it from live state and goes on. */
  resume?: string;
}

/** The command that goes on from an unfinished step, with the flags this status was given, as a resume line has them. */
function resumeFor(opts: GlobalOptions, envName: string, envCount: number, phase: string, id: string, rollback?: string): string {
  const flags = globalFlags(opts, envName, envCount);
  return rollback === undefined ? runResume(phase, flags, {}, id) : `migrate rollback ${shellWord(rollback)}${flags}`;
}

export async function statusCommand(opts: GlobalOptions): Promise<number> {
  const loaded = await locateEnvironment(opts);
  const backend = await openBackend({
    choice: loaded.stateChoice,
    envDir: loaded.envDir,
    runbook: loaded.runbook.name,
    env: loaded.env,
    timeScale: timeScaleFromEnv(),
  });
  const [state, lock, watchFile, where] = await Promise.all([
    backend.store().load(),
    backend.readLock(),
    new WatchStore(backend.documents).load(),
    backend.status(),
  ]);
  const triggers = triggerReport(loaded.runbook, loaded.env.name, watchFile, state.steps, Date.now(), timeScaleFromEnv(), state.rollbacks);
  // Counted only where a cost is declared and its step is in effect: until then status makes no AWS
  // call and loads neither the validator nor the whole runbook (needed for the pool's variables).
  const costs = loaded.runbook.rollback.some((r) => r.cost && sinceTime(state.steps, r.cost.since) !== null)
    ? await (await import('./cost.js')).rollbackCosts(
        (await (await import('./context.js')).loadEnvironment(opts)).runbook,
        loaded.env,
        state.steps,
      )
    : Object.fromEntries(
        await Promise.all(
          loaded.runbook.rollback.map(async (r) => [
            r.id,
            r.cost ? await rollbackCost(r.cost, { steps: state.steps, users: async () => [] }) : null,
          ]),
        ),
      );
  const profile = profileOf(loaded.env);
  // The last AWS identity the audit saw (status itself asks AWS nothing); read from the local log's tail.
  const caller = backend.kind === 'local' ? await lastCaller(loaded.envDir) : undefined;
  const steps: StatusRow[] = [];
  for (const phase of PHASES) {
    for (const step of loaded.runbook.phases[phase]) {
      const cp = state.steps[step.ref];
      const row: StatusRow = {
        ref: step.ref,
        phase,
        id: step.id,
        title: step.title,
        type: step.type,
        status: cp?.status ?? 'pending',
        at: cp?.at ?? null,
      };
      const envCount = Object.keys(loaded.runbook.environments).length;
      if (isUnfinished(cp?.status)) row.resume = resumeFor(opts, loaded.env.name, envCount, phase, step.id);
      // An undo stopped half-way: the rollback that undoes this step finishes it when run again.
      const undoneBy = cp?.status === 'undoing' ? loaded.runbook.rollback.find((r) => r.undo.includes(step.ref)) : undefined;
      if (undoneBy) row.resume = resumeFor(opts, loaded.env.name, envCount, phase, step.id, undoneBy.id);
      steps.push(row);
    }
  }
  for (const entry of loaded.runbook.rollback) {
    const rec = state.rollbacks[entry.id];
    steps.push({
      ref: `rollback.${entry.id}`,
      phase: 'rollback',
      id: entry.id,
      title: entry.title,
      type: 'rollback',
      status: rec?.status ?? 'pending',
      at: rec?.at ?? null,
      cost: costs[entry.id] ?? null,
    });
  }
  const required = loaded.runbook.environments[loaded.env.name]?.approvals?.required ?? 0;
  const plans = planStatuses(await backend.readAudit(), required);
  const lockDoc = lock.held ? (lock.info ? { ...lock.info, stale: lock.stale } : { unreadable: true }) : null;
  if (opts.json) {
    printJson({
      runbook: loaded.runbook.name,
      env: loaded.env.name,
      profile: profile.source === 'default' ? null : profile.name,
      lastCaller: caller ?? null,
      lock: lockDoc,
      backend: where,
      steps,
      watch: triggers.watch,
      triggers: triggers.rows.map((t) => ({
        rollback: t.rollback,
        check: t.check,
        ok: t.ok,
        failingSince: t.failingSince,
        dueInMs: t.dueInMs,
        state: t.state,
        firedAt: t.firedAt,
        armed: t.armed,
        rolledBackAt: t.rolledBackAt,
      })),
      approvals: { required, plans },
    });
    return 0;
  }
  const k = c();
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(
    k.bold(
      `${loaded.runbook.name} · env ${loaded.env.name} (${loaded.env.account}, ${loaded.env.region})${loaded.env.protected ? ' · protected' : ''}${profile.source === 'default' ? '' : ` · profile ${profile.name}`}`,
    ),
  );
  if (caller) out(k.dim(`last AWS caller: ${caller.identity} (${caller.command}, ${caller.time})`));
  printBackend(where, out);
  if (lock.held && !lock.info)
    out(
      k.yellow(
        `locked by a lock file that cannot be read (${lock.unreadable}); if no migrate is running, remove it with "migrate unlock --force"`,
      ),
    );
  if (lock.held && lock.info && where.kind === 'local')
    out(
      k.yellow(
        `locked by pid ${lock.info.pid} on ${lock.info.host} since ${lock.info.since} (${lock.info.command})${lock.stale ? ' — STALE: that process is gone; release with "migrate unlock"' : ''}`,
      ),
    );
  if (lock.held && lock.info && where.kind === 's3') {
    const expires = (lock.info as { expires?: string }).expires;
    out(
      k.yellow(
        `locked by ${backend.describeHolder(lock.info)}${lock.stale ? ` — STALE: its lease ran out at ${expires}; check for a half-done step, then release it with "migrate unlock"` : `, lease renewed until ${expires}`}`,
      ),
    );
  }
  const width = Math.max(...steps.map((s) => s.ref.length), 4);
  let phase = '';
  for (const row of steps) {
    if (row.phase !== phase) {
      phase = row.phase;
      out();
      out(k.bold(phase));
    }
    const colour =
      row.status === 'failed'
        ? k.red
        : row.status === 'applied' || row.status === 'noop'
          ? k.green
          : row.status === 'rolled-back'
            ? k.cyan
            : row.status === 'pending'
              ? k.dim
              : k.yellow;
    out(
      `  ${row.ref.padEnd(width)}  ${colour(row.status.padEnd(11))}  ${row.title}${row.at && row.status !== 'pending' ? k.dim(`  ${row.at}`) : ''}`,
    );
    if (row.cost) {
      const max = loaded.runbook.rollback.find((r) => r.id === row.id)?.maxCost;
      const over = overCost(row.cost, max);
      out(
        `  ${' '.repeat(width)}  ${' '.repeat(11)}  ${(over ? k.red : k.yellow)(`${describeCost(row.id, row.cost)}${max !== undefined ? ` (point of no return: ${max}${over ? ', PASSED' : ''})` : ''}`)}`,
      );
    }
  }
  const unfinished = steps.filter((row) => row.resume);
  if (unfinished.length > 0) out();
  for (const row of unfinished) {
    // "applying" after a crash or kill -9, "interrupted" after a signal: the same way on.
    if (row.status === 'undoing') {
      out(k.yellow(`${row.ref} was being undone when its rollback stopped; the undo may or may not have taken effect.`));
      out(`  to finish the rollback (checks live state first): ${k.bold(row.resume!)}`);
      continue;
    }
    out(
      k.yellow(
        `${row.ref} was ${row.status === 'interrupted' ? 'interrupted' : 'stopped'} in the middle of its change, which may or may not have taken effect.`,
      ),
    );
    out(`  to resume (reconciles it from live state, then goes on): ${k.bold(row.resume!)}`);
  }
  printTriggers(triggers, out);
  printPlans(plans, required, out);
  return 0;
}

/** Which backend this status was read from; versioning is recommended for a shared bucket. */
function printBackend(where: BackendStatus, out: (line?: string) => void): void {
  const k = c();
  if (where.kind === 'local') {
    out(k.dim(`state: local ${where.dir}`));
    return;
  }
  out(
    k.dim(
      `state: S3 bucket ${where.bucket}, prefix ${where.prefix || '(none)'} (${where.url}, from ${where.source}; ${where.encryption}; versioning ${where.versioning})`,
    ),
  );
  if (where.versioning !== 'Enabled') {
    out(
      k.yellow(
        `  versioning is ${where.versioning === 'unknown' ? 'unknown (no s3:GetBucketVersioning)' : where.versioning.toLowerCase()} on ${where.bucket}: turn it on (aws s3api put-bucket-versioning --bucket ${where.bucket} --versioning-configuration Status=Enabled) so every checkpoint can be recovered`,
      ),
    );
  }
}

/** Saved plans and their approvals: what a change board has (or has not yet) signed off. */
function printPlans(plans: PlanStatus[], required: number, out: (line?: string) => void): void {
  if (plans.length === 0 && required === 0) return;
  const k = c();
  out();
  out(
    `${k.bold('saved plans')}  ${k.dim(required ? `run needs ${required} approval${required === 1 ? '' : 's'} of a saved plan` : 'no approval required')}`,
  );
  if (plans.length === 0) out(k.dim('  none yet ("migrate plan <phase> --out FILE")'));
  for (const p of plans) {
    const state =
      p.state === 'applied'
        ? k.cyan('applied')
        : p.state === 'approved'
          ? k.green('approved')
          : k.yellow(`pending approval (${new Set(p.approvals.map((a) => a.identity)).size} of ${p.required})`);
    out(`  ${p.phase.padEnd(4)}  ${p.digest.slice(0, 12)}  ${state}  ${k.dim(`planned by ${p.by} at ${p.at} · ${p.file}`)}`);
    for (const a of p.approvals)
      out(`        ${k.green('✔')} approved by ${a.identity} at ${a.time}${a.comment ? `: "${a.comment}"` : ''}`);
  }
}

/** Each triggered rollback: its check as the watch last saw it, and when it fires. */
function printTriggers(report: TriggerReport, out: (line?: string) => void): void {
  if (report.rows.length === 0) return;
  const k = c();
  const w = report.watch;
  out();
  const who = w?.running
    ? `watch running: pid ${w.pid} on ${w.host} since ${w.since}${w.autoRollback ? ', auto-rollback' : ', alerts only'}${w.timeScale !== 1 ? `, time scale ${w.timeScale}` : ''}`
    : w
      ? `no watch running (the last one ${w.stoppedAt ? `stopped at ${w.stoppedAt}` : `was last seen at ${w.heartbeat}`})`
      : 'no watch running ("migrate watch" acts on them)';
  out(`${k.bold('triggers')}  ${k.dim(who)}`);
  if (report.problem) out(k.yellow(`  ! ${report.problem}`));
  const scale = w?.timeScale ?? 1;
  const width = Math.max(...report.rows.map((r) => `rollback.${r.rollback}`.length));
  const checkWidth = Math.max(...report.rows.map((r) => r.check.length));
  for (const row of report.rows) {
    const state =
      row.state === 'inactive'
        ? k.dim('not active')
        : row.ok === null
          ? k.dim('not seen')
          : row.ok
            ? k.green('ok')
            : k.red(`FAILING since ${row.failingSince}`);
    let when: string;
    if (row.state === 'fired') when = k.cyan(`fired at ${row.firedAt}`);
    else if (row.state === 'rolled-back') when = k.cyan(`rolled back at ${row.rolledBackAt}; nothing left to undo`);
    else if (row.state === 'inactive') when = k.dim('not active (outside its activeAfter..activeUntil window)');
    else if (row.state === 'inconclusive') when = k.yellow('INCONCLUSIVE: too many probe errors; a person must judge (no auto-rollback)');
    else if (row.state === 'no-watch') when = k.dim('no watch running');
    else if (!row.armed && row.ok === false) when = k.dim('nothing to undo, will not fire');
    else if (row.state === 'due') when = k.red.bold('due now');
    else if (row.dueInMs !== null)
      when = k.yellow(`due in ${formatDuration(row.dueInMs * scale)}${scale !== 1 ? ` (${formatDuration(row.dueInMs)} real)` : ''}`);
    else when = k.dim(`after ${formatDuration(row.failingForMs)} failing`);
    out(`  ${`rollback.${row.rollback}`.padEnd(width)}  ${row.check.padEnd(checkWidth)}  ${state}  ${when}`);
  }
}
