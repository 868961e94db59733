import { fstatSync, mkdirSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

// Set by scripts/build.mjs: a digest of src/, the lockfile and the build script. Absent when run from the sources.
declare const MIGRATE_BUILD_ID: string | undefined;

/**
 * `migrate --help` is read far more often than the CLI changes, and loading commander and the
 * command table is about a quarter of its start-up. The text commander renders is a function of
 * the build and the output width only, so it is kept per (build, width) under the user's cache
 * directory and printed from there; a new build or another width renders afresh.
 */
export function helpCacheFile(argv: string[], cacheRoot: string): string | undefined {
  if (typeof MIGRATE_BUILD_ID !== 'string') return undefined;
  const args = argv.slice(2);
  if (args.length !== 1 || (args[0] !== '--help' && args[0] !== '-h')) return undefined;
  const width = outputWidth();
  return width ? join(cacheRoot, 'migrate', 'help', `${MIGRATE_BUILD_ID}-${width}.txt`) : undefined;
}

/** The width commander wraps help to: the terminal's columns, or 80 when stdout is not a terminal. */
function outputWidth(): number | undefined {
  // A pipe or file needs no tty module (a few per cent of start-up); /dev/null is a character
  // device too, so only those ask process.stdout.
  let characterDevice: boolean;
  try {
    characterDevice = fstatSync(1).isCharacterDevice();
  } catch {
    return undefined;
  }
  if (!characterDevice) return 80;
  return process.stdout.isTTY ? process.stdout.columns : 80;
}

/** Prints the kept help; false when there is none (then commander renders it). */
export function printCachedHelp(file: string): boolean {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch {
    return false;
  }
  try {
    for (let done = 0; done < text.length; ) done += writeSync(1, text, done);
  } catch {
    // A reader that has gone (`--help | head -1`) is not an error, as on the rendered path.
  }
  return true;
}

/** Tees what is written to stdout while `render` runs, and keeps it when `render` ends with 0. */
export async function keepHelp(file: string, render: () => Promise<number>): Promise<number> {
  const shown: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    shown.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return write(chunk, ...rest);
  }) as typeof process.stdout.write;
  const code = await render();
  process.stdout.write = write;
  if (code === 0 && shown.length) {
    // Written whole or not at all: a concurrent --help reads either nothing or the full text.
    try {
      mkdirSync(join(file, '..'), { recursive: true, mode: 0o700 });
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, shown.join(''), { mode: 0o600 });
      renameSync(temp, file);
    } catch {
      // A cache that cannot be written only costs the next --help its speed.
    }
  }
  return code;
}
