import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { startMoto } from '../../src/sandbox/moto.js';
import type { MotoServer } from '../../src/sandbox/moto.js';

/*
 * The sandbox indexes Cognito users (moto scanned every user of an email-alias pool on each
 * lookup, and every earlier user on each ListUsers page). The answers must stay moto's.
 */
let moto: MotoServer;
let cognito: CognitoIdentityProviderClient;
let sdk: typeof import('@aws-sdk/client-cognito-identity-provider');

beforeAll(async () => {
  moto = await startMoto();
  sdk = await import('@aws-sdk/client-cognito-identity-provider');
  cognito = new sdk.CognitoIdentityProviderClient({
    endpoint: moto.url,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
  });
});
afterAll(async () => {
  cognito?.destroy();
  await moto?.stop();
});

async function pool(alias: boolean): Promise<string> {
  const out = await cognito.send(
    new sdk.CreateUserPoolCommand({
      PoolName: `p-${Math.random().toString(36).slice(2, 8)}`,
      ...(alias ? { UsernameAttributes: ['email'] } : {}),
    }),
  );
  await cognito.send(new sdk.CreateGroupCommand({ UserPoolId: out.UserPool!.Id!, GroupName: 'admins' }));
  return out.UserPool!.Id!;
}

async function seed(poolId: string, lines: object[]): Promise<{ created: number; existed: number }> {
  const res = await fetch(`${moto.url}/moto-api/migrate/cognito-seed?userPoolId=${encodeURIComponent(poolId)}`, {
    method: 'POST',
    body: lines.map((l) => JSON.stringify(l)).join('\n'),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { created: number; existed: number };
}

const emailOf = (u: { Attributes?: { Name?: string; Value?: string }[] }): string | undefined =>
  u.Attributes?.find((a) => a.Name === 'email')?.Value;

async function listAll(poolId: string, between?: (page: number) => Promise<void>): Promise<string[]> {
  const emails: string[] = [];
  let token: string | undefined;
  let page = 0;
  do {
    const out = await cognito.send(
      new sdk.ListUsersCommand({ UserPoolId: poolId, Limit: 60, ...(token ? { PaginationToken: token } : {}) }),
    );
    for (const u of out.Users ?? []) emails.push(emailOf(u) ?? u.Username!);
    token = out.PaginationToken;
    await between?.(++page);
  } while (token);
  return emails;
}

describe('sandbox Cognito: users of an email-alias pool found by index', () => {
  it('finds a user by email after creation, refuses a second one, and follows an email change and a delete', async () => {
    const id = await pool(true);
    const created = await cognito.send(
      new sdk.AdminCreateUserCommand({ UserPoolId: id, Username: 'jane@example.nhs.uk', MessageAction: 'SUPPRESS' }),
    );
    const uuid = created.User!.Username!;
    expect(uuid).not.toBe('jane@example.nhs.uk');
    const again = await cognito
      .send(new sdk.AdminCreateUserCommand({ UserPoolId: id, Username: 'jane@example.nhs.uk', MessageAction: 'SUPPRESS' }))
      .catch((e: unknown) => e as Error);
    expect((again as Error).name).toBe('UsernameExistsException');
    for (const name of ['jane@example.nhs.uk', uuid]) {
      const got = await cognito.send(new sdk.AdminGetUserCommand({ UserPoolId: id, Username: name }));
      expect(got.Username).toBe(uuid);
    }

    await cognito.send(
      new sdk.AdminUpdateUserAttributesCommand({
        UserPoolId: id,
        Username: 'jane@example.nhs.uk',
        UserAttributes: [{ Name: 'email', Value: 'jane.doe@example.nhs.uk' }],
      }),
    );
    const old = await cognito
      .send(new sdk.AdminGetUserCommand({ UserPoolId: id, Username: 'jane@example.nhs.uk' }))
      .catch((e: unknown) => e as Error);
    expect((old as Error).name).toBe('UserNotFoundException');
    const moved = await cognito.send(new sdk.AdminGetUserCommand({ UserPoolId: id, Username: 'jane.doe@example.nhs.uk' }));
    expect(moved.Username).toBe(uuid);
    // The old email is free again.
    await cognito.send(new sdk.AdminCreateUserCommand({ UserPoolId: id, Username: 'jane@example.nhs.uk', MessageAction: 'SUPPRESS' }));

    await cognito.send(new sdk.AdminDisableUserCommand({ UserPoolId: id, Username: 'jane.doe@example.nhs.uk' }));
    await cognito.send(new sdk.AdminAddUserToGroupCommand({ UserPoolId: id, Username: 'jane.doe@example.nhs.uk', GroupName: 'admins' }));
    expect((await cognito.send(new sdk.AdminGetUserCommand({ UserPoolId: id, Username: uuid }))).Enabled).toBe(false);
    await cognito.send(new sdk.AdminDeleteUserCommand({ UserPoolId: id, Username: 'jane.doe@example.nhs.uk' }));
    const gone = await cognito.send(new sdk.AdminGetUserCommand({ UserPoolId: id, Username: uuid })).catch((e: unknown) => e as Error);
    expect((gone as Error).name).toBe('UserNotFoundException');
    expect(await listAll(id)).toEqual(['jane@example.nhs.uk']);
  });

  it('pages ListUsers in creation order, whole, also while users are added between pages; refuses a foreign token', async () => {
    for (const alias of [true, false]) {
      const id = await pool(alias);
      const emails = Array.from({ length: 250 }, (_, i) => `u${i}@example.nhs.uk`);
      expect(
        await seed(
          id,
          emails.map((e) => ({ username: e, attributes: [{ Name: 'email', Value: e }] })),
        ),
      ).toEqual({
        created: 250,
        existed: 0,
      });
      expect(await listAll(id)).toEqual(emails);
      const added: string[] = [];
      const seen = await listAll(id, async (page) => {
        const e = `late${page}@example.nhs.uk`;
        added.push(e);
        await cognito.send(new sdk.AdminCreateUserCommand({ UserPoolId: id, Username: e, MessageAction: 'SUPPRESS' }));
      });
      expect(seen).toEqual([...emails, ...added.slice(0, seen.length - emails.length)]);
      expect(seen.length).toBeGreaterThan(emails.length);
      expect(new Set(seen).size).toBe(seen.length);

      const other = await pool(alias);
      await seed(other, [{ username: 'x@example.nhs.uk', attributes: [{ Name: 'email', Value: 'x@example.nhs.uk' }] }]);
      const first = await cognito.send(new sdk.ListUsersCommand({ UserPoolId: id, Limit: 60 }));
      const foreign = await cognito
        .send(new sdk.ListUsersCommand({ UserPoolId: other, Limit: 60, PaginationToken: first.PaginationToken }))
        .catch((e: unknown) => e as Error);
      expect(foreign).toBeInstanceOf(Error);
    }
  });
});

describe('sandbox Cognito: bulk seeding', () => {
  it('creates users as AdminCreateUser would, disabled and grouped as asked; existing ones are counted, not doubled', async () => {
    const id = await pool(true);
    const line = (e: string, extra: object = {}) => ({
      username: e,
      attributes: [
        { Name: 'email', Value: e },
        { Name: 'given_name', Value: 'Jo' },
      ],
      ...extra,
    });
    expect(await seed(id, [line('a@example.nhs.uk', { enabled: false }), line('b@example.nhs.uk', { groups: ['admins'] })])).toEqual({
      created: 2,
      existed: 0,
    });
    expect(await seed(id, [line('a@example.nhs.uk'), line('c@example.nhs.uk')])).toEqual({ created: 1, existed: 1 });
    const a = await cognito.send(new sdk.AdminGetUserCommand({ UserPoolId: id, Username: 'a@example.nhs.uk' }));
    expect(a.Enabled).toBe(false);
    expect(a.UserAttributes).toContainEqual({ Name: 'given_name', Value: 'Jo' });
    const groups = await cognito.send(new sdk.AdminListGroupsForUserCommand({ UserPoolId: id, Username: 'b@example.nhs.uk' }));
    expect(groups.Groups?.map((g) => g.GroupName)).toEqual(['admins']);
    const bad = await fetch(`${moto.url}/moto-api/migrate/cognito-seed?userPoolId=eu-west-2_nope`, { method: 'POST', body: '' });
    expect(bad.status).toBe(400);
  });
});
