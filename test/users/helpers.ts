import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CognitoIdentityProviderClient,
  CreateGroupCommand,
  CreateUserPoolCommand,
  ListUsersCommand,
  type UserType,
} from '@aws-sdk/client-cognito-identity-provider';
import type { UsersMapping } from '../../src/users/mapping.js';

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/** moto_server on a free loopback port; stopped by its own pid. */
export async function startMoto(): Promise<Moto> {
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const endpoint = await new Promise<string>((resolve, reject) => {
    let text = '';
    const timer = setTimeout(() => reject(new Error(`moto_server did not start: ${text}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      text += chunk.toString();
      const m = /Running on (http:\/\/127\.0\.0\.1:\d+)/.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`moto_server exited (${code}): ${text}`)));
  });
  return {
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export function cognitoClient(endpoint: string, extra: Record<string, unknown> = {}): CognitoIdentityProviderClient {
  return new CognitoIdentityProviderClient({
    endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    ...extra,
  });
}

export async function createPool(
  client: CognitoIdentityProviderClient,
  opts: { name?: string; groups?: string[]; custom?: string[] } = {},
): Promise<string> {
  const out = await client.send(
    new CreateUserPoolCommand({
      PoolName: opts.name ?? `pool-${Math.random().toString(36).slice(2, 8)}`,
      Schema: (opts.custom ?? ['dbc']).map((Name) => ({ Name, AttributeDataType: 'String', Mutable: true })),
    }),
  );
  const id = out.UserPool!.Id!;
  for (const g of opts.groups ?? []) await client.send(new CreateGroupCommand({ UserPoolId: id, GroupName: g }));
  return id;
}

export async function listAll(client: CognitoIdentityProviderClient, poolId: string): Promise<UserType[]> {
  const users: UserType[] = [];
  let token: string | undefined;
  do {
    const out = await client.send(new ListUsersCommand({ UserPoolId: poolId, Limit: 60, ...(token ? { PaginationToken: token } : {}) }));
    users.push(...(out.Users ?? []));
    token = out.PaginationToken;
  } while (token);
  return users;
}

export function attr(u: UserType, name: string): string | undefined {
  return u.Attributes?.find((a) => a.Name === name)?.Value;
}

export function mapping(extra: Partial<UsersMapping> = {}): UsersMapping {
  return {
    userPool: 'test',
    attributes: { DBC: 'custom:dbc' },
    groups: { RevalAdmin: 'reval-admins', 'HEE Admin': 'hee-admins' },
    rate: 1000,
    concurrency: 8,
    ...extra,
  };
}

export async function tempDir(): Promise<{ dir: string; cleanup(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'migrate-users-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export function kcUser(i: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    id: `id-${i}`,
    username: `user${i}`,
    email: `user${i}@example.nhs.uk`,
    firstName: `First${i}`,
    lastName: `Last${i}`,
    enabled: true,
    emailVerified: i % 2 === 0,
    attributes: { DBC: [`1-${i}AB`, '1-1RUZV1D'] },
    groups: i % 3 === 0 ? ['/RevalAdmin'] : [],
    realmRoles: ['offline_access'],
    credentials: [{ type: 'password', secretData: `{"value":"hash-${i}"}`, credentialData: '{}' }],
    ...extra,
  };
}

/** A `same_file` realm export, written as a stream so even 100k users never sit in memory. */
export async function writeRealmExport(
  file: string,
  count: number,
  make: (i: number) => Record<string, unknown> = kcUser,
  pretty = false,
): Promise<void> {
  const out = createWriteStream(file);
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  await write(
    `{"id":"lin","realm":"lin","roles":{"realm":[{"name":"RevalAdmin"}]},"groups":[{"name":"RevalAdmin","path":"/RevalAdmin"}],"users":[`,
  );
  for (let i = 0; i < count; i++)
    await write(`${i ? ',' : ''}${pretty ? '\n    ' : ''}${JSON.stringify(make(i), null, pretty ? 2 : undefined)}`);
  await write(`],"clients":[{"clientId":"admins-ui","secret":"client-secret"}],"smtpServer":{"password":"smtp"}}`);
  out.end();
  await once(out, 'finish');
}

export async function writeDifferentFiles(
  dir: string,
  perFile: number[],
  make: (i: number) => Record<string, unknown> = kcUser,
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'lin-realm.json'), JSON.stringify({ realm: 'lin', users: [make(-1)] }));
  let i = 0;
  for (const [n, count] of perFile.entries()) {
    const users = Array.from({ length: count }, () => make(i++));
    await writeFile(join(dir, `lin-users-${n}.json`), JSON.stringify({ realm: 'lin', users }, null, 2));
  }
}

export interface Captured {
  lines: string[];
  docs: unknown[];
  events: Record<string, unknown>[];
  out: { line(text: string): void; json(doc: unknown): void };
  audit(event: Record<string, unknown>): void;
}

export function capture(): Captured {
  const c: Captured = {
    lines: [],
    docs: [],
    events: [],
    out: { line: (t) => c.lines.push(t), json: (d) => c.docs.push(d) },
    audit: (e) => c.events.push(e),
  };
  return c;
}
