import { c } from '../output/style.js';
import { LABEL, sourceWord } from '../output/plain.js';
import { formatDuration } from '../util/duration.js';
import type { PlanFile } from './file.js';

const MARK = { change: '~', noop: '=', 'would-fail': '✘' } as const;
const STATUS = { change: 'would-change', noop: 'noop', 'would-fail': 'would-fail' } as const;

/** A saved plan in the words and marks `migrate plan` prints, with its provenance and timing. */
export function planLines(plan: PlanFile, digest: string, options: { file?: string | undefined; now?: number } = {}): string[] {
  const k = c();
  const out: string[] = [];
  out.push(
    k.bold(
      `plan ${plan.phase} · env ${plan.env.name} · ${plan.steps.length} step${plan.steps.length === 1 ? '' : 's'} · SAVED PLAN${options.file ? ` ${options.file}` : ''}`,
    ),
  );
  out.push(k.dim(`  digest ${digest}`));
  out.push(
    k.dim(
      `  runbook ${plan.runbook.name} (${plan.runbook.file}, sha256 ${plan.runbook.digest.slice(0, 12)}) · account ${plan.env.account} ${plan.env.region}`,
    ),
  );
  out.push(k.dim(`  planned by ${plan.author.user}${plan.author.identity ? ` as ${plan.author.identity}` : ''} at ${plan.createdAt}`));
  for (const s of plan.steps) {
    out.push(`${k.cyan('▸')} ${s.ref}  ${s.title}${k.dim(`  [${s.type}]`)}`);
    if (s.outcome === 'change') {
      out.push(`    ${s.summary}${k.dim(sourceWord(s))}`);
      for (const line of s.diff) out.push(k.dim(`      ${line}`));
    }
    const colour = s.outcome === 'would-fail' ? k.red : k.green;
    const expected = s.expectedMs !== undefined ? k.dim(` (expected ${formatDuration(s.expectedMs)})`) : '';
    out.push(
      `  ${colour(`${MARK[s.outcome]} ${s.ref} ${LABEL[STATUS[s.outcome]] ?? STATUS[s.outcome]}`)}${expected}${s.outcome === 'would-fail' ? `: ${s.error ?? s.summary}` : ''}`,
    );
  }
  const changes = plan.steps.filter((s) => s.outcome === 'change').length;
  const same = plan.steps.filter((s) => s.outcome === 'noop').length;
  const failing = plan.steps.filter((s) => s.outcome === 'would-fail').length;
  const parts = [same && `${same} unchanged`, changes && `${changes} would change`, failing && `${failing} failed`].filter(Boolean);
  out.push((failing ? k.red : k.green)(`${failing ? 'FAILED' : 'done'}: ${parts.join(', ') || 'nothing to do'}`));
  out.push(...timingLines(plan, options.now ?? Date.now()));
  return out;
}

/** Expected duration from the last rehearsal, and whether that rehearsal was of this runbook. */
export function timingLines(plan: Pick<PlanFile, 'rehearsal' | 'timing'>, now: number): string[] {
  const k = c();
  const r = plan.rehearsal;
  if (!r) return [k.dim('no rehearsal recorded for this runbook ("migrate rehearse" records per-step timings for plans)')];
  const out: string[] = [];
  const rehearsed = `last rehearsal ${r.ok ? 'passed' : 'FAILED'} at ${r.at} (time scale ${r.timeScale})`;
  if (!r.current) out.push(k.yellow(`! the runbook changed since the ${rehearsed}: rehearse again before the change`));
  else out.push(k.dim(`${rehearsed}, of this runbook byte for byte`));
  if (plan.timing) {
    const unknown = plan.timing.unknown.length ? `; not rehearsed: ${plan.timing.unknown.join(', ')}` : '';
    out.push(
      `expected duration ${formatDuration(plan.timing.totalMs)} (waits at their real length, calls as rehearsed; prompts not counted): if started now, finishes about ${new Date(now + plan.timing.totalMs).toISOString().slice(11, 16)} UTC${unknown}`,
    );
  }
  return out;
}
