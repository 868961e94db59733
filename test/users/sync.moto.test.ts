import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  AdminListGroupsForUserCommand,
  CognitoIdentityProviderClient,
} from '@aws-sdk/client-cognito-identity-provider';
import { resolveUserPoolId, usersDiff, usersEnsure, usersSync, type UsersDeps } from '../../src/commands/users.js';
import { isRunbookError, type RunbookError } from '../../src/errors.js';
import type { DiffResult } from '../../src/users/diff.js';
import type { SyncProgress } from '../../src/users/types.js';
import { attr, capture, createPool, kcUser, listAll, mapping, writeRealmExport } from './helpers.js';
import { client, moto, tmp, useMotoCognito } from './moto-cognito.js';

useMotoCognito();

function deps(poolId: string, extra: Partial<UsersDeps> = {}): UsersDeps & { c: ReturnType<typeof capture>; progress: SyncProgress[] } {
  const c = capture();
  const progress: SyncProgress[] = [];
  return {
    cognito: client,
    mapping: mapping(),
    userPoolId: poolId,
    checkpointFile: join(tmp.dir, `${poolId}.checkpoint.json`),
    audit: c.audit,
    out: { ...c.out, progress: (p) => progress.push(p) },
    signal: new AbortController().signal,
    c,
    progress,
    ...extra,
  };
}

async function caught(p: Promise<unknown>): Promise<RunbookError> {
  try {
    await p;
  } catch (error) {
    if (isRunbookError(error)) return error;
    throw error;
  }
  throw new Error('expected a RunbookError');
}

/** 12 users: 0..11; user5 disabled; user7 has no email; user9 repeats user2's email in capitals. */
async function hostileExport(name: string): Promise<string> {
  const file = join(tmp.dir, name);
  await writeRealmExport(file, 12, (i) => {
    if (i === 5) return kcUser(i, { enabled: false, firstName: 'Zoë', lastName: 'Ó Briain' });
    if (i === 7) return kcUser(i, { email: undefined });
    if (i === 9) return kcUser(i, { email: ' USER2@Example.NHS.uk ' });
    return kcUser(i);
  });
  return file;
}

describe('users diff against moto', () => {
  it('reports missing, only-in-Cognito, differing and invalid rows, as a table and as JSON', async () => {
    const pool = await createPool(client, { groups: ['reval-admins', 'hee-admins'] });
    const exportFile = await hostileExport('diff.json');
    const create = (Username: string, attrs: Record<string, string>) =>
      client.send(
        new AdminCreateUserCommand({
          UserPoolId: pool,
          Username,
          MessageAction: 'SUPPRESS',
          UserAttributes: Object.entries(attrs).map(([Name, Value]) => ({ Name, Value })),
        }),
      );
    // user0 identical, user1 with another surname, user4 enabled in Keycloak but disabled here, stranger only in Cognito.
    await create('user0@example.nhs.uk', {
      email: 'user0@example.nhs.uk',
      email_verified: 'true',
      given_name: 'First0',
      family_name: 'Last0',
      'custom:dbc': '1-0AB,1-1RUZV1D',
    });
    await create('user1@example.nhs.uk', {
      email: 'user1@example.nhs.uk',
      given_name: 'First1',
      family_name: 'Other',
      'custom:dbc': '1-1AB,1-1RUZV1D',
    });
    await create('user4@example.nhs.uk', {
      email: 'user4@example.nhs.uk',
      email_verified: 'true',
      given_name: 'First4',
      family_name: 'Last4',
      'custom:dbc': '1-4AB,1-1RUZV1D',
    });
    await client.send(new AdminDisableUserCommand({ UserPoolId: pool, Username: 'user4@example.nhs.uk' }));
    await create('stranger@example.nhs.uk', { email: 'stranger@example.nhs.uk' });

    const d = deps(pool);
    const result = await usersDiff(d, { exportFile, json: false });
    expect(result.counts).toEqual({
      exportRows: 12,
      valid: 10,
      invalid: 2,
      cognito: 4,
      missing: 7,
      onlyInCognito: 1,
      differing: 2,
      same: 1,
    });
    expect(result.missing.map((m) => m.username)).toEqual([2, 3, 5, 6, 8, 10, 11].map((i) => `user${i}@example.nhs.uk`));
    expect(result.onlyInCognito).toEqual([{ username: 'stranger@example.nhs.uk', enabled: true }]);
    expect(result.differences).toEqual([
      {
        username: 'user1@example.nhs.uk',
        position: 'diff.json users[1]',
        differences: [{ field: 'family_name', export: 'Last1', cognito: 'Other' }],
      },
      {
        username: 'user4@example.nhs.uk',
        position: 'diff.json users[4]',
        differences: [{ field: 'enabled', export: 'true', cognito: 'false' }],
      },
    ]);
    expect(result.invalid).toEqual([
      { position: 'diff.json users[7]', reason: 'no email' },
      {
        position: 'diff.json users[9]',
        email: ' USER2@Example.NHS.uk ',
        reason: 'duplicate email (first at diff.json users[2])',
        firstPosition: 'diff.json users[2]',
      },
    ]);
    const text = d.c.lines.join('\n');
    expect(text).toContain('missing in Cognito: 7   only in Cognito: 1   differ: 2   same: 1');
    expect(text).toMatch(/user5@example\.nhs\.uk\s+no\s+-\s+diff\.json users\[5\]/);
    expect(text).toMatch(/user1@example\.nhs\.uk\s+family_name\s+Last1\s+Other/);
    expect(text).toMatch(/diff\.json users\[9\]\s+ USER2@Example\.NHS\.uk \s+duplicate email/);

    const j = deps(pool);
    await usersDiff(j, { exportFile, json: true });
    expect(j.c.lines).toEqual([]);
    expect((j.c.docs[0] as DiffResult).counts).toEqual(result.counts);
    expect(j.c.events).toEqual([]);
  });
});

describe('users sync against moto', () => {
  it('creates the missing users with attributes, disabled state and groups; a second run creates nobody', async () => {
    const pool = await createPool(client, { groups: ['reval-admins', 'hee-admins'] });
    const exportFile = await hostileExport('sync.json');
    await client.send(new AdminCreateUserCommand({ UserPoolId: pool, Username: 'user0@example.nhs.uk', MessageAction: 'SUPPRESS' }));
    const asked: string[] = [];
    const d = deps(pool, { mapping: mapping({ rate: 500, concurrency: 4 }), confirm: async (q) => void asked.push(q) });
    const result = await usersSync(d, { exportFile, dryRun: false, invite: false, passwordOk: true, batchSize: 3 });
    expect(result).toMatchObject({
      total: 9,
      created: 9,
      existed: 0,
      disabled: 1,
      grouped: 2,
      alreadyInCognito: 1,
      checkpointed: 0,
      failed: [],
      blocked: [],
      interrupted: false,
      withoutPassword: 9,
    });
    // The confirmation comes once the plan is known: how many, which pool, how many without a password.
    expect(asked).toEqual([`users sync creates 9 users in user pool ${pool}, 9 of them with no password`]);
    expect(result.invalid.map((i) => i.position)).toEqual(['sync.json users[7]', 'sync.json users[9]']);

    const users = await listAll(client, pool);
    const names = users.map((u) => u.Username!).sort();
    expect(names).toEqual([0, 1, 2, 3, 4, 5, 6, 8, 10, 11].map((i) => `user${i}@example.nhs.uk`).sort());
    const u5 = users.find((u) => u.Username === 'user5@example.nhs.uk')!;
    expect(u5.Enabled).toBe(false);
    expect(attr(u5, 'given_name')).toBe('Zoë');
    expect(attr(u5, 'family_name')).toBe('Ó Briain');
    const u6 = users.find((u) => u.Username === 'user6@example.nhs.uk')!;
    expect([attr(u6, 'email'), attr(u6, 'email_verified'), attr(u6, 'custom:dbc'), u6.Enabled, u6.UserStatus]).toEqual([
      'user6@example.nhs.uk',
      'true',
      '1-6AB,1-1RUZV1D',
      true,
      'FORCE_CHANGE_PASSWORD',
    ]);
    const groups = await client.send(new AdminListGroupsForUserCommand({ UserPoolId: pool, Username: 'user3@example.nhs.uk' }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['reval-admins']);

    expect(d.c.events.filter((e) => e.event === 'users.create')).toHaveLength(9);
    expect(d.c.events.filter((e) => e.event === 'users.disable').map((e) => e.username)).toEqual(['user5@example.nhs.uk']);
    expect(
      d.c.events
        .filter((e) => e.event === 'users.addToGroup')
        .map((e) => `${e.username}:${e.group}`)
        .sort(),
    ).toEqual(['user3@example.nhs.uk:reval-admins', 'user6@example.nhs.uk:reval-admins']);
    const last = d.progress.at(-1)!;
    expect([last.done, last.total, last.created, last.failed]).toEqual([9, 9, 9, 0]);
    expect(last.etaSeconds).toBe(0);
    const checkpoint = JSON.parse(await readFile(d.checkpointFile, 'utf8')) as { completed: string[]; inflight: string[] };
    expect(checkpoint.completed).toHaveLength(9);
    expect(checkpoint.inflight).toEqual([]);

    const again = deps(pool, { checkpointFile: d.checkpointFile });
    const second = await usersSync(again, { exportFile, dryRun: false, invite: false, passwordOk: true });
    expect(second).toMatchObject({ total: 0, created: 0, existed: 0, checkpointed: 9 });
    expect(again.c.events.filter((e) => e.event !== 'users.sync')).toEqual([]);
    // Without the checkpoint, the pool itself says they are there.
    const fresh = deps(pool, { checkpointFile: join(tmp.dir, 'other.json') });
    expect(await usersSync(fresh, { exportFile, dryRun: false, invite: false, passwordOk: true })).toMatchObject({
      total: 0,
      created: 0,
      alreadyInCognito: 10,
    });
    expect((await listAll(client, pool)).length).toBe(10);
  });
});

describe('users sync: errors and dry run', () => {
  it('reports a missing Cognito group as an error for that user and creates nobody half-way', async () => {
    const pool = await createPool(client, { groups: ['hee-admins'] });
    const exportFile = join(tmp.dir, 'nogroup.json');
    await writeRealmExport(exportFile, 4);
    const d = deps(pool);
    const error = await caught(usersSync(d, { exportFile, dryRun: false, invite: false, passwordOk: true }));
    expect(error.code).toBe('USERS');
    expect(error.message).toBe('2 users could not be created');
    expect(error.details).toEqual([
      'user0@example.nhs.uk (nogroup.json users[0]): Cognito group "reval-admins" not found (migrate does not create groups)',
      'user3@example.nhs.uk (nogroup.json users[3]): Cognito group "reval-admins" not found (migrate does not create groups)',
    ]);
    expect((await listAll(client, pool)).map((u) => u.Username).sort()).toEqual(['user1@example.nhs.uk', 'user2@example.nhs.uk']);
    expect(d.c.lines.join('\n')).toMatch(/BLOCKED \(2\)/);
  });

  it('stops before any write when a mapped custom attribute is not in the pool schema', async () => {
    const pool = await createPool(client, { custom: ['other'] });
    const exportFile = join(tmp.dir, 'noattr.json');
    await writeRealmExport(exportFile, 2);
    const error = await caught(usersSync(deps(pool), { exportFile, dryRun: false, invite: false, passwordOk: true }));
    expect(error.message).toBe(`user pool ${pool} has no attribute custom:dbc (mapped from DBC)`);
    expect(await listAll(client, pool)).toEqual([]);
  });

  it('dry run through the guarded AWS session: the same plan, said in full, and no write sent or written', async () => {
    const { createAwsSession } = await import('../../src/aws/clients.js');
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: moto.endpoint,
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_REGION: 'eu-west-2',
    });
    try {
      const session = createAwsSession({
        env: { name: 'sandbox', region: 'eu-west-2', account: '123456789012', protected: false },
        dryRun: true,
      });
      const guarded = await session.client(CognitoIdentityProviderClient);
      const pool = await createPool(client, { groups: ['reval-admins', 'hee-admins'] });
      const exportFile = await hostileExport('dry.json');
      const d = deps(pool, { cognito: guarded });
      const result = await usersSync(d, { exportFile, dryRun: true, invite: true });
      expect(result).toMatchObject({ dryRun: true, total: 10, created: 0 });
      const text = d.c.lines.join('\n');
      expect(text).toContain('Dry run: nothing is written to Cognito or to the checkpoint.');
      expect(text).toContain(
        'would create user5@example.nhs.uk: email=user5@example.nhs.uk, given_name=Zoë, family_name=Ó Briain, custom:dbc=1-5AB,1-1RUZV1D; then disable it (disabled in Keycloak); groups: -',
      );
      expect(text).toContain(
        'would create user3@example.nhs.uk: email=user3@example.nhs.uk, given_name=First3, family_name=Last3, custom:dbc=1-3AB,1-1RUZV1D; enabled; groups: reval-admins; send an invitation email',
      );
      expect(text).toContain(
        `Would create 10 users in user pool ${pool}. 1 of them would have no password: Cognito's migration trigger no longer runs for them (disabled in Keycloak, so not invited).`,
      );
      expect(d.c.lines.filter((l) => l.startsWith('would create'))).toHaveLength(10);
      expect(await listAll(client, pool)).toEqual([]);
      expect(existsSync(d.checkpointFile)).toBe(false);
      expect(d.c.events).toEqual([
        {
          event: 'users.sync',
          dryRun: true,
          userPoolId: pool,
          exportDigest: result.exportDigest,
          wouldCreate: 10,
          withoutPassword: 1,
          blocked: 0,
          invalid: 2,
          serviceAccounts: 0,
        },
      ]);

      // The same client refuses a write outright: a dry run cannot create anyone by mistake.
      const error = await caught(
        usersEnsure(deps(pool, { cognito: guarded }), { exportFile, email: 'user3@example.nhs.uk', dryRun: false, invite: false }),
      );
      expect(error.code).toBe('DRY_RUN_WRITE');
      expect(error.message).toMatch(/refused to send AdminCreateUser/);
      expect(await listAll(client, pool)).toEqual([]);
    } finally {
      for (const k of ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION']) {
        if (saved[k] === undefined) delete process.env[k];
        else process.env[k] = saved[k];
      }
    }
  });
});

describe('users ensure against moto', () => {
  it('creates one user from the export, then says it already exists', async () => {
    const pool = await createPool(client, { groups: ['reval-admins', 'hee-admins'] });
    const exportFile = await hostileExport('ensure.json');
    const asked: string[] = [];
    const confirm = async (question: string) => {
      asked.push(question);
    };
    const d = deps(pool, { confirm });
    const created = await usersEnsure(d, { exportFile, email: ' User3@Example.nhs.UK', dryRun: false, invite: false });
    // Asked only once it is known the user must be created, naming the email and the pool.
    expect(asked).toEqual([
      `users ensure creates user3@example.nhs.uk in user pool ${pool} with no password (they will need a password reset; --invite emails one)`,
    ]);
    expect(created).toMatchObject({ username: 'user3@example.nhs.uk', outcome: 'created', position: 'ensure.json users[3]' });
    expect(d.c.lines).toEqual([
      `Created user3@example.nhs.uk in user pool ${pool} from ensure.json users[3]: email=user3@example.nhs.uk, given_name=First3, family_name=Last3, custom:dbc=1-3AB,1-1RUZV1D; enabled; groups: reval-admins.`,
    ]);
    expect(d.c.events.map((e) => e.event)).toEqual(['users.create', 'users.addToGroup']);
    const users = await listAll(client, pool);
    expect(users.map((u) => u.Username)).toEqual(['user3@example.nhs.uk']);

    const again = deps(pool, { confirm });
    expect(await usersEnsure(again, { exportFile, email: 'user3@example.nhs.uk', dryRun: false, invite: false })).toMatchObject({
      outcome: 'exists',
    });
    expect(asked).toHaveLength(1);
    expect(again.c.lines).toEqual([`user3@example.nhs.uk already exists in user pool ${pool}; nothing to do.`]);
    expect(again.c.events).toEqual([]);

    const dry = deps(pool);
    expect(await usersEnsure(dry, { exportFile, email: 'user4@example.nhs.uk', dryRun: true, invite: false })).toMatchObject({
      outcome: 'would-create',
    });
    expect(dry.c.lines[0]).toMatch(/^Dry run: would create user4@example\.nhs\.uk from ensure\.json users\[4\]/);
    expect((await listAll(client, pool)).length).toBe(1);
  });

  it('says clearly why not: not in the export, disabled in Keycloak, invalid row, missing group', async () => {
    const pool = await createPool(client, { groups: ['hee-admins'] });
    const exportFile = await hostileExport('whynot.json');
    const why = async (email: string): Promise<string> => {
      const e = await caught(usersEnsure(deps(pool), { exportFile, email, dryRun: false, invite: false }));
      expect(e.code).toBe('USERS');
      return `${e.message} | ${e.hint}`;
    };
    expect(await why('nobody@example.nhs.uk')).toMatch(
      /^nobody@example\.nhs\.uk is not in the Keycloak export .*whynot\.json \(12 users read\) \| Check the address\. If the user was added to Keycloak after the export was taken/,
    );
    expect(await why('user5@example.nhs.uk')).toMatch(
      /^user5@example\.nhs\.uk is disabled in Keycloak \(whynot\.json users\[5\]\); not creating a disabled user on demand \| Enable the user in Keycloak/,
    );
    expect(await why('user3@example.nhs.uk')).toMatch(
      /^cannot create user3@example\.nhs\.uk: Cognito group "reval-admins" not found \| Create the group/,
    );
    const big = join(tmp.dir, 'big-attr.json');
    await writeRealmExport(big, 2, (i) => kcUser(i, i === 1 ? { attributes: { DBC: ['x'.repeat(3000)] } } : {}));
    const e = await caught(usersEnsure(deps(pool), { exportFile: big, email: 'user1@example.nhs.uk', dryRun: false, invite: false }));
    expect(e.message).toBe(
      'cannot create user1@example.nhs.uk: its row in the export (big-attr.json users[1]) is invalid: custom:dbc is 3000 characters; Cognito allows 2048',
    );
    expect(await listAll(client, pool)).toEqual([]);
  });
});

describe('resolveUserPoolId', () => {
  it('takes an id as it is, finds a name, and explains an unknown one', async () => {
    const name = `tis-${Math.random().toString(36).slice(2, 8)}`;
    const pool = await createPool(client, { name });
    expect(await resolveUserPoolId(client, pool)).toBe(pool);
    expect(await resolveUserPoolId(client, name)).toBe(pool);
    const e = await caught(resolveUserPoolId(client, 'no-such-pool'));
    expect(e.message).toBe('no user pool "no-such-pool" in this account and region');
    expect(e.hint).toContain(name);
  });
});

describe('users sync at high concurrency', () => {
  it("shares one listener on the caller's abort signal, so Node warns of no listener leak", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error): void => void warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const pool = await createPool(client, { groups: ['reval-admins'] });
      const exportFile = join(tmp.dir, 'wide.json');
      await writeRealmExport(exportFile, 80);
      const d = deps(pool, { mapping: mapping({ rate: 1000, concurrency: 32 }) });
      const r = await usersSync(d, { exportFile, dryRun: false, invite: false, passwordOk: true });
      expect(r.created).toBe(80);
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings.filter((w) => /MaxListeners/.test(w))).toEqual([]);
  });
});
