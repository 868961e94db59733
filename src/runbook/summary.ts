import { mkdir, readFile, stat, writeFile, rename } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { RunbookError } from '../errors.js';
import { sha256 } from '../util/json.js';
import type { Runbook } from './types.js';

/** What status and log need of a runbook: names, environments, steps and rollbacks, no parameters. */
export type RunbookSummary = Pick<Runbook, 'file' | 'digest' | 'name' | 'environments' | 'phases' | 'rollback' | 'checks'>;

function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'migrate');
}

/** Set by the bundler (scripts/build.mjs): a digest of the sources and the lockfile it built from. */
declare const MIGRATE_BUILD_ID: string | undefined;

/** The loader's own build: a new migrate never trusts what an older one cached. */
async function loaderStamp(): Promise<string> {
  // In the bundle there is no build.js beside this code to look at.
  if (typeof MIGRATE_BUILD_ID === 'string') return MIGRATE_BUILD_ID;
  const built = await stat(fileURLToPath(new URL('./build.js', import.meta.url))).catch(() => undefined);
  return String(built?.mtimeMs ?? 'none');
}

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
  const key = sha256(`${sha256(bytes)}|${process.env.MIGRATE_STEP_PLUGINS ?? ''}|${await loaderStamp()}|${file}`);
  const cached = join(cacheDir(), `runbook-${key}.json`);
  try {
    return JSON.parse(await readFile(cached, 'utf8')) as RunbookSummary;
  } catch {
    // Not cached yet (or unreadable): validate, then cache.
  }
  const summary = summaryOf(await fullLoad(file));
  try {
    await mkdir(cacheDir(), { recursive: true, mode: 0o700 });
    const temp = `${cached}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(summary), { mode: 0o600 });
    await rename(temp, cached);
  } catch {
    // A read-only home is no reason to fail a status.
  }
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
