import { APIGatewayClient, GetRestApisCommand, UpdateRestApiCommand } from '@aws-sdk/client-api-gateway';
import { GetCallerIdentityCommand, type GetCallerIdentityCommandOutput, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createAwsSession } from '../../src/aws/clients.js';
import { LookupCache, lookupKey } from '../../src/aws/lookups.js';
import { restApiIdOf } from '../../src/steps/support/apigateway.js';
import type { AwsClients, StepContext } from '../../src/steps/types.js';

const env = { name: 'prod', region: 'eu-west-2', account: '123456789012', protected: true };
const caller = { Account: env.account, Arn: 'arn:aws:iam::123456789012:user/ops', UserId: 'U', $metadata: {} };

/**
 * Answers every command itself (after the session's own middleware has run), recording its name:
 * what the session let through, without a network. aws-sdk-client-mock would replace `send` and
 * skip the middleware this file is about.
 */
function answering(client: APIGatewayClient, sent: string[]): APIGatewayClient {
  client.middlewareStack.add(
    (_next, context) => async () => {
      sent.push(context.commandName ?? '?');
      return { output: { $metadata: {}, items: [{ id: `id${sent.length}`, name: 'users-api' }] }, response: {} };
    },
    { step: 'serialize', name: 'testAnswers' },
  );
  return client;
}

function contextOf(aws: AwsClients): StepContext {
  return {
    env,
    aws,
    dryRun: false,
    clock: { scale: 1, now: () => Date.now(), sleep: async () => undefined },
    signal: new AbortController().signal,
    operator: 'test',
    progress: () => undefined,
  };
}

describe('LookupCache', () => {
  it('shares an answer only within a read pass, gives each caller its own copy, and forgets at the end of the pass', async () => {
    const cache = new LookupCache();
    let loads = 0;
    const load = async () => ({ n: ++loads, items: ['a'] });
    expect((await cache.memo('k', load)).n).toBe(1);
    expect((await cache.memo('k', load)).n).toBe(2);
    await cache.readPass(async () => {
      const [a, b] = await Promise.all([cache.memo('k', load), cache.memo('k', load)]);
      expect(a).toEqual({ n: 3, items: ['a'] });
      expect(b).toEqual(a);
      a.items.push('changed by a step');
      expect((await cache.memo('k', load)).items).toEqual(['a']);
      expect((await cache.memo('other', load)).n).toBe(4);
      expect(cache.size).toBe(2);
    });
    expect(cache.size).toBe(0);
    expect((await cache.memo('k', load)).n).toBe(5);
  });

  it('does not keep a failed look-up', async () => {
    const cache = new LookupCache();
    let calls = 0;
    await cache.readPass(async () => {
      const flaky = async () => {
        calls += 1;
        if (calls === 1) throw new Error('throttled');
        return 'ok';
      };
      await expect(cache.memo('k', flaky)).rejects.toThrow('throttled');
      await expect(cache.memo('k', flaky)).resolves.toBe('ok');
      await expect(cache.memo('k', flaky)).resolves.toBe('ok');
    });
    expect(calls).toBe(2);
  });

  it('keys a request by client, operation and input, whatever the order of the input', () => {
    expect(lookupKey('apigateway', 'GetStage', { restApiId: 'a', stageName: 'prod' })).toBe(
      lookupKey('apigateway', 'GetStage', { stageName: 'prod', restApiId: 'a' }),
    );
    expect(lookupKey('apigateway', 'GetStage', { restApiId: 'a', stageName: 'prod' })).not.toBe(
      lookupKey('apigateway', 'GetStage', { restApiId: 'b', stageName: 'prod' }),
    );
  });
});

const sts = mockClient(STSClient);
beforeEach(() => {
  // Signing needs some credentials; nothing leaves the process.
  vi.stubEnv('AWS_ACCESS_KEY_ID', 'testing');
  vi.stubEnv('AWS_SECRET_ACCESS_KEY', 'testing');
});
afterEach(() => {
  sts.reset();
  vi.unstubAllEnvs();
});

describe("the session's clients and the memo", () => {
  it('a write sent through any client of the session makes the next look-up ask AWS again', async () => {
    sts.on(GetCallerIdentityCommand).resolves(caller);
    const session = createAwsSession({ env, dryRun: false });
    const sent: string[] = [];
    answering(await session.client(APIGatewayClient), sent);
    const ctx = contextOf(session);
    await session.lookups.readPass(async () => {
      const first = await restApiIdOf(ctx, { restApiName: 'users-api' });
      expect(await restApiIdOf(ctx, { restApiName: 'users-api' })).toBe(first);
      expect(sent).toEqual(['GetRestApisCommand']);
      await (await session.client(APIGatewayClient)).send(new UpdateRestApiCommand({ restApiId: first, patchOperations: [] }));
      expect(session.lookups.size).toBe(0);
      expect(await restApiIdOf(ctx, { restApiName: 'users-api' })).not.toBe(first);
      expect(sent).toEqual(['GetRestApisCommand', 'UpdateRestApiCommand', 'GetRestApisCommand']);
    });
  });

  it('outside a read pass (a run that writes) every look-up is sent', async () => {
    sts.on(GetCallerIdentityCommand).resolves(caller);
    const session = createAwsSession({ env, dryRun: false });
    const sent: string[] = [];
    answering(await session.client(APIGatewayClient), sent);
    const ctx = contextOf(session);
    await restApiIdOf(ctx, { restApiName: 'users-api' });
    await restApiIdOf(ctx, { restApiName: 'users-api' });
    expect(sent).toEqual(['GetRestApisCommand', 'GetRestApisCommand']);
  });
});

describe('reading while the account is checked', () => {
  /** STS answers only when the test says so. */
  function heldIdentity(): { answer(out: GetCallerIdentityCommandOutput): void } {
    let answer: ((out: GetCallerIdentityCommandOutput) => void) | undefined;
    sts.on(GetCallerIdentityCommand).callsFake(
      () =>
        new Promise<GetCallerIdentityCommandOutput>((resolve) => {
          answer = resolve;
        }),
    );
    return {
      answer: (out) => {
        if (!answer) throw new Error('STS was not asked yet');
        answer(out);
      },
    };
  }

  it('a read goes out with STS, and its answer is given only once the account is confirmed', async () => {
    const identity = heldIdentity();
    const session = createAwsSession({ env, dryRun: true });
    const sent: string[] = [];
    const client = answering(await session.readAhead.client(APIGatewayClient), sent);
    let answered = false;
    const read = client.send(new GetRestApisCommand({})).then((out) => {
      answered = true;
      return out;
    });
    await vi.waitFor(() => expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1));
    await vi.waitFor(() => expect(sent).toEqual(['GetRestApisCommand']));
    expect(answered).toBe(false);
    identity.answer(caller);
    await expect(read).resolves.toMatchObject({ items: [{ name: 'users-api' }] });
    expect(session.identity?.arn).toBe(caller.Arn);
  });

  it("credentials for another account: the read's answer is replaced by the account check's refusal", async () => {
    const identity = heldIdentity();
    const session = createAwsSession({ env, dryRun: true });
    const client = answering(await session.readAhead.client(APIGatewayClient), []);
    const read = client.send(new GetRestApisCommand({}));
    read.catch(() => undefined);
    await vi.waitFor(() => expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1));
    identity.answer({ ...caller, Account: '999999999999', Arn: 'arn:aws:iam::999999999999:user/someone' });
    await expect(read).rejects.toMatchObject({ code: 'WRONG_ACCOUNT', exitCode: 2, message: expect.stringContaining('999999999999') });
  });

  it('a write is not sent before the account is confirmed, however its client was handed out', async () => {
    const identity = heldIdentity();
    const session = createAwsSession({ env, dryRun: false });
    const sent: string[] = [];
    const client = answering(await session.readAhead.client(APIGatewayClient), sent);
    const write = client.send(new UpdateRestApiCommand({ restApiId: 'a', patchOperations: [] }));
    write.catch(() => undefined);
    await vi.waitFor(() => expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(sent).toEqual([]);
    identity.answer(caller);
    await write;
    expect(sent).toEqual(['UpdateRestApiCommand']);
  });

  it('a write to another account is never sent', async () => {
    const identity = heldIdentity();
    const session = createAwsSession({ env, dryRun: false });
    const sent: string[] = [];
    const client = answering(await session.readAhead.client(APIGatewayClient), sent);
    const write = client.send(new UpdateRestApiCommand({ restApiId: 'a', patchOperations: [] }));
    write.catch(() => undefined);
    await vi.waitFor(() => expect(sts.commandCalls(GetCallerIdentityCommand)).toHaveLength(1));
    identity.answer({ ...caller, Account: '999999999999' });
    await expect(write).rejects.toMatchObject({ code: 'WRONG_ACCOUNT' });
    expect(sent).toEqual([]);
  });
});
