import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { snapshotEstate } from '../../src/sandbox/estate.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { RUNBOOK, appliedWrites, auditLines, cli, lockExists, sandboxEnv, statePath, tempDir } from './helpers.js';

type Planned = Extract<EngineEvent, { kind: 'step-planned' }>;

/**
 * Issue 3: what must not write. A refused run (no terminal, no --yes), `run --dry-run`, `plan` and
 * `rollback --dry-run` send no write to AWS (the sandbox proxy logs every request) and leave the
 * state file as it was, byte for byte; the previews show the diff of every step that would change.
 */
describe('commands that must not write', () => {
  let sandbox: Sandbox;
  const state = tempDir();
  let env: NodeJS.ProcessEnv;
  const migrate = (...args: string[]) => cli(['--runbook', RUNBOOK, ...args], env);
  const stateBytes = () => readFileSync(statePath(state.path, 'sandbox'));

  /** Runs `fn` and returns the proxy's log of what it sent. */
  async function logged<T>(fn: () => Promise<T>) {
    const mark = sandbox.proxy.requests.length;
    const result = await fn();
    return { result, requests: sandbox.proxy.requests.slice(mark) };
  }

  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600 });
    env = sandboxEnv(sandbox, state.path);
    const pre = await migrate('run', 'pre', '--yes');
    expect(pre.code, pre.stderr).toBe(0);
  });
  afterAll(async () => {
    await sandbox?.stop();
    state.remove();
  });

  it('run mid with no terminal and no --yes refuses (exit 4) before anything is sent or recorded', async () => {
    const before = stateBytes();
    const { result, requests } = await logged(() => migrate('run', 'mid'));
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(/no terminal to confirm/);
    expect(result.stderr).toMatch(/--yes/);
    expect(result.stderr).toMatch(/terminal/);
    expect(appliedWrites(requests)).toEqual([]);
    expect(requests.filter((r) => r.write)).toEqual([]);
    expect(stateBytes().equals(before)).toBe(true);
    expect(lockExists(state.path)).toBe(false);
  });

  it('run mid --dry-run and plan mid show every change and write nothing', async () => {
    const before = stateBytes();
    const estate = await snapshotEstate(sandbox.moto.url, sandbox.ids);

    const json = await logged(() => migrate('plan', 'mid', '--json'));
    const dry = await logged(() => migrate('run', 'mid', '--dry-run'));
    const plan = await logged(() => migrate('plan', 'mid'));
    for (const { result, requests } of [json, dry, plan]) {
      expect(result.code, result.stderr).toBe(0);
      // The previews read live state ...
      expect(requests.some((r) => r.service === 'route53' && !r.write)).toBe(true);
      // ... and send no write at all.
      expect(requests.filter((r) => r.write)).toEqual([]);
    }
    expect(stateBytes().equals(before)).toBe(true);
    expect(await snapshotEstate(sandbox.moto.url, sandbox.ids)).toEqual(estate);
    expect(lockExists(state.path)).toBe(false);

    const doc = JSON.parse(json.result.stdout) as {
      dryRun: boolean;
      summary: { wouldChange: string[]; noop: string[] };
      events: EngineEvent[];
    };
    expect(doc.dryRun).toBe(true);
    // mid 5b lifts the restriction mid 2 would add: the whole-phase plan shows it as the run does it
    // (issue 10; it was "noop" when each step was planned against today's live state alone).
    expect(doc.summary).toMatchObject({ wouldChange: ['mid.1', 'mid.2', 'mid.3', 'mid.4', 'mid.5a', 'mid.5b'], noop: [] });
    const planned = new Map(doc.events.filter((e): e is Planned => e.kind === 'step-planned').map((e) => [e.ref, e]));
    const fields = (ref: string) => (planned.get(ref)?.diff ?? []).map((line) => line.slice(0, line.indexOf(':')));
    expect(fields('mid.1')).toEqual(['confirmed']);
    expect(fields('mid.2')).toEqual(expect.arrayContaining(['policy', 'deploymentId']));
    expect(fields('mid.3')).toEqual(expect.arrayContaining(['Type', 'TTL', 'ResourceRecords[0].Value', 'AliasTarget.DNSName']));
    expect(fields('mid.4')).toEqual(expect.arrayContaining(['providerARNs', 'deploymentId']));
    expect(fields('mid.5a')).toEqual(expect.arrayContaining(['variables.authenticationProvider', 'variables.cognitoUserPoolId']));
    expect(planned.get('mid.3')?.summary).toMatch(/first lowers the TTL 300s -> 60s/);
    expect(planned.get('mid.4')?.diff.join('\n')).toContain(sandbox.ids.newPoolArn);
    // The resource policy mid 2 would put on the API is shown whole, its Deny of the write methods
    // included, rather than one line of escaped JSON cut off after 160 characters.
    const policy = planned.get('mid.2')?.diff ?? [];
    expect(policy.join('\n')).not.toContain('…');
    expect(policy).toEqual(
      expect.arrayContaining([
        'policy.Statement[1].Effect: (none) -> "Deny"',
        'policy.Statement[1].Resource: (none) -> ["execute-api:/sandbox/POST/*","execute-api:/sandbox/PUT/*","execute-api:/sandbox/PATCH/*","execute-api:/sandbox/DELETE/*"]',
      ]),
    );

    // Both plain previews print the summary and every diff line of every step that would change.
    for (const { result } of [dry, plan]) {
      expect(result.stdout).toMatch(/DRY RUN \(read-only\)/);
      for (const event of planned.values()) {
        expect(result.stdout).toContain(event.summary);
        for (const line of event.diff) expect(result.stdout).toContain(line);
      }
      expect(result.stdout).toMatch(/^done: 6 would change$/m);
    }
    // The audit log records that dry runs happened, and nothing else.
    const audit = auditLines(state.path).filter((l) => l.command === 'plan mid');
    expect(audit.map((l) => l.event)).toEqual([
      'dry-run-start',
      'dry-run-end',
      'dry-run-start',
      'dry-run-end',
      'dry-run-start',
      'dry-run-end',
    ]);
    expect(audit.every((l) => l.dryRun === true)).toBe(true);
  });

  it('rollback 3 --dry-run after a real mid shows the way back and writes nothing', async () => {
    const mid = await migrate('run', 'mid', '--yes');
    expect(mid.code, mid.stderr).toBe(0);
    const before = stateBytes();
    const estate = await snapshotEstate(sandbox.moto.url, sandbox.ids);

    const { result, requests } = await logged(() => migrate('rollback', '3', '--dry-run'));
    expect(result.code, result.stderr).toBe(0);
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.filter((r) => r.write)).toEqual([]);
    expect(stateBytes().equals(before)).toBe(true);
    expect(await snapshotEstate(sandbox.moto.url, sandbox.ids)).toEqual(estate);
    expect(result.stdout).toMatch(/DRY RUN \(read-only\)/);
    expect(result.stdout).toMatch(/~ mid\.3 would change/);
    expect(result.stdout).toContain('restore mid.3 to its state before migrate');
    expect(result.stdout).toMatch(/^\s+Type: "A" -> "CNAME"$/m);
    expect(result.stdout).toMatch(/^\s+TTL: .* -> 300$/m);
    expect(result.stdout).toMatch(/^\s+ResourceRecords\[0\]\.Value: \(none\) -> "admins-ui-origin\.tis\.nhs\.uk"$/m);
    expect(result.stdout).toContain(`AliasTarget.DNSName: "${sandbox.ids.adminsDistributionDomain}" -> (none)`);
  });
});
