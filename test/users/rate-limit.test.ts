import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { Readable } from 'node:stream';
import { HttpResponse } from '@smithy/core/protocols';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import {
  AdminAddUserToGroupCommand,
  AdminCreateUserCommand,
  AdminDisableUserCommand,
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  ListGroupsCommand,
  ListUsersCommand,
  UsernameExistsException,
} from '@aws-sdk/client-cognito-identity-provider';
import { Semaphore, TokenBucket, type LimiterClock } from '../../src/users/rate-limit.js';
import { CognitoUsers } from '../../src/users/pool.js';
import { syncUsers, type SyncInput } from '../../src/users/sync.js';
import { openExport } from '../../src/users/export-reader.js';
import { isRunbookError } from '../../src/errors.js';
import { capture, kcUser, mapping, tempDir, writeRealmExport } from './helpers.js';

/**
 * Virtual time: sleepers wake in the order they are due, one per real tick, and waking moves the
 * clock to their due time, so limits are checked exactly without waiting for them.
 */
function fakeClock(): LimiterClock & { t: number } {
  const queue: { at: number; wake: () => void }[] = [];
  let pumping = false;
  const pump = (): void => {
    if (pumping) return;
    pumping = true;
    setTimeout(() => {
      pumping = false;
      queue.sort((a, b) => a.at - b.at);
      const next = queue.shift();
      if (next) {
        clock.t = Math.max(clock.t, next.at);
        next.wake();
      }
      if (queue.length) pump();
    }, 2);
  };
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: (ms: number) =>
      new Promise<void>((wake) => {
        queue.push({ at: clock.t + ms, wake });
        pump();
      }),
  };
  return clock;
}

describe('TokenBucket', () => {
  it('spaces requests at the rate, in arrival order, however many wait at once', async () => {
    const clock: LimiterClock & { t: number } = { t: 0, now: () => clock.t, sleep: async () => {} };
    const due: number[] = [];
    const bucket = new TokenBucket(10, 1, {
      now: clock.now,
      sleep: async (ms) => {
        due.push(clock.t + ms);
      },
    });
    for (let i = 0; i < 25; i++) await bucket.take();
    // First immediately, then one per 100 ms, all requested at t=0.
    expect(due).toEqual(Array.from({ length: 24 }, (_, i) => (i + 1) * 100));
    expect(bucket.taken).toBe(25);
  });

  it('lets a burst through at once, then holds the rate', async () => {
    const waits: number[] = [];
    const bucket = new TokenBucket(50, 5, { now: () => 0, sleep: async (ms) => void waits.push(ms) });
    for (let i = 0; i < 8; i++) await bucket.take();
    expect(waits).toEqual([20, 40, 60]);
  });

  it('forQuota: starts with no burst in hand, then spaces a queue at the rate', async () => {
    const clock = fakeClock();
    const bucket = TokenBucket.forQuota(40, clock);
    const starts: number[] = [];
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        await bucket.take();
        starts.push(clock.t);
      }),
    );
    expect(starts).toEqual(Array.from({ length: 10 }, (_, i) => i * 25));
  });

  it('forQuota: catches up on slots missed while every caller was busy, never over the rate in any second', async () => {
    // Four callers in a loop; for the last 400 ms of every second the server answers nothing until
    // the second ends, so no one asks for a slot (as when every request in flight waits on a
    // stalled server, or the process is not scheduled).
    const run = async (make: (clock: LimiterClock) => TokenBucket): Promise<number[]> => {
      const clock = fakeClock();
      const bucket = make(clock);
      const starts: number[] = [];
      let n = 0;
      await Promise.all(
        Array.from({ length: 4 }, async () => {
          while (n++ < 200) {
            await bucket.take();
            starts.push(clock.t);
            const answered = clock.t + 60;
            await clock.sleep(answered % 1000 >= 600 ? 1000 - (clock.t % 1000) : 60);
          }
        }),
      );
      return starts.sort((a, b) => a - b);
    };
    const quota = await run((clock) => TokenBucket.forQuota(40, clock));
    for (let i = 40; i < quota.length; i++) expect(quota[i]! - quota[i - 40]!).toBeGreaterThanOrEqual(1000);
    // A schedule of burst 1 loses each slot missed for good; this one makes them up later.
    const lossy = await run((clock) => new TokenBucket(40, 1, clock));
    expect(quota.at(-1)!).toBeLessThan(lossy.at(-1)! - 500);
  });

  it('refuses a rate of zero', () => {
    expect(() => new TokenBucket(0)).toThrow(RangeError);
  });
});

describe('Semaphore', () => {
  it('never runs more than its limit and drains', async () => {
    const sem = new Semaphore(3);
    let active = 0;
    let peak = 0;
    const tasks = Array.from({ length: 20 }, async (_, i) => {
      await sem.acquire();
      active++;
      peak = Math.max(peak, active);
      await new Promise((r) => setTimeout(r, i % 3));
      active--;
      sem.release();
    });
    await Promise.all(tasks);
    await sem.drain();
    expect(peak).toBe(3);
  });
});

describe('syncUsers with a mocked Cognito client', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let exportFile: string;
  const client = new CognitoIdentityProviderClient({ region: 'eu-west-2', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  const mock = mockClient(client);

  beforeAll(async () => {
    tmp = await tempDir();
    exportFile = join(tmp.dir, 'mock.json');
    // 30 users; every fifth disabled; every third in RevalAdmin.
    await writeRealmExport(exportFile, 30, (i) => kcUser(i, { enabled: i % 5 !== 0 }));
  });
  afterAll(async () => {
    await tmp.cleanup();
  });
  beforeEach(() => {
    mock.reset();
    mock.on(DescribeUserPoolCommand).resolves({ UserPool: { SchemaAttributes: [{ Name: 'email' }, { Name: 'custom:dbc' }] } });
    mock.on(ListGroupsCommand).resolves({ Groups: [{ GroupName: 'reval-admins' }, { GroupName: 'hee-admins' }] });
    mock.on(ListUsersCommand).resolves({ Users: [] });
    mock.on(AdminCreateUserCommand).resolves({});
    mock.on(AdminDisableUserCommand).resolves({});
    mock.on(AdminAddUserToGroupCommand).resolves({});
  });

  async function input(bucket: TokenBucket, extra: Partial<SyncInput> = {}): Promise<SyncInput & { c: ReturnType<typeof capture> }> {
    const c = capture();
    const m = mapping({ rate: bucket.rate, concurrency: 4 });
    return {
      source: await openExport(exportFile),
      api: await CognitoUsers.open(client, 'eu-west-2_test', bucket),
      mapping: m,
      checkpointFile: join(tmp.dir, `cp-${Math.random()}.json`),
      dryRun: false,
      invite: false,
      passwordOk: true,
      audit: c.audit,
      line: c.out.line,
      signal: new AbortController().signal,
      c,
      ...extra,
    };
  }

  /**
   * A Cognito client answered at its transport (a mocked send would skip the middleware stack the
   * bucket lives in): the three reads at once, every write after `delay(clock)`, recording when
   * each write went out and how many were in flight at most.
   */
  function wireClient(clock: ReturnType<typeof fakeClock>, delay: () => Promise<unknown>) {
    const sent: number[] = [];
    let inFlight = 0;
    let peak = 0;
    const answers: Record<string, unknown> = {
      DescribeUserPool: { UserPool: { SchemaAttributes: [{ Name: 'email' }, { Name: 'custom:dbc' }] } },
      ListGroups: { Groups: [{ GroupName: 'reval-admins' }, { GroupName: 'hee-admins' }] },
      ListUsers: { Users: [] },
    };
    const wire = new CognitoIdentityProviderClient({
      region: 'eu-west-2',
      credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
      requestHandler: {
        async handle(request: { headers: Record<string, string> }) {
          const action = String(request.headers['x-amz-target']).split('.').pop() ?? '';
          const body = answers[action];
          if (body === undefined) {
            sent.push(clock.t);
            inFlight++;
            peak = Math.max(peak, inFlight);
            await delay();
            inFlight--;
          }
          return {
            response: new HttpResponse({
              statusCode: 200,
              headers: { 'content-type': 'application/x-amz-json-1.1' },
              body: Readable.from([Buffer.from(JSON.stringify(body ?? {}))]),
            }),
          };
        },
      },
    });
    return { wire, sent, peak: () => peak };
  }

  it('sends every call, reads and writes alike, through one bucket at the rate, with bounded concurrency', async () => {
    const clock = fakeClock();
    const { wire, sent, peak } = wireClient(clock, () => new Promise((r) => setTimeout(r, 1)));
    const bucket = new TokenBucket(40, 1, clock);
    const result = await syncUsers({ ...(await input(bucket)), api: await CognitoUsers.open(wire, 'eu-west-2_test', bucket) });
    expect(result).toMatchObject({ total: 30, created: 30, disabled: 6, grouped: 10, failed: [] });
    // 3 reads (DescribeUserPool, ListGroups, ListUsers) + 30 creates + 6 disables + 10 group adds.
    expect(bucket.taken).toBe(49);
    expect(result.requests).toBe(49);
    expect(sent).toHaveLength(46);
    for (let i = 1; i < sent.length; i++) expect(sent[i]! - sent[i - 1]!).toBeGreaterThanOrEqual(25 - 1e-9);
    expect(peak()).toBeLessThanOrEqual(4);
    wire.destroy();
  });

  it('paced for the quota: slow and stalled answers keep concurrency bounded and never push a second over the rate', async () => {
    const clock = fakeClock();
    // 80 ms an answer, and nothing at all in the last 300 ms of each second.
    const { wire, sent, peak } = wireClient(clock, () => {
      const at = clock.t + 80;
      return clock.sleep(at % 1000 >= 700 ? 1000 - (clock.t % 1000) : 80);
    });
    const bucket = TokenBucket.forQuota(40, clock);
    const result = await syncUsers({ ...(await input(bucket)), api: await CognitoUsers.open(wire, 'eu-west-2_test', bucket) });
    expect(result).toMatchObject({ total: 30, created: 30, disabled: 6, grouped: 10, failed: [] });
    expect(sent).toHaveLength(46);
    expect(peak()).toBeLessThanOrEqual(4);
    // Counting the three reads too, no second ever holds more than 40 requests.
    for (let i = 40; i < sent.length; i++) expect(sent[i]! - sent[i - 40]!).toBeGreaterThanOrEqual(1000);
    wire.destroy();
  });

  it('counts UsernameExists as already done and still finishes the disable and group calls', async () => {
    mock
      .on(AdminCreateUserCommand, { Username: 'user15@example.nhs.uk' })
      .rejects(new UsernameExistsException({ message: 'User account already exists', $metadata: {} }));
    const i = await input(new TokenBucket(1e6));
    const result = await syncUsers(i);
    expect(result).toMatchObject({ created: 29, existed: 1, failed: [] });
    expect(mock.commandCalls(AdminDisableUserCommand, { Username: 'user15@example.nhs.uk' })).toHaveLength(1);
    expect(mock.commandCalls(AdminAddUserToGroupCommand, { Username: 'user15@example.nhs.uk', GroupName: 'reval-admins' })).toHaveLength(1);
    expect(i.c.events.filter((e) => e.username === 'user15@example.nhs.uk').map((e) => e.event)).toEqual([
      'users.exists',
      'users.disable',
      'users.addToGroup',
    ]);
  });

  it('suppresses the invitation unless asked, and never invites a disabled user', async () => {
    await syncUsers(await input(new TokenBucket(1e6), { invite: true }));
    const calls = mock.commandCalls(AdminCreateUserCommand).map((c) => c.args[0].input);
    expect(calls.find((c) => c.Username === 'user1@example.nhs.uk')).toMatchObject({ DesiredDeliveryMediums: ['EMAIL'] });
    expect(calls.find((c) => c.Username === 'user1@example.nhs.uk')?.MessageAction).toBeUndefined();
    expect(calls.find((c) => c.Username === 'user5@example.nhs.uk')).toMatchObject({ MessageAction: 'SUPPRESS' });
    mock.resetHistory();
    await syncUsers(await input(new TokenBucket(1e6), { invite: false }));
    expect(mock.commandCalls(AdminCreateUserCommand).every((c) => c.args[0].input.MessageAction === 'SUPPRESS')).toBe(true);
  });

  it('dry run sends reads only', async () => {
    const result = await syncUsers(await input(new TokenBucket(1e6), { dryRun: true }));
    expect(result.total).toBe(30);
    const names = mock.calls().map((c) => (c.args[0] as { constructor: { name: string } }).constructor.name);
    expect(names.sort()).toEqual(['DescribeUserPoolCommand', 'ListGroupsCommand', 'ListUsersCommand']);
  });

  it('stops after a run of failures instead of failing every user, and keeps the checkpoint', async () => {
    const denied = Object.assign(new Error('User is not authorized to perform: cognito-idp:AdminCreateUser'), {
      name: 'AccessDeniedException',
      $metadata: { httpStatusCode: 400 },
    });
    mock.on(AdminCreateUserCommand).rejects(denied);
    const i = await input(new TokenBucket(1e6), { batchSize: 10 });
    let error: unknown;
    try {
      await syncUsers(i);
    } catch (e) {
      error = e;
    }
    expect(isRunbookError(error) && error.code).toBe('USERS');
    expect(String((error as Error).message)).toMatch(
      /stopped after 25 failures in a row; the last: AccessDeniedException \(HTTP 400\): User is not authorized/,
    );
    expect(mock.commandCalls(AdminCreateUserCommand).length).toBeLessThan(30);
    expect(i.c.events.at(-1)).toMatchObject({ event: 'users.sync', created: 0 });
  });

  it('refuses a checkpoint it cannot read rather than starting over silently', async () => {
    const i = await input(new TokenBucket(1e6));
    await writeFile(i.checkpointFile, '{"kind":"migrate.users.sync","completed":[');
    let error: unknown;
    try {
      await syncUsers(i);
    } catch (e) {
      error = e;
    }
    expect(isRunbookError(error) && error.code).toBe('STATE_CORRUPT');
    expect(String((error as Error).message)).toContain(i.checkpointFile);
    expect(mock.commandCalls(AdminCreateUserCommand)).toHaveLength(0);
  });
});

describe("the SDK's own retries", () => {
  it('take a token each, so the bucket bounds what Cognito receives, not only first attempts', async () => {
    let received = 0;
    const server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        received++;
        if (received <= 2) {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': 'ThrottlingException' });
          res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
        } else {
          res.writeHead(200, { 'content-type': 'application/x-amz-json-1.1' });
          res.end('{}');
        }
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const real = new CognitoIdentityProviderClient({
        endpoint,
        region: 'eu-west-2',
        credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
        maxAttempts: 5,
      });
      const bucket = new TokenBucket(1e6);
      const api = await CognitoUsers.open(real, 'eu-west-2_test', bucket);
      await api.disableUser('a@b.uk');
      expect(received).toBe(3);
      expect(bucket.taken).toBe(3);
      expect(api.requests).toBe(3);
      real.destroy();
    } finally {
      server.close();
    }
  });
});
