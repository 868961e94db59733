import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { acquireLock, readLock, releaseLock, type HeldLock } from '../../src/state/lock.js';

async function dir() {
  return mkdtemp(join(tmpdir(), 'migrate-lock-'));
}

/** Issue 11: a lock file that is empty, not JSON or names no process. */
const UNREADABLE: [string, string][] = [
  ['', 'it is empty'],
  ['{}', 'it names no process (pid and host)'],
  ['{"pid":', 'it is not JSON'],
  ['[]', 'it is not a JSON object'],
  ['{"pid":12,"host":"h"}', 'it lacks the time or the command of its holder'],
];

describe('an unreadable lock', () => {
  it.each(UNREADABLE)('%j is reported as unreadable (%s), never as "pid undefined", and only --force removes it', async (text, reason) => {
    const base = await dir();
    const file = join(base, 'lock');
    await writeFile(file, text, { mode: 0o600 });
    expect(await readLock(base)).toMatchObject({ held: true, info: null, unreadable: reason });

    const taken = acquireLock(base, 'run mid', 'prod');
    await expect(taken).rejects.toMatchObject({
      code: 'LOCKED',
      exitCode: 3,
      message: `environment "prod" is locked by a lock file that cannot be read: ${file} (${reason})`,
    });
    await expect(taken).rejects.toMatchObject({ hint: expect.stringContaining('migrate unlock --env prod --force') });
    await expect(taken).rejects.not.toMatchObject({ message: expect.stringContaining('undefined') });

    await expect(releaseLock(base, 'prod', false)).rejects.toMatchObject({
      code: 'LOCKED',
      exitCode: 3,
      message: `the lock on "prod" cannot be read: ${file} (${reason})`,
    });
    expect(await readFile(file, 'utf8')).toBe(text);
    expect(await releaseLock(base, 'prod', true)).toEqual({ info: null, file, unreadable: reason });
    expect(existsSync(file)).toBe(false);
    await rm(base, { recursive: true });
  });

  it('a lock is written whole: no temp file is left beside it, and it names its holder', async () => {
    const base = await dir();
    const held = await acquireLock(base, 'run mid', 'prod');
    expect(readdirSync(base)).toEqual(['lock']);
    expect(JSON.parse(await readFile(join(base, 'lock'), 'utf8'))).toEqual(held.info);
    await held.release();
    expect(readdirSync(base)).toEqual([]);
    await rm(base, { recursive: true });
  });

  it('release removes only its own lock, not one that replaced it after a forced unlock', async () => {
    const base = await dir();
    const first = await acquireLock(base, 'run mid', 'prod');
    await releaseLock(base, 'prod', true);
    const second = await acquireLock(base, 'run post', 'prod');
    await first.release();
    expect(await readLock(base)).toMatchObject({ held: true, info: { command: 'run post' } });
    await second.release();
    expect(await readLock(base)).toEqual({ held: false });
    await rm(base, { recursive: true });
  });
});

describe('unlock racing five starters', () => {
  it('100 rounds through the lock functions: exactly one holder each round, and unlock never removes it', async () => {
    for (let round = 0; round < 100; round++) {
      const base = await dir();
      const holders: HeldLock[] = [];
      const outcomes = await Promise.allSettled([
        ...Array.from({ length: 5 }, () => acquireLock(base, `run mid #${round}`, 'prod').then((held) => holders.push(held))),
        // Plain unlock, as an operator would type it while the runs start: the holder is alive.
        releaseLock(base, 'prod', false).then((released) => ({ released })),
      ]);
      const unlock = outcomes[5]!;
      if (unlock.status === 'fulfilled') expect(unlock.value).toEqual({ released: null });
      else expect(unlock.reason).toMatchObject({ code: 'LOCKED' });
      expect(holders, `round ${round}`).toHaveLength(1);
      const refused = outcomes.slice(0, 5).filter((o) => o.status === 'rejected');
      for (const r of refused)
        expect((r as PromiseRejectedResult).reason).toMatchObject({
          code: 'LOCKED',
          message: expect.stringMatching(/locked by pid \d+ on /),
        });
      expect(await readLock(base)).toMatchObject({ held: true, info: { pid: process.pid } });
      await holders[0]!.release();
      await rm(base, { recursive: true });
    }
  });
});
