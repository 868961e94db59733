import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { appliedWrites, auditLines, cli, readState, runbookCopy, sandboxEnv, tempDir } from '../e2e/helpers.js';

/** A second AWS identity in the sandbox's IAM: a user and an access key that STS then names. */
async function secondIdentity(motoUrl: string, name: string): Promise<{ accessKeyId: string; secretAccessKey: string }> {
  const call = async (params: Record<string, string>) => {
    const res = await fetch(motoUrl, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: 'AWS4-HMAC-SHA256 Credential=testing/20260101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: new URLSearchParams({ Version: '2010-05-08', ...params }),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`IAM ${params.Action}: ${res.status} ${text}`);
    return text;
  };
  await call({ Action: 'CreateUser', UserName: name });
  const key = await call({ Action: 'CreateAccessKey', UserName: name });
  return { accessKeyId: /<AccessKeyId>([^<]+)</.exec(key)![1]!, secretAccessKey: /<SecretAccessKey>([^<]+)</.exec(key)![1]! };
}

/** Issue 14: with approvals: { required: 1 }, a run needs a saved plan that a second identity approved. */
describe('approvals of saved plans', () => {
  let sandbox: Sandbox;
  const state = tempDir('migrate-approve-');
  let env: NodeJS.ProcessEnv;
  let approverEnv: NodeJS.ProcessEnv;
  let runbook: string;
  const plan = () => join(state.path, 'mid.plan');
  const as = (e: NodeJS.ProcessEnv, ...args: string[]) => cli(['--runbook', runbook, ...args], e);

  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600 });
    env = sandboxEnv(sandbox, state.path);
    const key = await secondIdentity(sandbox.moto.url, 'approver');
    approverEnv = { ...env, AWS_ACCESS_KEY_ID: key.accessKeyId, AWS_SECRET_ACCESS_KEY: key.secretAccessKey };
    runbook = runbookCopy(state.path, [
      ['    description: The built-in sandbox', '    approvals: { required: 1 }\n    description: The built-in sandbox'],
    ]);
  });
  afterAll(async () => {
    await sandbox?.stop();
    state.remove();
  });

  it('run without a saved plan exits 4, and --yes does not change that', async () => {
    const mark = sandbox.proxy.requests.length;
    const r = await as(env, 'run', 'mid', '--yes');
    expect(r.code, r.stderr).toBe(4);
    expect(r.stderr).toMatch(/env sandbox needs an approved plan: 1 approval by someone other than its author and its runner/);
    expect(appliedWrites(sandbox.proxy.requests.slice(mark))).toEqual([]);
  });

  it('a saved plan without an approval exits 4; its author cannot approve it', async () => {
    const saved = await as(env, 'plan', 'mid', '--out', plan());
    expect(saved.code, saved.stderr).toBe(0);
    const unapproved = await as(env, 'run', 'mid', '--plan', plan(), '--yes');
    expect(unapproved.code, unapproved.stderr).toBe(4);
    expect(unapproved.stderr).toMatch(/has 0 of the 1 approval env sandbox needs/);

    const self = await as(env, 'approve', plan());
    expect(self.code).toBe(4);
    expect(self.stderr).toMatch(/you \(arn:aws:sts::000000000000:user\/moto\) planned .*mid\.plan: its author cannot approve it/);

    const status = await as(env, 'status');
    expect(status.stdout).toMatch(/^saved plans {2}run needs 1 approval of a saved plan$/m);
    expect(status.stdout).toMatch(/^ {2}mid {3}[0-9a-f]{12} {2}pending approval \(0 of 1\)/m);
  });

  it('a second identity approves; the approver cannot run it on that approval; the author then runs it', async () => {
    const ok = await as(approverEnv, 'approve', plan(), '--comment', 'CAB-1234: go for 19:00');
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^approved .*mid\.plan .* as arn:aws:iam::000000000000:user\/approver: "CAB-1234: go for 19:00"$/m);

    const status = await as(env, 'status', '--json');
    const doc = JSON.parse(status.stdout) as {
      approvals: { required: number; plans: { state: string; approvals: { identity: string; comment: string }[] }[] };
    };
    expect(doc.approvals.required).toBe(1);
    expect(doc.approvals.plans[0]).toMatchObject({
      state: 'approved',
      approvals: [{ identity: 'arn:aws:iam::000000000000:user/approver', comment: 'CAB-1234: go for 19:00' }],
    });

    const byApprover = await as(approverEnv, 'run', 'mid', '--plan', plan(), '--yes');
    expect(byApprover.code, byApprover.stderr).toBe(4);
    expect(byApprover.stderr).toMatch(/not counted: arn:aws:iam::000000000000:user\/approver .*\(the runner\)/);

    const run = await as(env, 'run', 'mid', '--plan', plan(), '--yes');
    expect(run.code, run.stderr).toBe(0);
    expect(readState(state.path).steps['mid.4']?.status).toBe('applied');
    // The whole-phase plan foresaw mid.5b lifting what mid.2 adds: the run did what the plan said.
    expect(auditLines(state.path).filter((l) => l.event === 'plan-deviation')).toEqual([]);

    const log = await as(env, 'log');
    expect(log.stdout).toMatch(/run-refused phase\.mid no-approved-plan/);
    expect(log.stdout).toMatch(/approve-refused phase\.mid refused/);
    expect(log.stdout).toMatch(/approved phase\.mid approved .*arn:aws:iam::000000000000:user\/approver/);
    const events = auditLines(state.path).map((l) => l.event);
    expect(events).toEqual(
      expect.arrayContaining(['plan-saved', 'run-refused', 'approve-refused', 'approved', 'approval-checked', 'run-plan']),
    );

    // The change record carries the plan, its approval and the refusals before it.
    const record = await as(env, 'report', '--format', 'md');
    expect(record.stdout).toMatch(
      /^\| .* \| mid \| [0-9a-f]{12} \| mid\.1 mid\.2 mid\.3 mid\.4 mid\.5a mid\.5b \| .*arn:aws:iam::000000000000:user\/approver.*: "CAB-1234: go for 19:00" \|$/m,
    );
    for (const event of ['run-refused', 'approve-refused', 'run-plan']) expect(record.stdout).toContain(`| ${event} |`);
  });
});
