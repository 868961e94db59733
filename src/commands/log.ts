import { warn } from '../state/warnings.js';
import { c } from '../output/style.js';
import { backendFor, loadEnvironment } from './context.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';

export async function logCommand(opts: GlobalOptions & { limit?: string | undefined }): Promise<number> {
  const loaded = await loadEnvironment(opts);
  // Local: one line per event; S3: one object per event, listed in time order (their keys start with the time).
  const backend = await backendFor(loaded);
  let entries = await backend.auditEntries();
  const bad = entries.filter((e) => 'bad' in e);
  const limit = opts.limit ? Number(opts.limit) : undefined;
  if (limit && limit > 0) entries = entries.slice(-limit);
  // A damaged line is shown where it stands, never a reason to hide the rest of the history.
  if (bad.length > 0)
    warn(
      `${bad.length} line(s) of ${backend.location}/audit.jsonl are not audit events (line ${bad.map((b) => b.line).join(', ')}); shown marked, left as they are`,
    );
  if (opts.json) {
    printJson({
      runbook: loaded.runbook.name,
      env: loaded.env.name,
      events: entries.flatMap((e) => ('event' in e ? [e.event] : [])),
      badLines: entries.flatMap((e) => ('bad' in e ? [{ line: e.line, problem: e.bad, text: e.text }] : [])),
    });
    return 0;
  }
  const k = c();
  if (entries.length === 0) process.stdout.write(`no audit events yet for env ${loaded.env.name}\n`);
  for (const entry of entries) {
    if ('bad' in entry) {
      process.stdout.write(
        `${k.red(`!! line ${entry.line}: ${entry.bad}`)}  ${k.dim(entry.text.length > 120 ? `${entry.text.slice(0, 120)}…` : entry.text)}\n`,
      );
      continue;
    }
    const e = entry.event;
    const who = e.identity ? `${e.user} as ${e.identity}` : e.user;
    const what = [e.event, e.step, e.result].filter(Boolean).join(' ');
    process.stdout.write(
      `${k.dim(e.time)}  ${what.padEnd(32)}  ${k.dim(`${e.command}${e.dryRun ? ' (dry run)' : ''} · ${who}`)}${e.detail ? `\n${' '.repeat(26)}${e.detail}` : ''}\n`,
    );
  }
  return 0;
}
