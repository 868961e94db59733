import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * A small filesystem a test can fill up and make read-only: a real tmpfs when this process may
 * mount one (root on Linux), otherwise a fault-injecting layer loaded into the migrate processes
 * (test/helpers/fs-faults.mjs). Chosen at run time; MIGRATE_TEST_FS=inject forces the layer.
 */
export interface SmallDisk {
  path: string;
  mechanism: 'tmpfs' | 'inject';
  /** Extra environment for the migrate processes that use this disk. */
  env: NodeJS.ProcessEnv;
  /** Fills the disk; with `spare`, room is left for one small file (the lock) and no more. */
  fill(options?: { spare?: boolean }): void;
  free(): void;
  readOnly(on: boolean): void;
  remove(): void;
}

function tryMount(path: string): boolean {
  if (process.env.MIGRATE_TEST_FS === 'inject' || process.platform !== 'linux') return false;
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=512k,mode=0700', 'tmpfs', path], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function smallDisk(): SmallDisk {
  const path = mkdtempSync(join(tmpdir(), 'migrate-disk-'));
  const filler = join(path, '.filler');
  if (tryMount(path)) {
    return {
      path,
      mechanism: 'tmpfs',
      env: {},
      fill(options = {}) {
        const fd = openSync(filler, 'a');
        const block = Buffer.alloc(4096);
        try {
          for (;;) writeSync(fd, block);
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
        } finally {
          closeSync(fd);
        }
        if (options.spare) truncateSync(filler, Math.max(0, statSync(filler).size - 4096));
      },
      free: () => rmSync(filler, { force: true }),
      readOnly: (on) => execFileSync('mount', ['-o', `remount,${on ? 'ro' : 'rw'}`, path], { stdio: 'ignore' }),
      remove() {
        execFileSync('umount', [path], { stdio: 'ignore' });
        rmSync(path, { recursive: true, force: true });
      },
    };
  }
  const marker = `${path}.fault`;
  const hook = pathToFileURL(fileURLToPath(new URL('./fs-faults.mjs', import.meta.url))).href;
  return {
    path,
    mechanism: 'inject',
    env: { NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${hook}`.trim(), MIGRATE_TEST_FS_DIR: path },
    fill: (options = {}) => writeFileSync(marker, options.spare ? 'ENOSPC-SPARE' : 'ENOSPC'),
    free: () => rmSync(marker, { force: true }),
    readOnly: (on) => (on ? writeFileSync(marker, 'EROFS') : rmSync(marker, { force: true })),
    remove() {
      rmSync(marker, { force: true });
      rmSync(path, { recursive: true, force: true });
    },
  };
}
