import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { RUNBOOK, cli, localEnv, localRunbook, lockExists, runbookCopy, sandboxEnv, statePath, tempDir, writeRunbook } from './helpers.js';

/** No stack trace, no "internal error": an expected failure is a message, a hint and an exit code. */
function expectCleanError(stderr: string): void {
  expect(stderr).toMatch(/^error: /m);
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/internal error/);
}

/** Issue 5: what an operator gets wrong, or finds broken, is said plainly with exit 2 and changes nothing. */
describe('usage and environment errors', () => {
  let sandbox: Sandbox;
  const dir = tempDir();
  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600 });
  });
  afterAll(async () => {
    await sandbox?.stop();
    dir.remove();
  });

  it('a state file that is not JSON: run mid exits 2 naming it, and leaves it as it was', async () => {
    const sub = join(dir.path, 'corrupt');
    mkdirSync(sub);
    const book = localRunbook(sub, { steps: 2 });
    const state = join(sub, 'state');
    const file = statePath(state, 'local');
    mkdirSync(join(state, 'local'), { recursive: true });
    const garbage = '{"version": 1, "steps": {"mid.1": {"status": "appl\u0000\u00ff garbage';
    writeFileSync(file, garbage);
    const before = readFileSync(file);

    const result = await cli(['--runbook', book.file, 'run', 'mid', '--yes'], localEnv(state));
    expect(result.code).toBe(2);
    expectCleanError(result.stderr);
    expect(result.stderr).toContain(`error: the state file ${file} cannot be parsed`);
    expect(result.stderr).toMatch(/^hint: It was left untouched\./m);
    expect(readFileSync(file).equals(before)).toBe(true);
    expect(book.writes()).toEqual([]);
    expect(lockExists(state, 'local')).toBe(false);
  });

  it('a runbook with a YAML syntax error: exit 2, file:line:col, no stack trace', async () => {
    const sub = join(dir.path, 'syntax');
    mkdirSync(sub);
    const file = writeRunbook(
      sub,
      'broken.yaml',
      'version: 1\nname: broken\nenvironments:\n  local: { region: eu-west-2, account: "000000000000"\nphases:\n  mid: []\n',
    );
    const result = await cli(['--runbook', file, 'run', 'mid', '--yes'], localEnv(join(sub, 'state')));
    expect(result.code).toBe(2);
    expectCleanError(result.stderr);
    expect(result.stderr).toContain(`${file}:4:10`);
    expect(result.stderr).toMatch(/never closed/);
    expect(result.stdout).toBe('');
  });

  it('an unknown --env: exit 2 with a did-you-mean', async () => {
    const state = join(dir.path, 'env-state');
    const result = await cli(['--runbook', RUNBOOK, 'run', 'mid', '--yes', '--env', 'sandbx'], sandboxEnv(sandbox, state));
    expect(result.code).toBe(2);
    expectCleanError(result.stderr);
    expect(result.stderr).toMatch(/unknown environment "sandbx".*did you mean "sandbox"\?/);
    expect(result.stderr).toMatch(/defines: sandbox, preprod, prod/);
  });

  it('credentials for another account: exit 2 naming both accounts, and nothing but STS was asked', async () => {
    const sub = join(dir.path, 'account');
    mkdirSync(sub);
    const runbook = runbookCopy(sub, [['    account: "000000000000"\n', '    account: "111111111111"\n']]);
    const state = join(sub, 'state');
    const mark = sandbox.proxy.requests.length;
    const result = await cli(['--runbook', runbook, 'run', 'pre', '--yes'], sandboxEnv(sandbox, state));
    expect(result.code, result.stdout).toBe(2);
    expectCleanError(result.stderr);
    expect(result.stderr).toMatch(/these credentials are for account 000000000000 .* but environment "sandbox" is account 111111111111/);
    const sent = sandbox.proxy.requests.slice(mark);
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.filter((r) => r.service !== 'sts')).toEqual([]);
    expect(sent.map((r) => r.operation)).toEqual(sent.map(() => 'GetCallerIdentity'));
    expect(lockExists(state)).toBe(false);

    // mid starts with a manual step: the account is checked before it is confirmed and recorded.
    const mid = await cli(['--runbook', runbook, 'run', 'mid', '--yes'], sandboxEnv(sandbox, state));
    expect(mid.code, mid.stdout).toBe(2);
    expect(mid.stderr).toMatch(/is account 111111111111/);
    expect(mid.stdout).not.toMatch(/mid\.1/);
    expect(existsSync(join(state, 'sandbox', 'state.json'))).toBe(false);
  });
});
