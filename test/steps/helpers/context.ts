import { createAwsSession } from '../../../src/aws/clients.js';
import type { Clock, EnvironmentInfo, StepContext } from '../../../src/steps/types.js';

export const SANDBOX_ENV: EnvironmentInfo = { name: 'sandbox', region: 'eu-west-2', account: '123456789012', protected: false };

export interface TestClock extends Clock {
  /** Every sleep asked for, in plan time, with its label. */
  readonly sleeps: { ms: number; label?: string | undefined }[];
}

/** A clock at the given scale whose sleep really sleeps, for ms / scale. */
export function testClock(scale = 1000): TestClock {
  const sleeps: { ms: number; label?: string | undefined }[] = [];
  return {
    scale,
    sleeps,
    now: () => Date.now(),
    sleep(ms, label) {
      sleeps.push({ ms, label });
      return new Promise((resolve) => setTimeout(resolve, ms / scale));
    },
  };
}

export interface TestContext extends StepContext {
  readonly clock: TestClock;
  /** Every progress line, in order. */
  readonly messages: string[];
}

/**
 * A StepContext against whatever AWS_ENDPOINT_URL points at (moto in these tests), built the way the
 * engine builds it: createAwsSession with the account check, a scaled clock, an abort signal.
 */
export function testContext(options: { dryRun?: boolean; scale?: number; signal?: AbortSignal } = {}): TestContext {
  const dryRun = options.dryRun ?? false;
  const messages: string[] = [];
  return {
    env: SANDBOX_ENV,
    aws: createAwsSession({ env: SANDBOX_ENV, dryRun }),
    dryRun,
    clock: testClock(options.scale ?? 1000),
    signal: options.signal ?? new AbortController().signal,
    operator: 'test',
    progress: (message) => messages.push(message),
    messages,
  };
}

/**
 * A StepContext for unit tests with aws-sdk-client-mock: clients are plain SDK clients (the mock
 * replaces their send), with no account check and no network.
 */
export function mockedContext(options: { dryRun?: boolean; scale?: number } = {}): TestContext {
  const messages: string[] = [];
  return {
    env: SANDBOX_ENV,
    aws: {
      async client(ctor) {
        return new ctor({
          region: SANDBOX_ENV.region,
          credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
          maxAttempts: 1,
        });
      },
    },
    dryRun: options.dryRun ?? false,
    clock: testClock(options.scale ?? 1000),
    signal: new AbortController().signal,
    operator: 'test',
    progress: (message) => messages.push(message),
    messages,
  };
}
