import { formatDuration } from '../util/duration.js';
import { gateText } from './markdown.js';
import type { ChangeRecord } from './model.js';
import { timelineSvg } from './timeline.js';

const esc = (text: string | null | undefined) =>
  (text ?? '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function table(header: string[], rows: string[][], cls = ''): string {
  return `<table${cls ? ` class="${cls}"` : ''}><thead><tr>${header.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

/**
 * One self-contained page: no script, no font, no image, nothing fetched (a Content-Security-Policy
 * forbids it), so it can be attached to a change ticket, opened offline and printed.
 */
const STYLE = `
:root { --run: #2f6fb3; --rollback: #d9822b; --bad: #c23030; --skip: #a7a7a7; --same: #8fb8de; --ink: #1d1d1d; --dim: #666; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); margin: 24px auto; max-width: 1040px; padding: 0 16px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; } h3 { font-size: 15px; margin: 18px 0 6px; }
.meta { color: var(--dim); margin: 0; }
code, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 12px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 12.5px; }
th, td { text-align: left; vertical-align: top; border-bottom: 1px solid #e4e4e4; padding: 3px 6px; }
th { background: #f4f4f4; }
.ok { color: #1d7a34; } .bad { color: var(--bad); font-weight: 600; } .rb { color: #a85a10; }
.timeline { max-width: 100%; height: auto; font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; }
.timeline .label { font-size: 11px; fill: var(--ink); } .timeline .head { font-weight: 700; }
.timeline .note, .timeline .axis { font-size: 10px; fill: var(--dim); }
.timeline .band { fill: #f3f6fa; } .timeline .rule { stroke: #bbb; } .timeline .break { fill: #fff; stroke: #bbb; stroke-dasharray: 3 3; }
.legend span { display: inline-block; margin-right: 14px; font-size: 12px; } .legend i { display: inline-block; width: 12px; height: 8px; margin-right: 4px; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; } tr, .timeline { break-inside: avoid; }
  a { color: inherit; text-decoration: none; }
  @page { size: A4 landscape; margin: 12mm; }
}
`;

export function renderHtml(r: ChangeRecord): string {
  const k = (result: string) =>
    ['failed', 'drift', 'interrupted', 'aborted'].includes(result)
      ? 'bad'
      : ['rolled-back', 'already-undone'].includes(result)
        ? 'rb'
        : 'ok';
  const body: string[] = [];
  body.push(`<h1>Change record: ${esc(r.runbook.name)} · ${esc(r.env.name)}</h1>`);
  body.push(
    `<p class="meta">Environment <b>${esc(r.env.name)}</b> (account ${esc(r.env.account)}, ${esc(r.env.region)}) · runbook <code>${esc(r.runbook.file)}</code> (sha256 <code>${esc(r.runbook.digest.slice(0, 12))}</code>)</p>`,
  );
  body.push(`<p class="meta">From ${esc(r.from ?? '—')} to ${esc(r.to ?? '—')} · generated ${esc(r.generatedAt)}</p>`);

  body.push('<h2>Timeline</h2>');
  body.push(
    '<p class="legend"><span><i style="background:var(--run)"></i>applied</span><span><i style="background:var(--same)"></i>no change needed</span><span><i style="background:var(--rollback)"></i>rollback / undo</span><span><i style="background:var(--skip)"></i>skipped</span><span><i style="background:var(--bad)"></i>failed</span></p>',
  );
  body.push(r.runs.length ? timelineSvg(r) : '<p>Nothing has run in this environment yet.</p>');

  body.push('<h2>Plans and approvals</h2>');
  if (r.plans.length === 0 && r.approvals.length === 0) body.push('<p>No saved plan and no approval recorded.</p>');
  else
    body.push(
      table(
        ['saved', 'by', 'phase', 'plan digest', 'steps', 'approvals'],
        r.plans.map((p) => {
          const given = r.approvals.filter((a) => a.planDigest === p.digest);
          return [
            esc(p.time),
            esc(p.by),
            esc(p.phase),
            `<code>${esc(p.digest.slice(0, 12))}</code>`,
            esc(p.steps.join(' ')),
            given.map((a) => `${esc(a.by)} at ${esc(a.time)}${a.comment ? `: “${esc(a.comment)}”` : ''}`).join('<br>') || 'none',
          ];
        }),
      ),
    );

  if (r.planChecks.length)
    body.push(
      '<h3>Plan checks</h3>',
      table(
        ['time', 'event', 'subject', 'result', 'detail'],
        r.planChecks.map((a) => [esc(a.time), esc(a.event), esc(a.subject), esc(a.result), esc(a.detail)]),
      ),
    );

  body.push('<h2>Steps, run by run</h2>');
  for (const run of r.runs) {
    const took = run.end ? formatDuration(Date.parse(run.end) - Date.parse(run.start)) : 'did not finish';
    body.push(`<h3>${run.kind === 'rollback' ? 'Rollback' : 'Run'}: ${esc(run.label)}</h3>`);
    body.push(
      `<p class="meta">${esc(run.start)} · ${esc(took)} · ${esc(run.by)} · <span class="${k(run.result)}">${esc(run.result)}</span>${run.detail ? ` · ${esc(run.detail)}` : ''}</p>`,
    );
    if (run.steps.length)
      body.push(
        table(
          ['step', 'title', 'started', 'took', 'result', 'change (before → after)', 'gates'],
          run.steps.map((s) => [
            `<span class="mono">${s.undo ? '↺ ' : ''}${esc(s.ref)}</span>`,
            esc(s.title),
            esc(s.start.slice(11, 23)),
            esc(formatDuration(s.durationMs)),
            `<span class="${k(s.result)}">${esc(s.result)}</span>`,
            esc(s.change ?? (s.result === 'failed' ? s.detail : '') ?? ''),
            esc(gateText(s.gates)),
          ]),
        ),
      );
  }

  body.push('<h2>Manual confirmations</h2>');
  body.push(
    r.manual.length
      ? table(
          ['step', 'instruction', 'confirmed by', 'at'],
          r.manual.map((m) => [esc(m.ref), esc(m.title), esc(m.by), esc(m.at)]),
        )
      : '<p>None.</p>',
  );
  body.push('<h2>Skips</h2>');
  body.push(
    r.skips.length
      ? table(
          ['step', 'what', 'by', 'at'],
          r.skips.map((s) => [esc(s.ref), s.undo ? 'undo skipped' : 'apply skipped', esc(s.by), esc(s.time)]),
        )
      : '<p>None.</p>',
  );
  body.push('<h2>Rollbacks</h2>');
  if (r.rollbacks.length === 0) body.push('<p>None.</p>');
  for (const rb of r.rollbacks) {
    body.push(
      `<h3>${esc(rb.label)}</h3><p class="meta">${esc(rb.start)} · ${esc(rb.by)} · <span class="${k(rb.result)}">${esc(rb.result)}</span></p>`,
    );
    body.push(
      table(
        ['step', 'title', 'result', 'restored'],
        rb.restored.map((s) => [esc(s.ref), esc(s.title), esc(s.result), s.restored.map((l) => `<code>${esc(l)}</code>`).join('<br>')]),
      ),
    );
  }
  body.push('<h2>Watch alerts</h2>');
  body.push(
    r.alerts.length
      ? table(
          ['time', 'event', 'subject', 'result', 'detail'],
          r.alerts.map((a) => [esc(a.time), esc(a.event), esc(a.subject), esc(a.result), esc(a.detail)]),
        )
      : '<p>None.</p>',
  );
  body.push('<h2>Users synced</h2>');
  body.push(
    r.users.length
      ? table(
          ['time', 'by', 'command', 'outcome'],
          r.users.map((u) => [esc(u.time), esc(u.by), esc(u.command), esc(u.summary)]),
        )
      : '<p>None.</p>',
  );
  body.push('<h2>Final state of every step</h2>');
  body.push(
    table(
      ['step', 'title', 'status', 'at', 'last change'],
      r.steps.map((s) => [
        `<span class="mono">${esc(s.ref)}</span>`,
        esc(s.title),
        `<span class="${k(s.status)}">${esc(s.status)}</span>`,
        esc(s.at ?? ''),
        s.change.map((l) => `<code>${esc(l)}</code>`).join('<br>'),
      ]),
    ),
  );

  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Change record: ${esc(r.runbook.name)} · ${esc(r.env.name)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
