import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { waitFor } from '../helpers/process.js';
import { smallDisk, type SmallDisk } from '../helpers/small-disk.js';
import { writeRealmExport } from '../users/helpers.js';
import { type CliResult, RUNBOOK, cli, localEnv, localRunbook, sandboxEnv, spawnCli, tempDir, type LocalRunbook } from './helpers.js';

/**
 * Issue 11: a full or read-only disk under the state directory is the operator's to fix, not a
 * bug: a message naming the path and what to do, exit 1, no stack trace, the lock released, no
 * temp file left, the audit log still readable, and "state was saved" never said when it was not.
 */
describe('filesystem faults under the state directory', () => {
  const root = tempDir('migrate-disk-e2e-');
  let disk: SmallDisk;
  let book: LocalRunbook;
  let env: NodeJS.ProcessEnv;
  // mid.2 holds its apply until this file exists, so the disk is full before its checkpoint
  // whatever the machine's load (a fixed delay lost that race under CI on Node 22).
  const gate = join(root.path, 'gate');
  const envDir = () => join(disk.path, 'local');
  const migrate = (...args: string[]) => cli(['--runbook', book.file, ...args], env);
  const leftovers = () => (existsSync(envDir()) ? readdirSync(envDir()).filter((f) => f.endsWith('.tmp') || f.endsWith('.removing')) : []);
  const auditParses = () => {
    const file = join(envDir(), 'audit.jsonl');
    if (!existsSync(file)) return [];
    return readFileSync(file, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { event: string });
  };
  const clean = (stderr: string) => {
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).not.toMatch(/internal error|This is a bug|state was saved|unhandled/i);
  };

  beforeAll(() => {
    disk = smallDisk();
    book = localRunbook(root.path, { steps: 2, hold: { 2: gate } });
    env = localEnv(disk.path, disk.env);
  });
  afterAll(() => {
    disk?.remove();
    root.remove();
  });

  it('a full disk while taking the lock: exit 1 naming the lock, no lock and no temp file left', async () => {
    disk.fill();
    try {
      const run = await migrate('run', 'mid', '--yes');
      expect(run.code, `${disk.mechanism}: ${run.stderr}`).toBe(1);
      expect(run.stderr).toContain(`error: cannot take the lock ${join(envDir(), 'lock')}: no space left on the device (ENOSPC)`);
      expect(run.stderr).toMatch(/^hint: Free some space where .* lives \(df -h .*\), then run the same command again\.$/m);
      clean(run.stderr);
      expect(existsSync(join(envDir(), 'lock'))).toBe(false);
      expect(leftovers()).toEqual([]);
      expect(book.writes()).toEqual([]);
    } finally {
      disk.free();
    }
  });

  it('the disk filling up mid-run: exit 1 naming the state file, lock released, no temp file, audit intact; freed, the run resumes', async () => {
    const run = spawnCli(['--runbook', book.file, 'run', 'mid', '--yes'], env);
    await run.waitForLine(/^▸ mid\.2 /);
    // Filled only once mid.2 is parked in its apply: filling while its "applying" checkpoint was
    // being renamed into place freed the old state file's pages, and the run then fit (CI, Node 22).
    expect(await waitFor(() => existsSync(`${gate}.waiting`), 30_000)).toBe(true);
    disk.fill();
    let done: CliResult;
    try {
      writeFileSync(gate, '');
      done = await run.done;
    } finally {
      disk.free();
    }
    expect(done.code, `${disk.mechanism}: ${done.stderr}`).toBe(1);
    expect(done.stderr).toMatch(
      new RegExp(
        `cannot (save the state file|append to the audit log) ${envDir()}/(state\\.json|audit\\.jsonl): no space left on the device \\(ENOSPC\\)`,
      ),
    );
    clean(done.stderr);
    expect(done.stdout).not.toMatch(/state was saved/i);
    expect(existsSync(join(envDir(), 'lock'))).toBe(false);
    expect(leftovers()).toEqual([]);
    // Every line that made it to the audit log is whole.
    expect(auditParses().map((e) => e.event)).toContain('run-start');

    const again = await migrate('run', 'mid', '--yes');
    expect(again.code, again.stderr).toBe(0);
    const status = await migrate('status', '--json');
    expect((JSON.parse(status.stdout) as { steps: { ref: string; status: string }[] }).steps.map((s) => s.status)).toEqual([
      'applied',
      'applied',
    ]);
    const log = await migrate('log');
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/run-end ok/);
  }, 60_000);

  it('a read-only state directory: plan and dry runs work (their audit entry skipped with a warning); a real run exits 1 naming the path', async () => {
    disk.readOnly(true);
    try {
      for (const args of [
        ['plan', 'mid'],
        ['run', 'mid', '--dry-run'],
      ]) {
        const dry = await migrate(...args);
        expect(dry.code, `${disk.mechanism} ${args.join(' ')}: ${dry.stderr}`).toBe(0);
        expect(dry.stdout).toMatch(/DRY RUN/);
        expect(dry.stderr).toContain(
          `warning: this dry run is not recorded in the audit log: cannot append to the audit log ${join(envDir(), 'audit.jsonl')}: the filesystem is read-only (EROFS)`,
        );
        clean(dry.stderr);
      }
      const status = await migrate('status');
      expect(status.code, status.stderr).toBe(0);
      const run = await migrate('run', 'mid', '--yes');
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(`error: cannot take the lock ${join(envDir(), 'lock')}: the filesystem is read-only (EROFS)`);
      expect(run.stderr).toMatch(/^hint: Use a writable state directory \(--state-dir or MIGRATE_STATE_DIR\)/m);
      clean(run.stderr);
      const unlock = await migrate('unlock', '--force');
      expect(unlock.code).toBe(0);
    } finally {
      disk.readOnly(false);
    }
  });
});

describe('users sync and users diff on a full or read-only state directory', () => {
  const root = tempDir('migrate-disk-users-');
  let disk: SmallDisk;
  let sandbox: Sandbox;
  let env: NodeJS.ProcessEnv;
  const exportFile = join(root.path, 'realm.json');
  const envDir = () => join(disk.path, 'sandbox');
  const users = (...args: string[]) => cli(['--runbook', RUNBOOK, 'users', ...args, '--export', exportFile], env);

  beforeAll(async () => {
    disk = smallDisk();
    sandbox = await startSandbox({ timeScale: 600 });
    env = sandboxEnv(sandbox, disk.path, disk.env);
    await writeRealmExport(exportFile, 30);
  });
  afterAll(async () => {
    await sandbox?.stop();
    disk?.remove();
    root.remove();
  });

  it('users sync on a full disk: exit 1 with a clear error, no unhandled rejection, the lock released', async () => {
    disk.fill({ spare: true });
    let sync: CliResult;
    try {
      sync = await users('sync', '--yes');
    } finally {
      disk.free();
    }
    expect(sync.code, `${disk.mechanism}: ${sync.stderr}`).toBe(1);
    expect(sync.stderr).toMatch(
      new RegExp(
        `^error: (cannot (append to the audit log|save the file) ${envDir()}/(audit\\.jsonl|users-sync\\.json): no space left on the device \\(ENOSPC\\)|the audit log ${envDir()}/audit\\.jsonl could not be written \\(ENOSPC\\); users sync stopped)$`,
        'm',
      ),
    );
    expect(sync.stderr).not.toMatch(/\n\s+at |unhandled|internal error|This is a bug/i);
    expect(existsSync(join(envDir(), 'lock'))).toBe(false);
    expect(readdirSync(envDir()).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  }, 60_000);

  it('users diff on a read-only state directory: the diff, and a warning that its audit entry was skipped', async () => {
    disk.readOnly(true);
    try {
      const diff = await users('diff');
      expect(diff.code, `${disk.mechanism}: ${diff.stderr}`).toBe(0);
      expect(diff.stderr).toContain('warning: this dry run is not recorded in the audit log: ');
      expect(diff.stderr).toMatch(/read-only \(EROFS\)/);
      expect(diff.stderr).not.toMatch(/\n\s+at |unhandled|internal error/i);
    } finally {
      disk.readOnly(false);
    }
  }, 60_000);
});
