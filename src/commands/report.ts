import { writeFile } from 'node:fs/promises';
import { RunbookError } from '../errors.js';
import { buildRecord } from '../record/model.js';
import { backendFor, loadEnvironment } from './context.js';
import type { GlobalOptions } from './options.js';

export interface ReportOptions extends GlobalOptions {
  format?: string | undefined;
  out?: string | undefined;
}

const FORMATS = ['md', 'html', 'json'] as const;

/** The change record of an environment, from its state and audit trail; reads nothing from AWS. */
export async function reportCommand(opts: ReportOptions): Promise<number> {
  const format = opts.format ?? (opts.json ? 'json' : 'md');
  if (!(FORMATS as readonly string[]).includes(format))
    throw new RunbookError('USAGE', `unknown report format "${format}"`, { hint: `Formats: ${FORMATS.join(', ')}.` });
  const loaded = await loadEnvironment(opts);
  // Either backend: a second operator can write the record of a cutover another machine ran.
  const backend = await backendFor(loaded);
  const [state, audit] = await Promise.all([backend.store().load(), backend.readAudit()]);
  const record = buildRecord({ runbook: loaded.runbook, env: loaded.env, state, audit });
  let text: string;
  if (format === 'json') text = `${JSON.stringify(record, null, 2)}\n`;
  else if (format === 'html') text = (await import('../record/html.js')).renderHtml(record);
  else text = (await import('../record/markdown.js')).renderMarkdown(record);
  if (opts.out) {
    await writeFile(opts.out, text, { mode: 0o644 });
    process.stderr.write(`change record of env ${loaded.env.name} written to ${opts.out} (${format})\n`);
  } else process.stdout.write(text);
  return 0;
}
