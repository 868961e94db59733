import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AdminCreateUserCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sandboxClientConfig } from '../../src/sandbox/estate.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { BIN, PYTHON, ROOT, RUNBOOK, auditLines, cli, readState, sandboxEnv, tempDir } from '../e2e/helpers.js';

const run = promisify(execFile);
const DRIVER = join(ROOT, 'test/e2e/fixtures/pty_driver.py');

/**
 * The watch's judgement against the sandbox (time scale 600: Reval's 1h is 6 s): what a rollback
 * would cost, its point of no return, probe errors that make a trigger inconclusive, and an
 * authorizer answering 401 that fires rollback 4 once. Pre and mid run first with Reval down, so
 * mid stops at mid.4's gate with the change applied.
 */
const ENV = 'sandbox';
let sandbox: Sandbox;
let state: { path: string; remove(): void };
let env: NodeJS.ProcessEnv;
let capped: string;

interface WatchJson {
  checks: Record<string, { outcome: string | null }>;
  triggers: { rollback: string; state: string; errorsInARow: number }[];
  due: { rollback: string; held: string | null }[];
  inconclusive: { rollback: string }[];
  fired: { rollback: string; result: string; how: string }[];
}

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 600, faults: { incidents: ['reval-down'] } });
  state = tempDir('migrate-judgement-');
  env = sandboxEnv(sandbox, state.path);
  // The TIS runbook with a point of no return of 2 users for rollback 4.
  capped = join(state.path, 'capped.yaml');
  writeFileSync(capped, readFileSync(RUNBOOK, 'utf8').replace('    maxCost: 50', '    maxCost: 2'));
  expect((await cli(['run', 'pre', '--yes'], env)).code).toBe(0);
  const mid = await cli(['run', 'mid', '--yes'], env);
  expect(mid.code, mid.stderr).toBe(1);
  expect(readState(state.path).steps['mid.4']?.status, `${mid.stdout}\n${mid.stderr}`).toBe('failed');
}, 120_000);

afterAll(async () => {
  await sandbox?.stop();
  state?.remove();
});

beforeEach(() => rmSync(join(state.path, ENV, 'watch.json'), { force: true }));

describe('watch judgement in the sandbox', () => {
  it('counts the users created since mid.4 as rollback 4 cost; past maxCost the watch alerts instead, and rollback 4 --yes needs --accept-cost', async () => {
    const cognito = new CognitoIdentityProviderClient(sandboxClientConfig(sandbox.moto.url));
    // Cognito keeps its dates to the second: these are created in a later second than mid.4.
    await new Promise((r) => setTimeout(r, 1100));
    for (const n of [1, 2, 3]) {
      await cognito.send(
        new AdminCreateUserCommand({
          UserPoolId: sandbox.ids.newPoolId,
          Username: `admin${n}@tis.nhs.uk`,
          UserAttributes: [{ Name: 'email', Value: `admin${n}@tis.nhs.uk` }],
          MessageAction: 'SUPPRESS',
        }),
      );
    }
    cognito.destroy();

    const status = await cli(['status', '--json'], env);
    expect(status.code, status.stderr).toBe(0);
    const rows = (JSON.parse(status.stdout) as { steps: { ref: string; cost?: unknown }[] }).steps;
    expect(rows.find((r) => r.ref === 'rollback.4')?.cost).toMatchObject({
      value: 3,
      counter: 'cognito.usersCreatedSince',
      since: 'mid.4',
    });
    expect(rows.find((r) => r.ref === 'rollback.3')?.cost).toBeNull();
    // Rollback 5's step (mid.5b) never ran: it would strand nobody.
    expect(rows.find((r) => r.ref === 'rollback.5')?.cost).toMatchObject({
      value: 0,
      counter: 'cognito.usersChangedSince',
      since: 'mid.5b',
    });
    expect((await cli(['status'], env)).stdout).toContain('rollback 4 would strand 3 users who signed in to Cognito since mid.4');

    const dry = await cli(['rollback', '4', '--dry-run'], env);
    expect(dry.stdout).toContain('rollback 4 would strand 3 users');

    const watch = await cli(['watch', '--runbook', capped, '--auto-rollback', '--yes', '--for', '90m', '--json'], env);
    expect(watch.code, watch.stderr).toBe(0);
    const doc = JSON.parse(watch.stdout) as WatchJson;
    expect(doc.fired).toEqual([]);
    expect(doc.due).toEqual([expect.objectContaining({ rollback: '4', held: expect.stringContaining('point of no return') })]);
    expect(watch.stderr).toContain('rollback 4 would strand 3 users');
    expect(readState(state.path).steps['mid.4']?.status).toBe('failed');

    const refused = await cli(['rollback', '4', '--runbook', capped, '--yes'], env);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('--accept-cost 3');
    const tooLow = await cli(['rollback', '4', '--runbook', capped, '--yes', '--accept-cost', '2'], env);
    expect(tooLow.code).toBe(4);
    expect(readState(state.path).rollbacks['4']).toBeUndefined();

    const out = join(state.path, 'stranded.json');
    const exported = await cli(['users', 'export-since', '--step', 'mid.4', '--out', out], env);
    expect(exported.code, exported.stderr).toBe(0);
    const file = JSON.parse(readFileSync(out, 'utf8')) as { count: number; users: { attributes: Record<string, string> }[] };
    expect(file.count).toBe(3);
    expect(file.users.map((u) => u.attributes.email).sort()).toEqual(['admin1@tis.nhs.uk', 'admin2@tis.nhs.uk', 'admin3@tis.nhs.uk']);
    // No credential field (a status such as FORCE_CHANGE_PASSWORD is not one).
    expect(readFileSync(out, 'utf8')).not.toMatch(/"[^"]*(password|secret|token)[^"]*":/i);
  }, 90_000);

  it("Reval's authorizer unreachable: probe errors make rollback 4 inconclusive and alert; nothing is rolled back", async () => {
    sandbox.proxy.setFaults({ incidents: ['reval-unreachable'] });
    const notified = join(state.path, 'inconclusive.env');
    const started = Date.now();
    const watch = await cli(
      ['watch', '--auto-rollback', '--yes', '--for', '90m', '--json', '--notify-command', `env > '${notified}'`],
      env,
    );
    expect(watch.code, watch.stderr).toBe(0);
    const doc = JSON.parse(watch.stdout) as WatchJson;
    expect(doc.checks.reval?.outcome).toBe('error');
    expect(doc.triggers.find((t) => t.rollback === '4')).toMatchObject({ state: 'inconclusive' });
    expect(doc.inconclusive).toEqual([expect.objectContaining({ rollback: '4' })]);
    expect(doc.fired).toEqual([]);
    expect(doc.due).toEqual([]);
    expect(watch.stderr).toContain('INCONCLUSIVE');
    expect(readFileSync(notified, 'utf8')).toContain('MIGRATE_WATCH_ACTION=inconclusive');
    expect(readState(state.path).steps['mid.4']?.status).toBe('failed');
    const audit = auditLines(state.path, ENV).filter((e) => Date.parse(String(e.time)) >= started);
    expect(audit.filter((e) => e.event === 'trigger-inconclusive')).toEqual([expect.objectContaining({ step: 'rollback.4' })]);
    expect(audit.filter((e) => e.event === 'trigger-fired')).toEqual([]);
  }, 60_000);

  it('Reval answering 401 for the scaled hour fires rollback 4 once; meanwhile (during mid) the write-refused check is active and passes', async () => {
    sandbox.proxy.setFaults({ incidents: ['reval-401'] });
    const watch = await cli(['watch', '--auto-rollback', '--yes', '--for', '150m', '--json'], env);
    expect(watch.code, watch.stderr).toBe(0);
    const doc = JSON.parse(watch.stdout) as WatchJson;
    expect(doc.fired).toEqual([expect.objectContaining({ rollback: '4', result: 'ok', how: 'auto' })]);
    // During mid (mid.2 applied, mid.5b not): the write-refused check holds, and passes.
    expect(doc.checks['usermanagement-write-refused']?.outcome).toBe('success');
    expect(doc.triggers.find((t) => t.rollback === '4')?.state).toMatch(/fired|rolled-back/);
    // Rollback 3 ran as rollback 4's chain: its row says so, not "after 5m failing".
    expect(doc.triggers.find((t) => t.rollback === '3')?.state).toBe('rolled-back');
    expect(readState(state.path).rollbacks).toMatchObject({ '4': { status: 'applied' }, '3': { status: 'applied' } });
  }, 60_000);

  it('after a full cutover (mid again, with Reval healthy) the watch shows no failing check: write-refused is not active', async () => {
    sandbox.proxy.setFaults({});
    const mid = await cli(['run', 'mid', '--yes'], env);
    expect(mid.code, mid.stderr).toBe(0);
    const watch = await cli(['watch', '--for', '30s', '--json'], env);
    expect(watch.code, watch.stderr).toBe(0);
    const doc = JSON.parse(watch.stdout) as WatchJson;
    expect(doc.checks['usermanagement-write-refused']?.outcome).toBe('inactive');
    for (const [name, check] of Object.entries(doc.checks))
      if (name !== 'usermanagement-write-refused') expect([name, check.outcome]).toEqual([name, 'success']);
    expect(watch.stderr).not.toMatch(/FAILING/);
    expect(doc.due).toEqual([]);
  }, 90_000);

  it('a CloudWatch alarm in ALARM for the trigger window fires its rollback', async () => {
    const { CloudWatchClient, PutMetricAlarmCommand, SetAlarmStateCommand } = await import('@aws-sdk/client-cloudwatch');
    const cw = new CloudWatchClient(sandboxClientConfig(sandbox.moto.url));
    await cw.send(
      new PutMetricAlarmCommand({
        AlarmName: 'reval-5xx',
        Namespace: 'AWS/ApiGateway',
        MetricName: '5XXError',
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      }),
    );
    await cw.send(
      new SetAlarmStateCommand({ AlarmName: 'reval-5xx', StateValue: 'ALARM', StateReason: 'Reval answers 5xx (set by the test)' }),
    );
    cw.destroy();
    // The TIS runbook with Reval judged by its alarm: rollback 4 after 10m in ALARM.
    const alarmed = join(state.path, 'alarmed.yaml');
    writeFileSync(
      alarmed,
      readFileSync(RUNBOOK, 'utf8')
        .replace('checks:\n', 'checks:\n  reval-alarm:\n    type: cloudwatch.alarm\n    with: { alarmName: reval-5xx }\n    interval: 1m\n')
        .replace('trigger: { check: reval, failingFor: 1h }', 'trigger: { check: reval-alarm, failingFor: 10m }'),
    );
    const watch = await cli(['watch', '--runbook', alarmed, '--auto-rollback', '--yes', '--for', '40m', '--json'], env);
    expect(watch.code, watch.stderr).toBe(0);
    const doc = JSON.parse(watch.stdout) as WatchJson;
    expect(doc.fired).toEqual([expect.objectContaining({ rollback: '4', result: 'ok', how: 'auto' })]);
    expect(readState(state.path).steps['mid.4']?.status).toBe('rolled-back');
  }, 90_000);

  for (const cols of [80, 60]) {
    it(`in a ${cols}-column terminal the watch never writes a line wider than the screen, and the screen holds one table`, async () => {
      sandbox.proxy.setFaults({ incidents: ['reval-down'] });
      const spec = {
        argv: [process.execPath, BIN, 'watch', '--for', '60m'],
        env: { ...env, TERM: 'xterm-256color', CI: '' },
        cwd: ROOT,
        timeout: 40,
        cols,
        rows: 30,
        raw: true,
        script: [],
      };
      const { stdout } = await run(PYTHON, [DRIVER, JSON.stringify(spec)], { maxBuffer: 64 * 1024 * 1024 });
      const result = JSON.parse(stdout) as { exitCode: number | null; raw: string; output: string; error: string | null };
      expect(result.error, result.output).toBeNull();
      expect(result.exitCode, result.output).toBe(0);
      const screen = emulate(result.raw, cols, 30);
      expect(screen.overflow, result.output).toEqual([]);
      const tables = screen.lines.filter((line) => /^\s+check\s+state/.test(line));
      expect(tables, screen.lines.join('\n')).toHaveLength(1);
      expect(screen.lines.join('\n')).toMatch(/watch ended \(--for has passed\)/);
    }, 60_000);
  }
});

/**
 * Enough of a terminal to judge the watch's drawing: printable characters, CR, LF, cursor up by
 * lines (ESC[nF, ESC[nA), erase below (ESC[J) and line (ESC[K); colours ignored. `overflow` lists
 * the lines that reached the last column and would wrap.
 */
function emulate(raw: string, cols: number, rows: number): { lines: string[]; overflow: string[] } {
  const lines: string[] = [''];
  let row = 0;
  let col = 0;
  const overflow: string[] = [];
  const put = (ch: string) => {
    const line = (lines[row] ?? '').padEnd(col, ' ');
    lines[row] = line.slice(0, col) + ch + line.slice(col + 1);
    col += 1;
    if (col >= cols) overflow.push(lines[row]!);
  };
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\x1b') {
      // biome-ignore lint/suspicious/noControlCharactersInRegex: terminal escape sequences are what this reads
      const m = /^\x1b\[([0-9;?]*)([ -/]*)([@-~])/.exec(raw.slice(i));
      if (!m) continue;
      i += m[0].length - 1;
      const n = Number(m[1] || '1');
      if (m[3] === 'F' || m[3] === 'A') {
        row = Math.max(0, row - n);
        if (m[3] === 'F') col = 0;
      } else if (m[3] === 'J') {
        lines[row] = (lines[row] ?? '').slice(0, col);
        lines.length = row + 1;
      } else if (m[3] === 'K') {
        lines[row] = (lines[row] ?? '').slice(0, col);
      } else if (m[3] === 'G') {
        col = n - 1;
      }
      continue;
    }
    if (ch === '\r') col = 0;
    else if (ch === '\n') {
      row += 1;
      if (lines[row] === undefined) lines[row] = '';
    } else if (ch === '\x07') continue;
    else if (ch >= ' ') put(ch);
  }
  // What is on the screen: its last rows.
  return { lines: lines.slice(-rows), overflow };
}
