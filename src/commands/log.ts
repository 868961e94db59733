import { c } from '../output/style.js';
import { backendFor, loadEnvironment } from './context.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';

export async function logCommand(opts: GlobalOptions & { limit?: string | undefined }): Promise<number> {
  const loaded = await loadEnvironment(opts);
  // One object per event on S3: listed and merged in time order (their keys start with the time).
  let events = await (await backendFor(loaded)).readAudit();
  const limit = opts.limit ? Number(opts.limit) : undefined;
  if (limit && limit > 0) events = events.slice(-limit);
  if (opts.json) {
    printJson({ runbook: loaded.runbook.name, env: loaded.env.name, events });
    return 0;
  }
  const k = c();
  if (events.length === 0) process.stdout.write(`no audit events yet for env ${loaded.env.name}\n`);
  for (const e of events) {
    const who = e.identity ? `${e.user} as ${e.identity}` : e.user;
    const what = [e.event, e.step, e.result].filter(Boolean).join(' ');
    process.stdout.write(`${k.dim(e.time)}  ${what.padEnd(32)}  ${k.dim(`${e.command}${e.dryRun ? ' (dry run)' : ''} · ${who}`)}${e.detail ? `\n${' '.repeat(26)}${e.detail}` : ''}\n`);
  }
  return 0;
}
