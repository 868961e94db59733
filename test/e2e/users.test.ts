import { existsSync, mkdirSync, readFileSync, renameSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';
import { ListUsersCommand, CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Sandbox } from '../../src/sandbox/sandbox.js';
import { kcUser, writeRealmExport } from '../users/helpers.js';
import { auditLines, cli, runbookCopy, sandboxEnv, spawnCli, tempDir, sandboxPool } from './helpers.js';

// The two describes' sandboxes, one after the other, on one moto server (reset in between).
const pool = sandboxPool();
afterAll(() => pool.stop());

/** Issue 16 and issue 11 item 5: `migrate users` as an operator runs it, against the sandbox. */
describe('migrate users against the sandbox', () => {
  let sandbox: Sandbox;
  const dir = tempDir('migrate-users-e2e-');

  beforeAll(async () => {
    sandbox = await pool.start({ timeScale: 600 });
  });
  afterAll(async () => {
    await sandbox?.stop();
    dir.remove();
  });

  /** The repository runbook with the users section's rate and concurrency replaced. */
  function book(name: string, rate: number, concurrency: number): string {
    return runbookCopy(dir.path, [['  rate: 40\n  concurrency: 8', `  rate: ${rate}\n  concurrency: ${concurrency}`]], `${name}.yaml`);
  }

  async function poolUsers(): Promise<string[]> {
    const client = new CognitoIdentityProviderClient({
      endpoint: sandbox.moto.url,
      region: 'eu-west-2',
      credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    });
    const names: string[] = [];
    let token: string | undefined;
    do {
      const out = await client.send(
        new ListUsersCommand({ UserPoolId: sandbox.ids.newPoolId, Limit: 60, ...(token ? { PaginationToken: token } : {}) }),
      );
      // The sandbox pool signs in by email alias: its usernames are UUIDs, the email is the user.
      for (const u of out.Users ?? []) names.push(u.Attributes?.find((a) => a.Name === 'email')?.Value ?? u.Username ?? '');
      token = out.PaginationToken;
    } while (token);
    client.destroy();
    return names;
  }

  it('without --invite or --no-password-ok, sync refuses (exit 2) with the count and creates nobody; 3 service accounts are skipped and counted', async () => {
    const exportFile = join(dir.path, 'with-service-accounts.json');
    await writeRealmExport(exportFile, 8, (i) => {
      if (i === 1) return kcUser(i, { username: 'service-account-admins-ui', email: undefined, serviceAccountClientId: 'admins-ui' });
      if (i === 4) return kcUser(i, { username: 'service-account-reval', serviceAccountClientId: 'reval' });
      if (i === 6) return kcUser(i, { username: 'service-account-tis-sync', email: 'tis-sync@example.nhs.uk' });
      return kcUser(i, { groups: [] });
    });
    const state = join(dir.path, 'state-pw');
    const env = sandboxEnv(sandbox, state);
    const rb = book('pw', 200, 8);

    const dry = await cli(['--runbook', rb, 'users', 'sync', '--export', exportFile, '--dry-run'], env);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain(`Would create 5 users in user pool ${sandbox.ids.newPoolId}. 5 of them would have no password`);
    expect(dry.stdout).toContain('3 Keycloak service accounts skipped');
    expect(dry.stdout).not.toContain('would create service-account');

    const refused = await cli(['--runbook', rb, 'users', 'sync', '--export', exportFile, '--yes'], env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      `error: users sync would create 5 users with no password in user pool ${sandbox.ids.newPoolId}; nothing was changed`,
    );
    expect(refused.stderr).toMatch(/--invite .* or --no-password-ok/);
    expect(await poolUsers()).toEqual([]);

    const done = await cli(['--runbook', rb, 'users', 'sync', '--export', exportFile, '--yes', '--no-password-ok'], env);
    expect(done.stderr).not.toContain('error');
    expect(done.code).toBe(0);
    expect(done.stdout).toMatch(/created 5, .* 5 of them have no password: .*3 Keycloak service accounts skipped/);
    expect((await poolUsers()).sort()).toEqual([0, 2, 3, 5, 7].map((i) => `user${i}@example.nhs.uk`));
  }, 60_000);

  it('an audit log that becomes unwritable mid-sync stops it (exit 1, a clear error); fixed and resumed, no audit line is lost and nobody is created twice', async () => {
    const exportFile = join(dir.path, 'audit.json');
    const count = 80;
    await writeRealmExport(exportFile, count, (i) => kcUser(i + 100, { groups: [] }));
    const state = join(dir.path, 'state-audit');
    const env = sandboxEnv(sandbox, state);
    const rb = book('audit', 25, 4);
    const audit = join(state, 'sandbox', 'audit.jsonl');
    const before = new Set(await poolUsers());

    const run = spawnCli(['--runbook', rb, 'users', 'sync', '--export', exportFile, '--yes', '--no-password-ok'], env);
    // Once some users are recorded, the file is swapped for a directory: every append now fails (EISDIR), even as root.
    const started = Date.now();
    while (Date.now() - started < 20_000) {
      if (
        existsSync(audit) &&
        readFileSync(audit, 'utf8')
          .split('\n')
          .filter((l) => l.includes('"users.create"')).length >= 10
      )
        break;
      await new Promise((r) => setTimeout(r, 10));
    }
    renameSync(audit, `${audit}.aside`);
    mkdirSync(audit);
    const first = await run.done;
    expect(first.code).toBe(1);
    expect(first.stderr).toContain(`error: the audit log ${audit} could not be written (EISDIR); users sync stopped`);
    expect(first.stderr).toContain(`${audit}.pending`);
    expect(first.stderr).not.toMatch(/^\s+at /m);
    const createdFirst = (await poolUsers()).filter((u) => !before.has(u)).length;
    expect(createdFirst).toBeGreaterThan(0);
    expect(createdFirst).toBeLessThan(count);

    rmdirSync(audit);
    renameSync(`${audit}.aside`, audit);
    const second = await cli(['--runbook', rb, 'users', 'sync', '--export', exportFile, '--yes', '--no-password-ok'], env);
    expect(second.stderr).toContain('note: wrote');
    expect(second.code).toBe(0);

    const created = (await poolUsers()).filter((u) => !before.has(u));
    expect(created).toHaveLength(count);
    const lines = auditLines(state).filter((l) => l.event === 'users.create' || l.event === 'users.exists');
    const perUser = new Map<string, number>();
    for (const l of lines) perUser.set(String(l.username), (perUser.get(String(l.username)) ?? 0) + 1);
    expect(lines.filter((l) => l.event === 'users.exists')).toEqual([]);
    expect([...perUser.keys()].sort()).toEqual([...created].sort());
    expect([...perUser.values()].every((n) => n === 1)).toBe(true);
    expect(existsSync(`${audit}.pending`)).toBe(false);
  }, 90_000);
});

describe('users sync under heavy throttling', () => {
  let sandbox: Sandbox;
  const dir = tempDir('migrate-users-throttle-');
  beforeAll(async () => {
    sandbox = await pool.start({ timeScale: 600, faults: { throttle: 0.5 }, seed: 7 });
  });
  afterAll(async () => {
    await sandbox?.stop();
    dir.remove();
  });

  it('at 50% throttling, 2,000 users converge in one run with no duplicate', async () => {
    const exportFile = join(dir.path, 'big.json');
    const count = 2000;
    await writeRealmExport(exportFile, count, (i) => kcUser(i, { groups: [], attributes: {} }));
    const rb = runbookCopy(dir.path, [['  rate: 40\n  concurrency: 8', '  rate: 1000\n  concurrency: 16']]);
    const state = join(dir.path, 'state');
    const result = await cli(
      ['--runbook', rb, 'users', 'sync', '--export', exportFile, '--yes', '--no-password-ok'],
      sandboxEnv(sandbox, state),
    );
    expect(result.stderr).not.toMatch(/FAILED|error:/);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(new RegExp(`created ${count}, already existed 0, .* 0 failed`));
    const throttled = sandbox.proxy.requests.filter((r) => r.injected === 'throttle').length;
    expect(throttled).toBeGreaterThan(count / 2);
    const creates = auditLines(state).filter((l) => l.event === 'users.create');
    expect(creates).toHaveLength(count);
    expect(new Set(creates.map((l) => l.username)).size).toBe(count);
  }, 240_000);
});
