import { readFile } from 'node:fs/promises';
import { RunbookError } from '../errors.js';
import { sha256 } from '../util/json.js';
import type { Runbook } from './types.js';
import { readCached, writeCached } from './cache.js';

/** What status and log need of a runbook: names, environments, steps and rollbacks, no parameters. */
export type RunbookSummary = Pick<Runbook, 'file' | 'digest' | 'name' | 'environments' | 'phases' | 'rollback' | 'checks'>;

/**
 * A validated runbook's summary, cached by the file's bytes, the step plugins and the loader's
 * build, so read-only commands (`status`) start without loading zod and yaml for a runbook this
 * migrate has already validated. A cache miss, or any cache error, loads and validates as usual.
 */
export async function loadRunbookSummary(file: string): Promise<RunbookSummary> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch {
    return summaryOf(await fullLoad(file));
  }
  const digest = sha256(bytes);
  const cached = await readCached<RunbookSummary>('runbook', file, digest);
  if (cached) return cached;
  const summary = summaryOf(await fullLoad(file));
  await writeCached('runbook', file, digest, summary);
  return summary;
}

async function fullLoad(file: string): Promise<Runbook> {
  const { loadStepPlugins } = await import('../steps/plugins.js');
  await loadStepPlugins();
  const { loadRunbookFast } = await import('./fast.js');
  return loadRunbookFast(file);
}

function summaryOf(runbook: Runbook): RunbookSummary {
  const { file, digest, name, environments, phases, rollback, checks } = runbook;
  const summary = { file, digest, name, environments, phases, rollback, checks };
  if (!summary.name) throw new RunbookError('RUNBOOK_INVALID', `${file} has no name`);
  return JSON.parse(JSON.stringify(summary)) as RunbookSummary;
}
