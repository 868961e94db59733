import { resolve } from 'node:path';
import { DEFAULT_RUNBOOK, type GlobalOptions } from './options.js';

/** On its own so validate finds its file without loading the state backends locate.ts brings. */
export function runbookPath(opts: GlobalOptions): string {
  return resolve(opts.runbook ?? process.env.MIGRATE_RUNBOOK ?? DEFAULT_RUNBOOK);
}
