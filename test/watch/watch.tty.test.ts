import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotEstate } from '../../src/sandbox/estate.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, PYTHON, ROOT, auditLines, cli, lockExists, readState, sandboxEnv, tempDir } from '../e2e/helpers.js';

const run = promisify(execFile);
const DRIVER = join(ROOT, 'test/e2e/fixtures/pty_driver.py');
const ENTER = '\r';

interface PtyResult {
  exitCode: number | null;
  output: string;
  matched: number;
  error: string | null;
}

let sandbox: Sandbox;
let state: { path: string; remove(): void };
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 600, faults: { incidents: ['reval-down'] } });
  state = tempDir('migrate-watch-tty-');
  env = sandboxEnv(sandbox, state.path);
  expect((await cli(['run', 'pre', '--yes'], env)).code).toBe(0);
  expect((await cli(['run', 'mid', '--yes'], env)).code).toBe(1);
  sandbox.proxy.clearLog();
}, 90_000);

afterAll(async () => {
  await sandbox?.stop();
  state?.remove();
});

describe('migrate watch in a terminal', () => {
  it('draws the table, rings, asks "Run rollback 4 now?"; yes runs it step by step (Undo, Undo) and the watch goes on', async () => {
    const spec = {
      argv: [process.execPath, BIN, 'watch', '--for', '100m'],
      env: { ...env, TERM: 'xterm-256color', CI: '' },
      cwd: ROOT,
      timeout: 40,
      script: [
        { expect: String.raw`reval\s+FAILING.*rollback 4 in`, send: '' },
        { expect: String.raw`Run rollback 4 now\?`, send: `y${ENTER}` },
        { expect: String.raw`Undo mid\.4 \(`, send: ENTER },
        { expect: String.raw`Undo mid\.3 \(`, send: ENTER },
      ],
    };
    const { stdout } = await run(PYTHON, [DRIVER, JSON.stringify(spec)], { maxBuffer: 64 * 1024 * 1024 });
    const result = JSON.parse(stdout) as PtyResult;
    expect(result.error, result.output).toBeNull();
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).toMatch(/check\s+state\s+failing since\s+rollback/);
    expect(result.output).toContain('migrate rollback 4 --env sandbox');
    expect(result.output).toContain('rollback 4 (confirmed)');
    expect(result.output).toMatch(/watch ended \(--for has passed\); rollbacks run: 4 \(ok\)/);

    const checkpoints = readState(state.path);
    expect(checkpoints.steps['mid.4']?.status).toBe('rolled-back');
    expect(checkpoints.rollbacks).toMatchObject({ '4': { status: 'applied' }, '3': { status: 'applied' } });
    expect(auditLines(state.path).filter((e) => e.event === 'trigger-fired')).toEqual([
      expect.objectContaining({ step: 'rollback.4', result: 'confirmed' }),
    ]);
    const estate = await snapshotEstate(sandbox.moto.url, sandbox.ids);
    expect(estate.revalProviderArns).toEqual([sandbox.ids.oldPoolArn]);
    expect(lockExists(state.path)).toBe(false);
  }, 60_000);
});
