import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sha256 } from '../util/json.js';

/**
 * What this migrate has already worked out about a runbook's exact bytes, kept in the user's cache
 * folder so read-only commands need not work it out again. Keyed by the bytes, the step plugins,
 * the file's path and the loader's own build: a new migrate never trusts what an older one kept.
 * Any cache error is a miss, never a failure.
 */
function cacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'migrate');
}

/** Set by the bundler (scripts/build.mjs): a digest of the sources, the lockfile and the build script. */
declare const MIGRATE_BUILD_ID: string | undefined;

async function loaderStamp(): Promise<string> {
  // In the bundle there is no build.js beside this code to look at.
  if (typeof MIGRATE_BUILD_ID === 'string') return MIGRATE_BUILD_ID;
  const built = await stat(fileURLToPath(new URL('./build.js', import.meta.url))).catch(() => undefined);
  return String(built?.mtimeMs ?? 'none');
}

async function cachePath(kind: string, file: string, digest: string): Promise<string> {
  return join(cacheDir(), `${kind}-${sha256(`${digest}|${process.env.MIGRATE_STEP_PLUGINS ?? ''}|${await loaderStamp()}|${file}`)}.json`);
}

export async function readCached<T>(kind: string, file: string, digest: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(await cachePath(kind, file, digest), 'utf8')) as T;
  } catch {
    return undefined;
  }
}

export async function writeCached(kind: string, file: string, digest: string, value: unknown): Promise<void> {
  try {
    const path = await cachePath(kind, file, digest);
    await mkdir(cacheDir(), { recursive: true, mode: 0o700 });
    const temp = `${path}.${process.pid}.tmp`;
    await writeFile(temp, JSON.stringify(value), { mode: 0o600 });
    await rename(temp, path);
  } catch {
    // A read-only home is no reason to fail a read-only command.
  }
}
