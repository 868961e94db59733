import { profileOf } from '../aws/config.js';
import { PHASES } from '../runbook/constants.js';
import { isUnfinished } from '../steps/types.js';
import { FileStateStore } from '../state/file-store.js';
import { lastCaller } from '../state/audit-tail.js';
import { readLock } from '../state/lock.js';
import { c } from '../output/style.js';
import { timeScaleFromEnv } from '../engine/clock.js';
import { formatDuration } from '../util/duration.js';
import { triggerReport, type TriggerReport } from '../watch/report.js';
import { WatchStore } from '../watch/store.js';
import { locateEnvironment } from './locate.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';
import { globalFlags, runResume, shellWord } from './resume.js';

export interface StatusRow {
  ref: string;
  phase: string;
  id: string;
  title: string;
  type: string;
  status: string;
  at: string | null;
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
  const state = await new FileStateStore(loaded.envDir, loaded.runbook.name, loaded.env.name).load();
  const lock = await readLock(loaded.envDir);
  const triggers = triggerReport(loaded.runbook, loaded.env.name, await new WatchStore(loaded.envDir).load(), state.steps, Date.now(), timeScaleFromEnv());
  const profile = profileOf(loaded.env);
  const caller = await lastCaller(loaded.envDir);
  const steps: StatusRow[] = [];
  for (const phase of PHASES) {
    for (const step of loaded.runbook.phases[phase]) {
      const cp = state.steps[step.ref];
      const row: StatusRow = { ref: step.ref, phase, id: step.id, title: step.title, type: step.type, status: cp?.status ?? 'pending', at: cp?.at ?? null };
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
    steps.push({ ref: `rollback.${entry.id}`, phase: 'rollback', id: entry.id, title: entry.title, type: 'rollback', status: rec?.status ?? 'pending', at: rec?.at ?? null });
  }
  const lockDoc = lock.held ? (lock.info ? { ...lock.info, stale: lock.stale } : { unreadable: true }) : null;
  if (opts.json) {
    printJson({
      runbook: loaded.runbook.name,
      env: loaded.env.name,
      profile: profile.source === 'default' ? null : profile.name,
      lastCaller: caller ?? null,
      lock: lockDoc,
      steps,
      watch: triggers.watch,
      triggers: triggers.rows.map((t) => ({ rollback: t.rollback, check: t.check, ok: t.ok, failingSince: t.failingSince, dueInMs: t.dueInMs, state: t.state, firedAt: t.firedAt, armed: t.armed })),
    });
    return 0;
  }
  const k = c();
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(k.bold(`${loaded.runbook.name} · env ${loaded.env.name} (${loaded.env.account}, ${loaded.env.region})${loaded.env.protected ? ' · protected' : ''}${profile.source === 'default' ? '' : ` · profile ${profile.name}`}`));
  if (caller) out(k.dim(`last AWS caller: ${caller.identity} (${caller.command}, ${caller.time})`));
  if (lock.held && lock.info) out(k.yellow(`locked by pid ${lock.info.pid} on ${lock.info.host} since ${lock.info.since} (${lock.info.command})${lock.stale ? ' — STALE: that process is gone; release with "migrate unlock"' : ''}`));
  const width = Math.max(...steps.map((s) => s.ref.length), 4);
  let phase = '';
  for (const row of steps) {
    if (row.phase !== phase) {
      phase = row.phase;
      out();
      out(k.bold(phase));
    }
    const colour = row.status === 'failed' ? k.red : row.status === 'applied' || row.status === 'noop' ? k.green : row.status === 'rolled-back' ? k.cyan : row.status === 'pending' ? k.dim : k.yellow;
    out(`  ${row.ref.padEnd(width)}  ${colour(row.status.padEnd(11))}  ${row.title}${row.at && row.status !== 'pending' ? k.dim(`  ${row.at}`) : ''}`);
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
    out(k.yellow(`${row.ref} was ${row.status === 'interrupted' ? 'interrupted' : 'stopped'} in the middle of its change, which may or may not have taken effect.`));
    out(`  to resume (reconciles it from live state, then goes on): ${k.bold(row.resume!)}`);
  }
  printTriggers(triggers, out);
  return 0;
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
    const state = row.ok === null ? k.dim('not seen') : row.ok ? k.green('ok') : k.red(`FAILING since ${row.failingSince}`);
    let when: string;
    if (row.state === 'fired') when = k.cyan(`fired at ${row.firedAt}`);
    else if (row.state === 'no-watch') when = k.dim('no watch running');
    else if (!row.armed && row.ok === false) when = k.dim('nothing to undo, will not fire');
    else if (row.state === 'due') when = k.red.bold('due now');
    else if (row.dueInMs !== null) when = k.yellow(`due in ${formatDuration(row.dueInMs * scale)}${scale !== 1 ? ` (${formatDuration(row.dueInMs)} real)` : ''}`);
    else when = k.dim(`after ${formatDuration(row.failingForMs)} failing`);
    out(`  ${`rollback.${row.rollback}`.padEnd(width)}  ${row.check.padEnd(checkWidth)}  ${state}  ${when}`);
  }
}
