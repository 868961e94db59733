import { PHASES } from '../runbook/schema.js';
import { FileStateStore } from '../state/file-store.js';
import { readLock } from '../state/lock.js';
import { c } from '../output/style.js';
import { loadEnvironment } from './context.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';

export interface StatusRow {
  ref: string;
  phase: string;
  id: string;
  title: string;
  type: string;
  status: string;
  at: string | null;
}

export async function statusCommand(opts: GlobalOptions): Promise<number> {
  const loaded = await loadEnvironment(opts);
  const state = await new FileStateStore(loaded.envDir, loaded.runbook.name, loaded.env.name).load();
  const lock = await readLock(loaded.envDir);
  const steps: StatusRow[] = [];
  for (const phase of PHASES) {
    for (const step of loaded.runbook.phases[phase]) {
      const cp = state.steps[step.ref];
      steps.push({ ref: step.ref, phase, id: step.id, title: step.title, type: step.type, status: cp?.status ?? 'pending', at: cp?.at ?? null });
    }
  }
  for (const entry of loaded.runbook.rollback) {
    const rec = state.rollbacks[entry.id];
    steps.push({ ref: `rollback.${entry.id}`, phase: 'rollback', id: entry.id, title: entry.title, type: 'rollback', status: rec?.status ?? 'pending', at: rec?.at ?? null });
  }
  const lockDoc = lock.held ? (lock.info ? { ...lock.info, stale: lock.stale } : { unreadable: true }) : null;
  if (opts.json) {
    printJson({ runbook: loaded.runbook.name, env: loaded.env.name, lock: lockDoc, steps });
    return 0;
  }
  const k = c();
  const out = (line = '') => process.stdout.write(`${line}\n`);
  out(k.bold(`${loaded.runbook.name} · env ${loaded.env.name} (${loaded.env.account}, ${loaded.env.region})${loaded.env.protected ? ' · protected' : ''}`));
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
  return 0;
}
