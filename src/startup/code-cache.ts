import { mkdirSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { sha256 } from '../util/json.js';

// Set by scripts/build.mjs: a digest of src/, the lockfile and the build script. Absent when run from the sources.
declare const MIGRATE_BUILD_ID: string | undefined;

type Main = (argv: string[]) => Promise<number>;

export interface CachedMain {
  main: Main;
  /** After the command: keeps the code V8 compiled for it, when there was no usable cache. */
  keep(exitCode: number): void;
}

/**
 * A short command that loads the AWS SDK spends a third of its start compiling it, and Node 20
 * has no compile cache (ES modules cannot take a code cache there at all). So those commands run
 * the whole CLI as one CommonJS file (dist/chunks/main.cjs, built from the same sources as the
 * chunks) through vm.Script with a V8 code cache kept in the user's cache folder: `plan mid`
 * against the sandbox went from 0.57x to 0.45x one AWS CLI call on Node 20, and from 0.43x (the
 * compile cache over the chunks) to 0.36x on Node 22, which also skips resolving ~75 chunks.
 * Undefined (load the chunks) when run from the sources, or when the file is missing or damaged.
 *
 * The cache is V8's own format: V8 checks it against the source's length, its version and its
 * flags, and refuses one that does not match (then this run compiles and writes a fresh one). It is keyed by
 * the build, the command and the Node binary and flags, written whole through a rename, and any
 * error reading or writing it only costs the time it would have saved.
 */
export function loadCachedMain(cacheRoot: string, command: string): CachedMain | undefined {
  if (typeof MIGRATE_BUILD_ID !== 'string') return undefined;
  const file = fileURLToPath(new URL('./main.cjs', import.meta.url));
  let source: string;
  let stamp: string;
  try {
    // The build writes it in ASCII only (and checks), so latin1 reads it exactly, a third faster.
    source = readFileSync(file, 'latin1');
    const { size, mtimeMs } = statSync(file);
    stamp = `${size}|${mtimeMs}`;
  } catch {
    return undefined;
  }
  const dir = join(cacheRoot, 'migrate', 'v8');
  // V8 checks a cache against the source's length, not its bytes: the file's own stamp is in the
  // key, so a rebuilt main.cjs of the same length never runs with the code of the one before.
  const runtime = sha256(
    `${stamp}|${process.version}|${process.arch}|${process.execArgv.join(' ')}|${process.env.NODE_OPTIONS ?? ''}`,
  ).slice(0, 16);
  const cacheFile = join(dir, `${MIGRATE_BUILD_ID}-${command}-${runtime}.bin`);
  let cachedData: Buffer | undefined;
  try {
    cachedData = readFileSync(cacheFile);
  } catch {
    cachedData = undefined;
  }
  // A step plugin is an ES module outside the bundle; a script run from a code cache cannot
  // import() (ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING on Node 20), so it imports from here.
  (globalThis as { __migrateImport?: (specifier: string) => Promise<unknown> }).__migrateImport = (specifier) => import(specifier);
  let script: vm.Script;
  let main: Main | undefined;
  try {
    script = new vm.Script(`(function (exports, require, module, __filename, __dirname) {${source}\n})`, { filename: file, cachedData });
    const module = { exports: {} as { main?: Main } };
    (script.runInThisContext() as (...args: unknown[]) => void)(module.exports, createRequire(file), module, file, dirname(file));
    main = module.exports.main;
  } catch {
    // A damaged or half-installed file: the chunks hold the same CLI.
    return undefined;
  }
  if (typeof main !== 'function') return undefined;
  return {
    main,
    keep(exitCode) {
      // A run that stopped early compiled less than the command needs: better no cache than that one.
      if (exitCode !== 0 || (cachedData && !script.cachedDataRejected)) return;
      try {
        // Compiled code others could swap would run as this user: the folder is the user's alone.
        mkdirSync(dir, { recursive: true, mode: 0o700 });
        const temp = `${cacheFile}.${process.pid}.tmp`;
        writeFileSync(temp, script.createCachedData());
        renameSync(temp, cacheFile);
        // Other builds' caches, once a day old: an older build's are never read again, and two
        // installs used side by side should not keep deleting each other's.
        const dayAgo = Date.now() - 86_400_000;
        for (const other of readdirSync(dir)) {
          const path = join(dir, other);
          if (!other.startsWith(`${MIGRATE_BUILD_ID}-`) && statSync(path).mtimeMs < dayAgo) rmSync(path, { force: true });
        }
      } catch {
        // Read-only or full cache folder: the next run compiles again, that is all.
      }
    },
  };
}
