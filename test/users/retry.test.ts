import { join } from 'node:path';
import { Readable } from 'node:stream';
import { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { HttpResponse } from '@smithy/core/protocols';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usersSync } from '../../src/commands/users.js';
import { backoffMs, DEFAULT_RETRY } from '../../src/users/pool.js';
import { capture, kcUser, mapping, tempDir, writeRealmExport } from './helpers.js';

/**
 * A Cognito answering at the transport, so the client's own middleware (rate limit, retry budget)
 * runs as it does against AWS. `throttle(action, username)` says whether to answer throttled.
 */
function fakeCognito(throttle: (action: string, username: string | undefined) => boolean) {
  const calls: { action: string; username?: string | undefined }[] = [];
  const json = (status: number, body: unknown, type?: string) =>
    new HttpResponse({
      statusCode: status,
      headers: { 'content-type': 'application/x-amz-json-1.1', ...(type ? { 'x-amzn-errortype': type } : {}) },
      body: Readable.from([Buffer.from(JSON.stringify(body))]),
    });
  const client = new CognitoIdentityProviderClient({
    region: 'eu-west-2',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
    maxAttempts: 1,
    requestHandler: {
      async handle(request: { headers: Record<string, string>; body?: string | Uint8Array }) {
        const action = String(request.headers['x-amz-target']).split('.').pop() ?? '';
        const body = request.body ?? new Uint8Array();
        const text =
          typeof body === 'string' ? body : new TextDecoder().decode(new Uint8Array(body.buffer, body.byteOffset, body.byteLength));
        const username = (JSON.parse(text || '{}') as { Username?: string }).Username;
        calls.push({ action, username });
        if (throttle(action, username))
          return { response: json(400, { __type: 'TooManyRequestsException', message: 'Too many requests' }, 'TooManyRequestsException') };
        const answers: Record<string, unknown> = {
          DescribeUserPool: { UserPool: { SchemaAttributes: [{ Name: 'email' }, { Name: 'custom:dbc' }] } },
          ListGroups: { Groups: [] },
          ListUsers: { Users: [] },
        };
        return { response: json(200, answers[action] ?? {}) };
      },
    },
  });
  return { client, calls };
}

describe('users sync keeps its own retry budget', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let exportFile: string;
  beforeAll(async () => {
    tmp = await tempDir();
    exportFile = join(tmp.dir, 'ten.json');
    await writeRealmExport(exportFile, 10, (i) => kcUser(i, { groups: [] }));
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('back-off grows exponentially with full jitter, capped, and divided by the time scale', () => {
    expect(backoffMs(1, DEFAULT_RETRY, () => 1)).toBe(200);
    expect(backoffMs(4, DEFAULT_RETRY, () => 1)).toBe(1600);
    expect(backoffMs(20, DEFAULT_RETRY, () => 1)).toBe(20_000);
    expect(backoffMs(20, { ...DEFAULT_RETRY, timeScale: 600 }, () => 1)).toBeCloseTo(20_000 / 600);
    expect(backoffMs(3, DEFAULT_RETRY, () => 0)).toBe(0);
  });

  it('retries throttled requests past what the SDK would; a user still failing after its budget is listed, and a re-run retries only that one', async () => {
    let n = 0;
    // Every other request throttled, and user3's create always.
    const flaky = fakeCognito(
      (action, username) => username === 'user3@example.nhs.uk' || (action !== 'AdminCreateUser' ? false : n++ % 2 === 0),
    );
    const c = capture();
    const checkpointFile = join(tmp.dir, 'retry.checkpoint.json');
    const deps = {
      cognito: flaky.client,
      mapping: mapping({ rate: 1e6 }),
      userPoolId: 'eu-west-2_test',
      checkpointFile,
      audit: c.audit,
      out: c.out,
      signal: new AbortController().signal,
      timeScale: 1e6,
    };
    const error = await usersSync(deps, { exportFile, dryRun: false, invite: false, passwordOk: true }).then(
      () => undefined,
      (e: unknown) => e as { message: string; details: string[]; exitCode: number },
    );
    expect(error?.message).toBe('1 users could not be created');
    expect(error?.exitCode).toBe(1);
    expect(error?.details).toEqual([
      expect.stringMatching(/^user3@example\.nhs\.uk \(ten\.json users\[3\]\): TooManyRequestsException \(HTTP 400, 16 attempts\)/),
    ]);
    expect(c.lines.join('\n')).toMatch(/FAILED \(1\)[\s\S]*user3@example\.nhs\.uk/);
    expect(flaky.calls.filter((x) => x.username === 'user3@example.nhs.uk')).toHaveLength(DEFAULT_RETRY.maxAttempts);
    expect(c.events.filter((e) => e.event === 'users.create')).toHaveLength(9);

    const healthy = fakeCognito(() => false);
    const again = capture();
    const second = await usersSync(
      { ...deps, cognito: healthy.client, audit: again.audit, out: again.out },
      { exportFile, dryRun: false, invite: false, passwordOk: true },
    );
    expect(second).toMatchObject({ total: 1, created: 1, checkpointed: 9, failed: [] });
    expect(healthy.calls.filter((x) => x.action === 'AdminCreateUser').map((x) => x.username)).toEqual(['user3@example.nhs.uk']);
  });
});
