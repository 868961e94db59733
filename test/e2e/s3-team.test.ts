import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { snapshotEstate, type EstateSnapshot } from '../../src/sandbox/estate.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, PYTHON, ROOT, RUNBOOK, baseEnv, cli, spawnCli, tempDir } from './helpers.js';

/**
 * Issue 13: one cutover shared by two "machines" (own working directory, own HOME, no shared
 * folder) through the sandbox's S3 state bucket, over real HTTP.
 */
const PTY = join(ROOT, 'test/e2e/fixtures/pty_session.py');
const ENTER = '\r';

let sandbox: Sandbox;
const root = tempDir('migrate-team-');
let bucketUrl: string;

interface Machine {
  name: string;
  cwd: string;
  env(prefix: string, extra?: NodeJS.ProcessEnv): NodeJS.ProcessEnv;
  migrate(prefix: string, ...args: string[]): ReturnType<typeof cli>;
}

function machine(name: string): Machine {
  const dir = join(root.path, name);
  const cwd = join(dir, 'work');
  mkdirSync(join(dir, 'home'), { recursive: true });
  mkdirSync(cwd, { recursive: true });
  // The runbook beside the operator's working directory: its default .migrate/ would be here.
  copyFileSync(RUNBOOK, join(cwd, 'cognito-migration.yaml'));
  const env = (prefix: string, extra: NodeJS.ProcessEnv = {}) => {
    const e = baseEnv({
      ...sandbox.exports,
      HOME: join(dir, 'home'),
      MIGRATE_STATE: `${bucketUrl}-${prefix}`,
      MIGRATE_RUNBOOK: 'cognito-migration.yaml',
    });
    delete e.MIGRATE_STATE_DIR;
    delete e.XDG_CACHE_HOME;
    return { ...e, ...extra };
  };
  return { name, cwd, env, migrate: (prefix, ...args) => cli(args, env(prefix), { cwd }) };
}

/** Every file under a machine's folder except its runbook and the runbook summary cache in HOME. */
function stateFilesOf(m: Machine): string[] {
  const dir = join(m.cwd, '..');
  const out: string[] = [];
  const walk = (d: string) => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const path = join(d, entry.name);
      if (entry.isDirectory()) walk(path);
      else out.push(relative(dir, path));
    }
  };
  walk(dir);
  return out.filter((f) => f !== 'work/cognito-migration.yaml' && !f.startsWith('home/.cache/migrate/'));
}

/** `migrate` in a pseudo-terminal, driven prompt by prompt; it can be left waiting at one. */
class Terminal {
  private child: ChildProcess;
  private out = '';
  private waiters: (() => void)[] = [];
  readonly done: Promise<{ exitCode: number | null; signal: number | null; output: string }>;
  pid = 0;

  constructor(args: string[], env: NodeJS.ProcessEnv, cwd: string) {
    const spec = { argv: [process.execPath, BIN, ...args], env: { ...env, TERM: 'xterm-256color', CI: '' }, cwd };
    this.child = spawn(PYTHON, [PTY, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdout!.setEncoding('utf8');
    this.child.stdout!.on('data', (chunk: string) => {
      this.out += chunk;
      for (const w of this.waiters.splice(0)) w();
    });
    this.done = new Promise((resolve) =>
      this.child.on('close', () =>
        resolve(JSON.parse(this.out.trim().split('\n').at(-1)!) as { exitCode: number | null; signal: number | null; output: string }),
      ),
    );
  }

  private async line(pattern: RegExp): Promise<string> {
    for (;;) {
      const found = this.out.split('\n').find((l) => pattern.test(l));
      if (found !== undefined) return found;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  async started(): Promise<number> {
    this.pid = Number((await this.line(/^PID \d+/)).slice(4));
    return this.pid;
  }

  /** Waits for `expect` on the screen, then types `send`. */
  async answer(expect: string, send = ENTER): Promise<void> {
    const before = this.out.split('\n').filter((l) => /^(MATCHED|TIMEOUT|ENDED)/.test(l)).length;
    this.child.stdin!.write(`${JSON.stringify({ expect, send, timeout: 30 })}\n`);
    for (;;) {
      const results = this.out.split('\n').filter((l) => /^(MATCHED|TIMEOUT|ENDED)/.test(l));
      if (results.length > before) {
        if (results[before] !== 'MATCHED') throw new Error(`waiting for ${expect}: ${results[before]}`);
        return;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }
}

interface StatusDoc {
  lock: { pid: number; host: string; command: string; lockId: string; stale: boolean; identity?: string } | null;
  backend: { kind: string; bucket: string; prefix: string; versioning: string };
  steps: { ref: string; status: string }[];
}

async function statusOf(m: Machine, prefix: string): Promise<StatusDoc> {
  const result = await m.migrate(prefix, 'status', '--json');
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as StatusDoc;
}

const stepStatus = (doc: StatusDoc, ref: string) => doc.steps.find((s) => s.ref === ref)?.status;
const dnsAndReval = (s: EstateSnapshot) => ({ apps: s.appsRecordSets, reval: s.revalProviderArns });
const MID_PROMPTS = [
  String.raw`Done: mid\.1 `,
  String.raw`Apply mid\.2 `,
  String.raw`Apply mid\.3 `,
  String.raw`Apply mid\.4 `,
  String.raw`Apply mid\.5a `,
  String.raw`Apply mid\.5b `,
];

let a: Machine;
let b: Machine;
let afterMid: EstateSnapshot;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 600 });
  bucketUrl = sandbox.exports.MIGRATE_SANDBOX_STATE_URL!;
  a = machine('a');
  b = machine('b');
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  root.remove();
});

describe('team state in the sandbox S3 bucket', () => {
  it('the sandbox prints MIGRATE_SANDBOX_STATE_URL (not MIGRATE_STATE) for a versioned bucket', async () => {
    expect(bucketUrl).toMatch(/^s3:\/\/[a-z0-9.-]+\/\w+/);
    expect(sandbox.exports.MIGRATE_STATE).toBeUndefined();
    const doc = await statusOf(b, 'versioned');
    expect(doc.backend).toMatchObject({ kind: 's3', versioning: 'Enabled' });
    const text = await b.migrate('versioned', 'status');
    expect(text.stdout).toMatch(/state: S3 bucket migrate-sandbox-state, prefix cutover-versioned/);
    expect(text.stdout).not.toMatch(/versioning is/);
  });

  it("A holds the lock at a prompt in run mid; B sees its progress and holder, is refused (exit 3), then rolls back from A's checkpoints", async () => {
    const pre = await a.migrate('shared', 'run', 'pre', '--yes');
    expect(pre.code, pre.stderr).toBe(0);
    const beforeMid = await snapshotEstate(sandbox.moto.url, sandbox.ids);

    const run = new Terminal(['run', 'mid'], a.env('shared'), a.cwd);
    const pid = await run.started();
    for (const prompt of MID_PROMPTS.slice(0, 3)) await run.answer(prompt);
    // A has applied mid.1 to mid.3 and waits at mid.4's prompt, holding the lock.
    await run.answer(MID_PROMPTS[3]!, '');

    const seen = await statusOf(b, 'shared');
    expect(seen.lock).toMatchObject({ pid, command: 'run mid', stale: false });
    expect(seen.lock?.identity).toMatch(/^arn:aws:sts::000000000000:/);
    expect(['mid.1', 'mid.2', 'mid.3', 'mid.4'].map((ref) => stepStatus(seen, ref))).toEqual(['applied', 'applied', 'applied', 'pending']);
    expect(stepStatus(seen, 'pre.6')).toBe('applied');

    const refused = await b.migrate('shared', 'run', 'mid', '--yes');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toContain(`environment "sandbox" is locked by arn:aws:sts::000000000000:`);
    expect(refused.stderr).toContain(`pid ${pid} on `);
    expect(refused.stderr).toContain(`lock id ${seen.lock!.lockId}`);

    // The prompt is still waiting for mid.4: answer it and the rest.
    await run.answer('', ENTER);
    for (const prompt of MID_PROMPTS.slice(4)) await run.answer(prompt);
    const finished = await run.done;
    expect(finished.exitCode, finished.output.slice(-3000)).toBe(0);
    afterMid = await snapshotEstate(sandbox.moto.url, sandbox.ids);
    expect(afterMid.revalProviderArns).toEqual([sandbox.ids.newPoolArn]);
    expect((await statusOf(b, 'shared')).lock).toBeNull();

    const rollback = await b.migrate('shared', 'rollback', '4', '--yes');
    expect(rollback.code, rollback.stderr).toBe(0);
    expect(rollback.stdout).toMatch(/↺ mid\.4 rolled back/);
    expect(rollback.stdout).toMatch(/↺ mid\.3 rolled back/);
    // What rollback 4 undoes (Reval's authorizer, then DNS by rollback 3) is exactly as before mid.
    expect(dnsAndReval(await snapshotEstate(sandbox.moto.url, sandbox.ids))).toEqual(dnsAndReval(beforeMid));
    const after = await statusOf(a, 'shared');
    expect(['mid.3', 'mid.4'].map((ref) => stepStatus(after, ref))).toEqual(['rolled-back', 'rolled-back']);

    // One audit trail, both machines in it.
    const log = await a.migrate('shared', 'log', '--json');
    const events = (JSON.parse(log.stdout) as { events: { command: string; event: string; time: string }[] }).events;
    expect(events.some((e) => e.command === 'run mid' && e.event === 'run-end')).toBe(true);
    expect(events.some((e) => e.command === 'rollback 4' && e.event === 'rollback-end')).toBe(true);
    expect(events.map((e) => e.time)).toEqual([...events.map((e) => e.time)].sort());
  }, 120_000);

  it('kill -9 of A holding the lock: B sees it stale once the scaled lease runs out; unlock, then run mid converges', async () => {
    const run = new Terminal(['run', 'mid'], a.env('killed'), a.cwd);
    const pid = await run.started();
    for (const prompt of MID_PROMPTS.slice(0, 2)) await run.answer(prompt);
    await run.answer(MID_PROMPTS[2]!, '');
    process.kill(pid, 'SIGKILL');
    const killed = await run.done;
    expect(killed.signal).toBe(9);

    const first = await statusOf(b, 'killed');
    expect(first.lock).toMatchObject({ pid });
    // The lease is 5 min of plan time (2 s at scale 600): poll until it has run out.
    let doc = first;
    for (let i = 0; i < 100 && !doc.lock?.stale; i += 1) {
      await new Promise((r) => setTimeout(r, 200));
      doc = await statusOf(b, 'killed');
    }
    expect(doc.lock).toMatchObject({ pid, stale: true });
    const text = await b.migrate('killed', 'status');
    expect(text.stdout).toMatch(/STALE: its lease ran out/);
    const refused = await b.migrate('killed', 'run', 'mid', '--yes');
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/has a stale lock/);

    const unlock = await b.migrate('killed', 'unlock', '--lock-id', doc.lock!.lockId);
    expect(unlock.code, unlock.stderr).toBe(0);
    const again = await b.migrate('killed', 'run', 'mid', '--yes');
    expect(again.code, again.stderr).toBe(0);
    expect(await snapshotEstate(sandbox.moto.url, sandbox.ids)).toEqual(afterMid);
    const done = await statusOf(a, 'killed');
    expect(done.steps.filter((s) => s.ref.startsWith('mid.')).every((s) => s.status === 'applied' || s.status === 'noop')).toBe(true);
    // Back to before mid's switches, for the watch's turn.
    expect((await b.migrate('killed', 'rollback', '4', '--yes')).code).toBe(0);
  }, 120_000);

  it('watch --auto-rollback on B fires rollback 4 from the checkpoints A wrote', async () => {
    sandbox.proxy.setFaults({ incidents: ['reval-down'] });
    try {
      // A's mid stops at Reval's gate (mid.4 applied, its verify failing): the checkpoint is in S3.
      const mid = await a.migrate('watched', 'run', 'mid', '--yes');
      expect(mid.code).toBe(1);
      const watch = spawnCli(['watch', '--auto-rollback', '--yes', '--for', '120m'], b.env('watched'), { cwd: b.cwd });
      const result = await watch.done;
      expect(result.code, `${result.stdout}\n${result.stderr}`).toBe(0);
      expect(result.stdout).toContain('rollback 4 (auto-rollback)');
      const doc = await statusOf(a, 'watched');
      expect(stepStatus(doc, 'mid.4')).toBe('rolled-back');
      expect(stepStatus(doc, 'rollback.4')).toBe('applied');
      const live = await snapshotEstate(sandbox.moto.url, sandbox.ids);
      expect(live.revalProviderArns).toEqual([sandbox.ids.oldPoolArn]);
    } finally {
      sandbox.proxy.setFaults({});
    }
  }, 120_000);

  it('a corrupt or foreign state object is refused naming bucket and key, and left as it was', async () => {
    const s3 = await import('@aws-sdk/client-s3');
    const client = new s3.S3Client({
      endpoint: sandbox.moto.url,
      region: 'eu-west-2',
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const key = 'cutover-corrupt/sandbox/state.json';
    const body = '{"serial": 3, "lineage": "terraform"}';
    await client.send(new s3.PutObjectCommand({ Bucket: 'migrate-sandbox-state', Key: key, Body: body }));
    for (const args of [['status'], ['run', 'pre', '--yes']]) {
      const result = await b.migrate('corrupt', ...args);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(`s3://migrate-sandbox-state/${key} is not a migrate state document`);
    }
    const stored = await client.send(new s3.GetObjectCommand({ Bucket: 'migrate-sandbox-state', Key: key }));
    expect(await stored.Body!.transformToString()).toBe(body);
  }, 60_000);

  it('state push copies local state to S3 (refused a second time without --force); state pull brings it back', async () => {
    const local = join(a.cwd, '..', 'local-state');
    const pre = await cli(['run', 'pre', '--yes'], a.env('pushed', { MIGRATE_STATE: 'local', MIGRATE_STATE_DIR: local }), { cwd: a.cwd });
    expect(pre.code, pre.stderr).toBe(0);
    const push = await cli(['state', 'push'], a.env('pushed', { MIGRATE_STATE_DIR: local }), { cwd: a.cwd });
    expect(push.code, push.stderr).toBe(0);
    expect(push.stdout).toMatch(/copied 10 checkpoints, \d+ audit events/);
    const seen = await statusOf(b, 'pushed');
    expect(stepStatus(seen, 'pre.6')).toBe('applied');
    const twice = await cli(['state', 'push'], a.env('pushed', { MIGRATE_STATE_DIR: local }), { cwd: a.cwd });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toMatch(/already has state/);

    const pulled = join(b.cwd, '..', 'pulled');
    const pull = await cli(['state', 'pull'], b.env('pushed', { MIGRATE_STATE_DIR: pulled }), { cwd: b.cwd });
    expect(pull.code, pull.stderr).toBe(0);
    const localStatus = await cli(['status', '--json'], b.env('pushed', { MIGRATE_STATE: 'local', MIGRATE_STATE_DIR: pulled }), {
      cwd: b.cwd,
    });
    expect(stepStatus(JSON.parse(localStatus.stdout) as StatusDoc, 'pre.6')).toBe('applied');
    const log = await cli(['log', '--json'], b.env('pushed', { MIGRATE_STATE: 'local', MIGRATE_STATE_DIR: pulled }), { cwd: b.cwd });
    expect((JSON.parse(log.stdout) as { events: { event: string }[] }).events.some((e) => e.event === 'state-push')).toBe(true);
  }, 60_000);

  it('users sync keeps its batch checkpoint and its audit events in S3', async () => {
    const exportFile = join(root.path, 'realm-export.json');
    const user = (i: number) => ({
      id: `${i}`,
      username: `u${i}@example.nhs.uk`,
      email: `u${i}@example.nhs.uk`,
      firstName: 'F',
      lastName: 'L',
      enabled: true,
      emailVerified: true,
      attributes: {},
      groups: [],
    });
    writeFileSync(exportFile, JSON.stringify({ realm: 'lin', users: [user(1), user(2), user(3)] }));
    const sync = await b.migrate('users', 'users', 'sync', '--export', exportFile, '--yes', '--no-password-ok');
    expect(sync.code, sync.stderr).toBe(0);
    expect(sync.stdout).toContain('checkpoint s3://migrate-sandbox-state/cutover-users/sandbox/users-sync.json');
    const s3 = await import('@aws-sdk/client-s3');
    const client = new s3.S3Client({
      endpoint: sandbox.moto.url,
      region: 'eu-west-2',
      forcePathStyle: true,
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const stored = await client.send(
      new s3.GetObjectCommand({ Bucket: 'migrate-sandbox-state', Key: 'cutover-users/sandbox/users-sync.json' }),
    );
    expect(JSON.parse(await stored.Body!.transformToString())).toMatchObject({
      kind: 'migrate.users.sync',
      completed: expect.arrayContaining(['u1@example.nhs.uk', 'u2@example.nhs.uk', 'u3@example.nhs.uk']),
    });
    const log = JSON.parse((await a.migrate('users', 'log', '--json')).stdout) as { events: { event: string; result?: string }[] };
    expect(log.events.filter((e) => e.event === 'users-sync-end')).toEqual([expect.objectContaining({ result: 'ok' })]);
  }, 60_000);

  it('nothing of the shared cutovers was written to either machine', () => {
    // Only the folders the push/pull test asked for hold local state.
    expect(stateFilesOf(a).filter((f) => !f.startsWith('local-state/'))).toEqual([]);
    expect(stateFilesOf(b).filter((f) => !f.startsWith('pulled/'))).toEqual([]);
  });
});
