import { formatDuration } from '../util/duration.js';
import type { ChangeRecord, GateResult } from './model.js';

/** Markdown cells: a pipe or a line break would break the table a ticket renders. */
function cell(text: string | null | undefined): string {
  return (text ?? '').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').trim() || '—';
}

export function gateText(gates: GateResult[]): string {
  return gates.map((g) => `${g.name} ${g.ok === true ? 'passed' : g.ok === false ? 'FAILED' : 'not run'}`).join(', ');
}

function table(header: string[], rows: string[][]): string[] {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

/** The record as Markdown that pastes into a change ticket. */
export function renderMarkdown(r: ChangeRecord): string {
  const out: string[] = [];
  out.push(`# Change record: ${r.runbook.name} · ${r.env.name}`, '');
  out.push(`- Environment: **${r.env.name}** (account ${r.env.account}, ${r.env.region})`);
  out.push(`- Runbook: \`${r.runbook.file}\` (sha256 ${r.runbook.digest.slice(0, 12)})`);
  out.push(`- Period: ${r.from ?? '—'} to ${r.to ?? '—'}`);
  out.push(`- Generated: ${r.generatedAt}`, '');

  out.push('## Plans and approvals', '');
  if (r.plans.length === 0 && r.approvals.length === 0) out.push('No saved plan and no approval recorded.', '');
  else {
    out.push(
      ...table(
        ['saved', 'by', 'phase', 'plan digest', 'steps', 'approvals'],
        r.plans.map((p) => {
          const given = r.approvals.filter((a) => a.planDigest === p.digest);
          return [
            p.time,
            p.by,
            p.phase,
            p.digest.slice(0, 12),
            p.steps.join(' '),
            given.map((a) => `${a.by} at ${a.time}${a.comment ? `: "${a.comment}"` : ''}`).join('; ') || 'none',
          ];
        }),
      ),
      '',
    );
    const orphan = r.approvals.filter((a) => !r.plans.some((p) => p.digest === a.planDigest));
    if (orphan.length)
      out.push(
        ...table(
          ['approved', 'by', 'plan digest', 'comment'],
          orphan.map((a) => [a.time, a.by, a.planDigest.slice(0, 12), a.comment]),
        ),
        '',
      );
  }

  if (r.planChecks.length)
    out.push(
      'Plan checks:',
      '',
      ...table(
        ['time', 'event', 'subject', 'result', 'detail'],
        r.planChecks.map((a) => [a.time, a.event, a.subject, a.result, a.detail]),
      ),
      '',
    );

  out.push('## Timeline', '');
  if (r.runs.length === 0) out.push('Nothing has run in this environment yet.', '');
  for (const run of r.runs) {
    const took = run.end ? formatDuration(Date.parse(run.end) - Date.parse(run.start)) : 'did not finish';
    out.push(`### ${run.kind === 'rollback' ? 'Rollback' : 'Run'}: ${run.label}`, '');
    out.push(`${run.start} · ${took} · ${run.by} · result **${run.result}**${run.detail ? ` (${cell(run.detail)})` : ''}`, '');
    if (run.steps.length) {
      out.push(
        ...table(
          ['step', 'title', 'started', 'took', 'result', 'change (before → after)', 'gates'],
          run.steps.map((s) => [
            `${s.undo ? '↺ ' : ''}${s.ref}`,
            s.title,
            s.start,
            formatDuration(s.durationMs),
            s.result,
            s.change ?? (s.result === 'failed' ? s.detail : '') ?? '',
            gateText(s.gates),
          ]),
        ),
        '',
      );
    }
  }

  out.push('## Manual confirmations', '');
  if (r.manual.length === 0) out.push('None.', '');
  else
    out.push(
      ...table(
        ['step', 'instruction', 'confirmed by', 'at'],
        r.manual.map((m) => [m.ref, m.title, m.by, m.at]),
      ),
      '',
    );

  out.push('## Skips', '');
  if (r.skips.length === 0) out.push('None.', '');
  else
    out.push(
      ...table(
        ['step', 'what', 'by', 'at'],
        r.skips.map((s) => [s.ref, s.undo ? 'undo skipped' : 'apply skipped', s.by, s.time]),
      ),
      '',
    );

  out.push('## Rollbacks', '');
  if (r.rollbacks.length === 0) out.push('None.', '');
  for (const rb of r.rollbacks) {
    out.push(`- **${rb.label}** at ${rb.start} by ${rb.by}: ${rb.result}`);
    for (const s of rb.restored)
      out.push(
        `  - ${s.ref} (${s.title}): ${s.result}${s.restored.length ? `; restored ${s.restored.map((l) => `\`${l}\``).join(', ')}` : ''}`,
      );
  }
  out.push('');

  out.push('## Watch alerts', '');
  if (r.alerts.length === 0) out.push('None.', '');
  else
    out.push(
      ...table(
        ['time', 'event', 'subject', 'result', 'detail'],
        r.alerts.map((a) => [a.time, a.event, a.subject, a.result, a.detail]),
      ),
      '',
    );

  out.push('## Users synced', '');
  if (r.users.length === 0) out.push('None.', '');
  else
    out.push(
      ...table(
        ['time', 'by', 'command', 'outcome'],
        r.users.map((u) => [u.time, u.by, u.command, u.summary]),
      ),
      '',
    );

  out.push('## Final state of every step', '');
  out.push(
    ...table(
      ['step', 'title', 'status', 'at', 'last change'],
      r.steps.map((s) => [s.ref, s.title, s.status, s.at ?? '', s.change.join('; ')]),
    ),
    '',
  );
  return `${out.join('\n')}\n`;
}
