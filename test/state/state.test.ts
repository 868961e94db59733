import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../../src/state/audit.js';
import { FileStateStore } from '../../src/state/file-store.js';
import { writeFileAtomic } from '../../src/state/fs-safe.js';
import { acquireLock, readLock, releaseLock } from '../../src/state/lock.js';
import { emptyState } from '../../src/state/types.js';

async function dir() {
  return mkdtemp(join(tmpdir(), 'migrate-state-'));
}

describe('FileStateStore', () => {
  it('saves and loads, with a private directory and file', async () => {
    const base = await dir();
    const envDir = join(base, 'prod');
    const store = new FileStateStore(envDir, 'rb', 'prod');
    const state = emptyState('rb', 'prod');
    state.steps['mid.3'] = {
      ref: 'mid.3',
      type: 't',
      title: 'x',
      status: 'applied',
      params: {},
      before: { a: 1 },
      after: { a: 2 },
      digest: 'd',
      at: 'now',
    };
    await store.save(state);
    expect((await store.load()).steps['mid.3']?.after).toEqual({ a: 2 });
    expect((await stat(envDir)).mode & 0o777).toBe(0o700);
    expect((await stat(store.location)).mode & 0o777).toBe(0o600);
  });

  it('a crash between the temp file and the rename leaves the old file whole', async () => {
    const base = await dir();
    const file = join(base, 'state.json');
    await writeFileAtomic(file, '{"old":true}');
    await expect(
      writeFileAtomic(file, '{"new":true}', {
        beforeRename: () => {
          throw new Error('power cut');
        },
      }),
    ).rejects.toThrow('power cut');
    expect(await readFile(file, 'utf8')).toBe('{"old":true}');
    expect((await readdir(base)).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it('the first save removes temp files a killed writer left behind, and only those', async () => {
    const base = await dir();
    const child = spawn(process.execPath, ['-e', '0']);
    const dead = child.pid!;
    await new Promise((r) => child.on('exit', r));
    const store = new FileStateStore(base, 'rb', 'prod');
    await writeFile(join(base, `.state.json.${dead}.1764500000000.tmp`), '{"half":');
    await writeFile(join(base, `.state.json.${process.ppid}.abcd1234.tmp`), '{"alive":');
    await store.save(emptyState('rb', 'prod'));
    expect((await readdir(base)).sort()).toEqual([`.state.json.${process.ppid}.abcd1234.tmp`, 'state.json']);
  });

  it('a corrupt state file is a clear error naming the file, and is left untouched', async () => {
    const base = await dir();
    const store = new FileStateStore(base, 'rb', 'prod');
    await writeFile(store.location, '{"version":1,"steps":{"mid.3":');
    await expect(store.load()).rejects.toMatchObject({ code: 'STATE_CORRUPT', message: expect.stringContaining(store.location) });
    expect(await readFile(store.location, 'utf8')).toBe('{"version":1,"steps":{"mid.3":');
  });

  it('a state file from a newer migrate is refused', async () => {
    const base = await dir();
    const store = new FileStateStore(base, 'rb', 'prod');
    await writeFile(store.location, JSON.stringify({ ...emptyState('rb', 'prod'), version: 99 }));
    await expect(store.load()).rejects.toMatchObject({ code: 'STATE_NEWER', exitCode: 2 });
  });

  it('a JSON file that is not a state file is refused', async () => {
    const base = await dir();
    const store = new FileStateStore(base, 'rb', 'prod');
    await writeFile(store.location, '[1,2,3]');
    await expect(store.load()).rejects.toMatchObject({ code: 'STATE_CORRUPT' });
  });
});

describe('lock', () => {
  it('a second holder is refused with exit 3 naming the first', async () => {
    const base = await dir();
    const held = await acquireLock(base, 'run mid', 'prod');
    await expect(acquireLock(base, 'run mid', 'prod')).rejects.toMatchObject({
      code: 'LOCKED',
      exitCode: 3,
      message: expect.stringContaining(`pid ${process.pid}`),
    });
    await held.release();
    const again = await acquireLock(base, 'run mid', 'prod');
    await again.release();
    expect(await readLock(base)).toEqual({ held: false });
  });

  it('a lock whose process is gone is reported stale and only unlock releases it', async () => {
    const base = await dir();
    const child = spawn(process.execPath, ['-e', '0']);
    const pid = child.pid!;
    await new Promise((r) => child.on('exit', r));
    await writeFile(
      join(base, 'lock'),
      JSON.stringify({ pid, host: (await import('node:os')).hostname(), since: 'then', command: 'run mid' }),
    );
    expect(await readLock(base)).toMatchObject({ held: true, stale: true });
    await expect(acquireLock(base, 'run mid', 'prod')).rejects.toMatchObject({
      code: 'LOCK_STALE',
      exitCode: 3,
      hint: expect.stringContaining('migrate unlock'),
    });
    expect(await releaseLock(base, 'prod', false)).toMatchObject({ info: { pid } });
    expect(await readLock(base)).toEqual({ held: false });
  });

  it('unlock refuses a live holder without --force', async () => {
    const base = await dir();
    const held = await acquireLock(base, 'run mid', 'prod');
    await expect(releaseLock(base, 'prod', false)).rejects.toMatchObject({ code: 'LOCKED' });
    expect(await releaseLock(base, 'prod', true)).toMatchObject({ info: { pid: process.pid } });
    await held.release();
  });

  it('two processes racing for the lock: exactly one wins', async () => {
    const base = await dir();
    const script = `
      const { acquireLock } = await import(${JSON.stringify(new URL('../../dist/state/lock.js', import.meta.url).href)});
      try { await acquireLock(process.argv[1], 'race', 'prod'); console.log('won'); setTimeout(() => {}, 60_000); }
      catch (e) { console.log(e.code); }
    `;
    // The winner holds the lock until both have answered (then it is killed), not for a fixed time
    // that a slowly starting loser could outlast on a loaded machine.
    const children: ReturnType<typeof spawn>[] = [];
    const run = () =>
      new Promise<string>((resolve) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script, base]);
        children.push(child);
        let out = '';
        child.stdout?.on('data', (d) => {
          out += d;
          if (out.includes('\n')) resolve(out.trim());
        });
        child.on('exit', () => resolve(out.trim()));
      });
    try {
      const results = await Promise.all([run(), run()]);
      expect(results.sort()).toEqual(['LOCKED', 'won']);
    } finally {
      for (const child of children) child.kill('SIGKILL');
    }
  });
});

describe('AuditLog', () => {
  it('appends JSON lines and never writes secret-looking keys', async () => {
    const base = await dir();
    const log = new AuditLog(base, { user: 'ops@host', command: 'run mid', env: 'prod' }, () => 'arn:aws:iam::1:user/ops');
    await log.append({ event: 'apply-end', step: 'mid.3', result: 'applied', password: 'hunter2', token: 'abc' });
    await log.append({ event: 'run-end', result: 'ok' });
    const events = await AuditLog.read(base);
    expect(events).toHaveLength(2);
    expect(events[0]).toMatchObject({
      user: 'ops@host',
      identity: 'arn:aws:iam::1:user/ops',
      command: 'run mid',
      env: 'prod',
      event: 'apply-end',
      step: 'mid.3',
    });
    const raw = await readFile(log.file, 'utf8');
    expect(raw).not.toContain('hunter2');
    expect(raw).not.toContain('"token"');
    expect((await stat(log.file)).mode & 0o777).toBe(0o600);
  });
});
