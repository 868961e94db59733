import { RunbookError } from '../errors.js';
import type { AwsClients, ClientCtor, EnvironmentInfo } from '../steps/types.js';
import { configuredRegion, profileOf, type ProfileChoice } from './config.js';
import { credentialsError } from './errors.js';
import { LookupCache } from './lookups.js';

/**
 * Read-only commands whose names do not start with Get/List/Describe/Test. Kept explicit and short:
 * anything not named here or by prefix is a write as far as the dry-run guard is concerned.
 */
const READ_ONLY_EXTRA = new Set(['AdminGetUser', 'AdminListGroupsForUser']);
const READ_ONLY_PREFIX = /^(Get|List|Describe|Test)/;

export function isReadOnlyCommand(commandName: string): boolean {
  const name = commandName.replace(/Command$/, '');
  return READ_ONLY_PREFIX.test(name) || READ_ONLY_EXTRA.has(name);
}

export interface CallerIdentity {
  account: string;
  arn: string;
  userId: string;
}

export interface AwsClientsOptions {
  env: EnvironmentInfo;
  dryRun: boolean;
  /** Compare the caller's account and region with the environment's before the first call. */
  checkAccount?: boolean;
  maxAttempts?: number;
  /** MIGRATE_TIME_SCALE: above 1, the SDK's retry back-off is divided by it like every other wait. */
  timeScale?: number;
  onIdentity?: (identity: CallerIdentity) => void;
  /** Asks for an MFA code when a profile's role needs one (`mfa_serial`); without it such a profile fails with a hint. */
  mfaCodeProvider?: (serial: string) => Promise<string>;
}

export interface AwsSession extends AwsClients {
  /** The caller, once the account check has run (undefined before the first AWS call). */
  readonly identity: CallerIdentity | undefined;
  ensureIdentity(): Promise<CallerIdentity>;
  /** The AWS config profile in effect, and where it was named. */
  readonly profile: ProfileChoice;
  /** Answers the steps of one read pass share; cleared by every write these clients send. */
  readonly lookups: LookupCache;
  /**
   * The same clients, handed out while the account check is still in flight, for a session that
   * only reads (a dry run): the reads go out with STS instead of after it, and each answer is held
   * until the account is confirmed (replaced by the check's error if it is not). A write waits for
   * the check before it is sent, whichever way its client was handed out.
   */
  readonly readAhead: AwsClients;
}

interface MiddlewareClient {
  middlewareStack: { add(mw: unknown, options: { step: string; name: string; priority?: string }): void };
  config?: { region?: () => Promise<string> };
}

/** Adds the dry-run guard: the client refuses to send any command that could write. */
export function guardReadOnly(client: unknown): void {
  (client as MiddlewareClient).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string; clientName?: string }) => async (args: unknown) => {
      const name = context.commandName ?? 'UnknownCommand';
      if (!isReadOnlyCommand(name)) {
        throw new RunbookError(
          'DRY_RUN_WRITE',
          `dry run refused to send ${name.replace(/Command$/, '')} (${context.clientName ?? 'AWS'}): it is not a read-only call`,
          {
            hint: 'This is a bug in the step type: a dry run may only call Get*, List*, Describe* and Test* APIs.',
          },
        );
      }
      return next(args);
    },
    { step: 'initialize', name: 'migrateDryRunGuard', priority: 'high' },
  );
}

/** A write makes every kept answer stale: the memo is dropped before it is sent and once it is answered. */
export function forgetOnWrite(client: unknown, lookups: LookupCache): void {
  (client as MiddlewareClient).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (isReadOnlyCommand(context.commandName ?? 'UnknownCommand')) return next(args);
      lookups.clear();
      try {
        return await next(args);
      } finally {
        lookups.clear();
      }
    },
    { step: 'initialize', name: 'migrateForgetOnWrite', priority: 'high' },
  );
}

/**
 * Nothing AWS answers is used, and nothing is written, before the account check passes: a write
 * waits for it before it is sent; a read is sent at once and its answer held until then.
 */
function accountFirst(client: unknown, confirmed: () => Promise<unknown>): void {
  (client as MiddlewareClient).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      if (!isReadOnlyCommand(context.commandName ?? 'UnknownCommand')) {
        await confirmed();
        return next(args);
      }
      const answer = next(args);
      answer.catch(() => undefined);
      await confirmed();
      return answer;
    },
    { step: 'initialize', name: 'migrateAccountFirst', priority: 'high' },
  );
}

/**
 * An SSO session can expire in the middle of a long cutover: the step fails (state saved) with the
 * command that signs in again, rather than a provider error naming no profile.
 */
function explainCredentialFailures(client: unknown, profile: ProfileChoice): void {
  (client as MiddlewareClient).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        const explained = credentialsError(error, profile);
        if (!explained) throw error;
        throw new RunbookError(explained.code, explained.message, { hint: explained.hint ?? '', exitCode: 1, cause: error });
      }
    },
    { step: 'initialize', name: 'migrateCredentialHints', priority: 'low' },
  );
}

/**
 * API Gateway answers 409 ConflictException ("Unable to complete operation due to concurrent
 * modification") while another writer (Terraform applying the same API) holds it. The SDK treats
 * it as a client error and gives up; Terraform's provider retries it on every call. Marking it as
 * throttling makes the client's own retry strategy back off and retry it (within maxAttempts, and
 * so within the step's timeout like any other retry).
 */
export function retryConflicts(client: unknown): void {
  (client as MiddlewareClient).middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (error) {
        const e = error as { name?: string; $retryable?: { throttling?: boolean } } | null;
        if (e && typeof e === 'object' && e.name === 'ConflictException') e.$retryable = { throttling: true };
        throw error;
      }
    },
    { step: 'deserialize', name: 'migrateRetryConflicts', priority: 'high' },
  );
}

export function createAwsSession(options: AwsClientsOptions): AwsSession {
  const clients = new Map<ClientCtor<unknown>, Map<string, Promise<unknown>>>();
  const lookups = new LookupCache();
  let identity: CallerIdentity | undefined;
  let pending: Promise<CallerIdentity> | undefined;
  const maxAttempts = options.maxAttempts ?? Number(process.env.MIGRATE_AWS_MAX_ATTEMPTS ?? 10);

  const scale = options.timeScale ?? 1;
  let retry: Promise<Record<string, unknown>> | undefined;
  const retryConfig = () => (retry ??= retryOptions(maxAttempts, scale));

  const profile = profileOf(options.env);
  // Resolved once, by the STS client of the account check, then shared: one MFA prompt, one SSO
  // token read and one role assumption per run, however many clients the steps build.
  let credentials: unknown;

  function build<C>(ctor: ClientCtor<C>, config: Record<string, unknown>, role: 'account-check' | 'step' = 'step'): C {
    const client = new ctor({
      region: options.env.region,
      ...(profile.profile ? { profile: profile.profile } : {}),
      ...(credentials ? { credentials } : {}),
      ...config,
    });
    if (options.dryRun) guardReadOnly(client);
    if (role === 'step') {
      forgetOnWrite(client, lookups);
      accountFirst(client, () => session.ensureIdentity());
    }
    explainCredentialFailures(client, profile);
    if (ctor.name === 'APIGatewayClient') retryConflicts(client);
    return client;
  }

  let stsClient: Promise<import('@aws-sdk/client-sts').STSClient> | undefined;
  /** The account check's client; every other client takes its credential provider. */
  function accountClient(): Promise<import('@aws-sdk/client-sts').STSClient> {
    stsClient ??= (async () => {
      const { STSClient } = await import('./sdk/sts.js');
      const sts = build(
        STSClient,
        {
          ...(await retryConfig()),
          ...(options.mfaCodeProvider ? { mfaCodeProvider: options.mfaCodeProvider } : {}),
        },
        'account-check',
      );
      // Shared from the start (the provider coalesces concurrent resolutions): clients built while
      // STS is in flight resolve the same credentials, still once per run.
      credentials = sts.config.credentials;
      return sts;
    })();
    return stsClient;
  }

  async function checkIdentity(): Promise<CallerIdentity> {
    // The SDK loads while the configuration files are read.
    const client = accountClient();
    client.catch(() => undefined);
    const configured = await configuredRegion(profile.name);
    if (configured && configured.region !== options.env.region) {
      const fix = configured.source.startsWith('AWS_')
        ? `Unset ${configured.source} or set it to ${options.env.region}`
        : `Set region = ${options.env.region} in that profile, or AWS_REGION=${options.env.region}`;
      throw new RunbookError(
        'WRONG_REGION',
        `${configured.source} says ${configured.region} but environment "${options.env.name}" is in ${options.env.region}`,
        {
          hint: `${fix}; migrate always calls the environment's region, so a shell configured for another region is probably meant for another environment.`,
        },
      );
    }
    const { GetCallerIdentityCommand } = await import('./sdk/sts.js');
    const sts = await client;
    let out: import('@aws-sdk/client-sts').GetCallerIdentityCommandOutput | undefined;
    try {
      out = await sts.send(new GetCallerIdentityCommand({}));
    } catch (error) {
      // Before the first step nothing has run: a credentials problem is a set-up error (exit 2).
      if (error instanceof RunbookError && error.code === 'AWS_CREDENTIALS')
        throw new RunbookError(error.code, error.message, { hint: error.hint ?? '', cause: error.cause });
      throw (
        credentialsError(error, profile) ??
        new RunbookError('AWS_ERROR', `could not tell who is calling AWS (STS GetCallerIdentity failed: ${(error as Error).message})`, {
          hint: 'Check your credentials (--profile, AWS_PROFILE, aws sso login) and, for the sandbox, the AWS_ENDPOINT_URL variables.',
          cause: error,
        })
      );
    }
    const found: CallerIdentity = { account: out.Account ?? '', arn: out.Arn ?? '', userId: out.UserId ?? '' };
    if (options.checkAccount !== false && found.account !== options.env.account) {
      throw new RunbookError(
        'WRONG_ACCOUNT',
        `these credentials are for account ${found.account} (${found.arn}), but environment "${options.env.name}" is account ${options.env.account}`,
        {
          hint: `Switch to credentials for ${options.env.account} (AWS_PROFILE), or pick the right environment with --env.`,
        },
      );
    }
    identity = found;
    options.onIdentity?.(found);
    return found;
  }

  const session: AwsSession = {
    profile,
    lookups,
    get identity() {
      return identity;
    },
    ensureIdentity() {
      pending ??= checkIdentity();
      return pending;
    },
    async client<C>(ctor: ClientCtor<C>, config: Record<string, unknown> = {}): Promise<C> {
      await session.ensureIdentity();
      return clientFor(ctor, config);
    },
    readAhead: {
      lookups,
      async client<C>(ctor: ClientCtor<C>, config: Record<string, unknown> = {}): Promise<C> {
        session.ensureIdentity().catch(() => undefined);
        await accountClient();
        return clientFor(ctor, config);
      },
    },
  };

  // The promise is kept, not the client: reads started together share one client per constructor.
  function clientFor<C>(ctor: ClientCtor<C>, config: Record<string, unknown>): Promise<C> {
    const key = JSON.stringify(config);
    let byConfig = clients.get(ctor);
    if (!byConfig) {
      byConfig = new Map();
      clients.set(ctor, byConfig);
    }
    let client = byConfig.get(key) as Promise<C> | undefined;
    if (!client) {
      client = retryConfig().then((retry) => build(ctor, { ...retry, ...config }));
      byConfig.set(key, client);
    }
    return client;
  }
  return session;
}

/**
 * Production (scale 1) uses the SDK's adaptive retry strategy as it is. In a rehearsal the time
 * scale shrinks every wait, and the SDK's back-off (about 1 s doubling to 20 s for throttling) is
 * one of them: the same exponential back-off with full jitter, divided by the scale.
 */
async function retryOptions(maxAttempts: number, scale: number): Promise<Record<string, unknown>> {
  if (scale <= 1) return { retryMode: 'adaptive', maxAttempts };
  const { ConfiguredRetryStrategy } = await import('@smithy/core/retry');
  const backoff = (attempt: number) => Math.max(5, (Math.random() * Math.min(20_000, 1000 * 2 ** (attempt - 1))) / scale);
  return { maxAttempts, retryStrategy: new ConfiguredRetryStrategy(maxAttempts, backoff) };
}
