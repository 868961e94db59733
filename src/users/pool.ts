import { setMaxListeners } from 'node:events';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RunbookError, messageOf } from '../errors.js';
import { describeAwsError } from '../aws/errors.js';
import { userAttributes } from './mapping.js';
import { realClock, type TokenBucket } from './rate-limit.js';
import type { PlannedUser } from './types.js';

type Sdk = typeof import('../aws/sdk/cognito.js');

/** The part of a client's middleware stack the users feature adds to (kept loose: clients differ in types). */
interface Stacked {
  middlewareStack: {
    add(middleware: unknown, options: { step: string; name: string; priority?: string }): void;
    addRelativeTo(middleware: unknown, options: { name: string; relation: 'before' | 'after'; toMiddleware: string }): void;
    remove(name: string): boolean;
  };
}

type Next = (args: unknown) => Promise<unknown>;

/** Throttling and server faults are worth another attempt; anything else is an answer. */
const RETRYABLE = new Set([
  'ThrottlingException',
  'TooManyRequestsException',
  'Throttling',
  'RequestLimitExceeded',
  'InternalErrorException',
  'ServiceUnavailable',
  'TimeoutError',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
]);

export function isRetryable(error: unknown): boolean {
  if (!error || typeof error !== 'object' || error instanceof RunbookError) return false;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number }; $retryable?: unknown };
  return (
    RETRYABLE.has(e.name ?? '') || RETRYABLE.has(e.code ?? '') || (e.$metadata?.httpStatusCode ?? 0) >= 500 || e.$retryable !== undefined
  );
}

/**
 * The users feature's own retries. The SDK's retry quota (standard and adaptive modes alike) is
 * spent after a few hundred throttled answers, after which it stops retrying at all: at 50%
 * throttling a 2,000-user sync failed half its users with "1 attempts". Here each request has its
 * own budget of attempts, with exponential back-off and full jitter, and every attempt takes a
 * token of the run's rate, so retries slow the sync down rather than fail it.
 */
export interface RetryPolicy {
  /** Attempts per request, the first included. */
  maxAttempts: number;
  baseMs: number;
  capMs: number;
  /** MIGRATE_TIME_SCALE: the back-off is divided by it like every other wait. */
  timeScale: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 16, baseMs: 200, capMs: 20_000, timeScale: 1 };

export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number = Math.random): number {
  return (random() * Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1))) / Math.max(1, policy.timeScale);
}

/** What the middleware counted, for the summary. */
export interface CallStats {
  attempts: number;
  retries: number;
}

/**
 * Installs the rate limit and the retry budget on the client itself, so every command (paginators
 * included) goes through them: the retry loop wraps the whole send, and the token bucket sits
 * after the SDK's own retry step, so each attempt that leaves the process takes one token.
 */
export function pace(client: unknown, bucket: TokenBucket, signal: AbortSignal | undefined, policy: RetryPolicy, stats: CallStats): void {
  const stack = (client as Stacked).middlewareStack;
  stack.remove('migrateUsersRetry');
  stack.remove('migrateUsersRateLimit');
  stack.add(
    (next: Next) => async (args: unknown) => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await next(args);
        } catch (error) {
          if (attempt >= policy.maxAttempts || signal?.aborted || !isRetryable(error)) {
            if (error && typeof error === 'object' && '$metadata' in error)
              (error as { $metadata: { attempts?: number } }).$metadata.attempts = attempt;
            throw error;
          }
          stats.retries++;
          await realClock.sleep(backoffMs(attempt, policy), signal);
        }
      }
    },
    { step: 'initialize', name: 'migrateUsersRetry', priority: 'high' },
  );
  stack.addRelativeTo(
    (next: Next) => async (args: unknown) => {
      await bucket.take(signal);
      stats.attempts++;
      return next(args);
    },
    { name: 'migrateUsersRateLimit', relation: 'after', toMiddleware: 'retryMiddleware' },
  );
}

/** What diff needs of a Cognito user, kept small: a 100k-user pool is held in memory. */
export interface PoolEntry {
  username: string;
  enabled: boolean;
  /** The compared attributes as JSON text of a name -> value object (compact in memory). */
  attrs: string;
}

/**
 * Pool users by lowercased username (or email, for pools that sign in by email alias), one packed
 * string a user: diff and sync hold the whole pool, and as objects (an entry, its username, its
 * attributes as JSON with their names) 100k users took about twice the memory. A row is the
 * enabled flag, the username (empty when it is the key), NUL, then the compared attributes'
 * values as a JSON array in `compared` order (null: absent; 0: the key itself, usually the email).
 */
export class PoolIndex {
  private readonly rows = new Map<string, string>();

  constructor(private readonly compared: readonly string[]) {}

  get size(): number {
    return this.rows.size;
  }

  has(key: string): boolean {
    return this.rows.has(key);
  }

  set(key: string, e: PoolEntry): this {
    const attrs = JSON.parse(e.attrs) as Record<string, string>;
    const values = this.compared.map((name) => {
      const v = attrs[name];
      return v === undefined ? null : v === key ? 0 : v;
    });
    // Attributes outside `compared` would not survive packing; entry() keeps none.
    // join, not a template literal: one flat string, not a chain of pieces that keeps each part.
    this.rows.set(key, [e.enabled ? '1' : '0', e.username === key ? '' : e.username, '\u0000', JSON.stringify(values)].join(''));
    return this;
  }

  get(key: string): PoolEntry | undefined {
    const row = this.rows.get(key);
    return row === undefined ? undefined : this.unpack(key, row);
  }

  *[Symbol.iterator](): IterableIterator<[string, PoolEntry]> {
    for (const [key, row] of this.rows) yield [key, this.unpack(key, row)];
  }

  private unpack(key: string, row: string): PoolEntry {
    const nul = row.indexOf('\u0000');
    const values = JSON.parse(row.slice(nul + 1)) as (string | 0 | null)[];
    const attrs: Record<string, string> = {};
    this.compared.forEach((name, i) => {
      const v = values[i];
      if (v !== null && v !== undefined) attrs[name] = v === 0 ? key : v;
    });
    return { username: nul === 1 ? key : row.slice(1, nul), enabled: row[0] === '1', attrs: JSON.stringify(attrs) };
  }
}

export function errorName(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'name' in error ? String((error as { name: unknown }).name) : undefined;
}

export function awsMessage(error: unknown): string {
  return describeAwsError(error) ?? messageOf(error);
}

/**
 * The Cognito calls the users feature makes. Every attempt of every request of a run goes through
 * one token bucket and one retry budget, installed on the client as middleware (see pace()).
 */
export class CognitoUsers {
  private constructor(
    private readonly sdk: Sdk,
    private readonly client: CognitoIdentityProviderClient,
    readonly userPoolId: string,
    private readonly signal: AbortSignal | undefined,
    private readonly stats: CallStats,
  ) {}

  static async open(
    client: CognitoIdentityProviderClient,
    userPoolId: string,
    bucket: TokenBucket,
    signal?: AbortSignal,
    retry: Partial<RetryPolicy> = {},
  ): Promise<CognitoUsers> {
    const sdk = await import('../aws/sdk/cognito.js');
    const inner = signal ? fanOut(signal) : undefined;
    const stats: CallStats = { attempts: 0, retries: 0 };
    pace(client, bucket, inner, { ...DEFAULT_RETRY, ...retry }, stats);
    return new CognitoUsers(sdk, client, userPoolId, inner, stats);
  }

  /** Requests sent to Cognito by this run, retries included. */
  get requests(): number {
    return this.stats.attempts;
  }

  /** Attempts repeated after throttling or a server fault. */
  get retries(): number {
    return this.stats.retries;
  }

  /** The run's abort signal on every request; pacing and retries are the client's middleware. */
  private call<T>(send: (c: CognitoIdentityProviderClient, options: { abortSignal?: AbortSignal }) => Promise<T>): Promise<T> {
    return send(this.client, this.signal ? { abortSignal: this.signal } : {});
  }

  async createUser(user: PlannedUser, invite: boolean): Promise<void> {
    const { AdminCreateUserCommand } = this.sdk;
    const command = new AdminCreateUserCommand({
      UserPoolId: this.userPoolId,
      Username: user.username,
      UserAttributes: userAttributes(user),
      // Never invite someone Keycloak has disabled: the mail would invite a locked-out account.
      ...(invite && user.enabled ? { DesiredDeliveryMediums: ['EMAIL'] } : { MessageAction: 'SUPPRESS' }),
    });
    await this.call((c, o) => c.send(command, o));
  }

  async disableUser(username: string): Promise<void> {
    const { AdminDisableUserCommand } = this.sdk;
    await this.call((c, o) => c.send(new AdminDisableUserCommand({ UserPoolId: this.userPoolId, Username: username }), o));
  }

  async addToGroup(username: string, group: string): Promise<void> {
    const { AdminAddUserToGroupCommand } = this.sdk;
    await this.call((c, o) =>
      c.send(new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: username, GroupName: group }), o),
    );
  }

  /** One user by username, or undefined when Cognito has none. */
  async getUser(username: string, compared: string[]): Promise<PoolEntry | undefined> {
    try {
      const { AdminGetUserCommand } = this.sdk;
      const out = await this.call((c, o) => c.send(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username }), o));
      return entry(out.Username ?? username, out.Enabled ?? true, out.UserAttributes, compared);
    } catch (error) {
      if (errorName(error) === 'UserNotFoundException') return undefined;
      throw this.fail(`AdminGetUser ${username}`, error);
    }
  }

  /** Every user of the pool, page by page, keeping only what diff compares. */
  async listUsers(compared: string[], onPage?: (count: number) => void): Promise<PoolIndex> {
    const index = new PoolIndex(compared);
    try {
      for await (const page of this.sdk.paginateListUsers(
        { client: this.client, pageSize: 60 },
        { UserPoolId: this.userPoolId, AttributesToGet: compared },
      )) {
        for (const u of page.Users ?? []) {
          const e = entry(u.Username ?? '', u.Enabled ?? true, u.Attributes, compared);
          index.set(poolKey(e), e);
        }
        onPage?.(index.size);
      }
    } catch (error) {
      throw this.fail('ListUsers', error);
    }
    return index;
  }

  async groupNames(): Promise<Set<string>> {
    const names = new Set<string>();
    try {
      for await (const page of this.sdk.paginateListGroups({ client: this.client, pageSize: 60 }, { UserPoolId: this.userPoolId })) {
        for (const g of page.Groups ?? []) if (g.GroupName) names.add(g.GroupName);
      }
    } catch (error) {
      throw this.fail('ListGroups', error);
    }
    return names;
  }

  /** Attribute names the pool's schema defines ("email", "custom:dbc" ...). */
  async schemaAttributes(): Promise<Set<string>> {
    const { DescribeUserPoolCommand } = this.sdk;
    const out = await this.call((c, o) => c.send(new DescribeUserPoolCommand({ UserPoolId: this.userPoolId }), o)).catch(
      (error: unknown) => {
        throw this.fail('DescribeUserPool', error);
      },
    );
    return new Set((out.UserPool?.SchemaAttributes ?? []).map((a) => a.Name ?? '').filter(Boolean));
  }

  fail(what: string, error: unknown): RunbookError {
    if (error instanceof RunbookError) return error;
    if (this.signal?.aborted) return new RunbookError('ABORTED', `interrupted during ${what}`, { cause: error });
    if (errorName(error) === 'ResourceNotFoundException' && /pool/i.test(messageOf(error))) {
      return new RunbookError('USERS', `user pool ${this.userPoolId} not found (${what})`, {
        hint: "Check the runbook's users.userPool and that the credentials are for the right account and region.",
        cause: error,
      });
    }
    return new RunbookError('AWS_ERROR', `${what} failed: ${awsMessage(error)}`, { cause: error });
  }
}

/**
 * Every request in flight (and every rate-limit wait) listens for the abort; with dozens at once
 * Node would warn of a listener leak on the caller's signal. One listener there, any number here.
 */
function fanOut(signal: AbortSignal): AbortSignal {
  const inner = new AbortController();
  setMaxListeners(0, inner.signal);
  if (signal.aborted) inner.abort(signal.reason);
  else signal.addEventListener('abort', () => inner.abort(signal.reason), { once: true });
  return inner.signal;
}

function entry(
  username: string,
  enabled: boolean,
  attributes: { Name?: string; Value?: string }[] | undefined,
  compared: string[],
): PoolEntry {
  const attrs: Record<string, string> = {};
  for (const a of attributes ?? []) if (a.Name && a.Value !== undefined && compared.includes(a.Name)) attrs[a.Name] = a.Value;
  return { username, enabled, attrs: JSON.stringify(attrs) };
}

/** Usernames are the email; a pool that signs in by email alias has UUID usernames, so use the email there. */
export function poolKey(e: PoolEntry): string {
  if (e.username.includes('@')) return e.username.toLowerCase();
  const email = (JSON.parse(e.attrs) as Record<string, string>).email;
  return (email ?? e.username).toLowerCase();
}

/**
 * A pool id ("eu-west-2_AbC123") is used as it is once DescribeUserPool finds it; anything else is
 * looked up by name, and must name exactly one pool.
 */
export async function resolveUserPoolId(client: CognitoIdentityProviderClient, idOrName: string): Promise<string> {
  const sdk = await import('../aws/sdk/cognito.js');
  if (/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/.test(idOrName)) {
    try {
      await client.send(new sdk.DescribeUserPoolCommand({ UserPoolId: idOrName }));
      return idOrName;
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException')
        throw new RunbookError('AWS_ERROR', `DescribeUserPool ${idOrName} failed: ${awsMessage(error)}`, { cause: error });
    }
  }
  const matches: string[] = [];
  const names: string[] = [];
  try {
    for await (const page of sdk.paginateListUserPools({ client, pageSize: 60 }, { MaxResults: 60 })) {
      for (const p of page.UserPools ?? []) {
        if (p.Name) names.push(p.Name);
        if (p.Id && (p.Id === idOrName || p.Name === idOrName)) matches.push(p.Id);
      }
    }
  } catch (error) {
    throw new RunbookError('AWS_ERROR', `ListUserPools failed: ${awsMessage(error)}`, { cause: error });
  }
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new RunbookError('USERS', `${matches.length} user pools are named "${idOrName}" (${matches.join(', ')})`, {
      hint: 'Give the pool id in users.userPool instead of its name.',
      exitCode: 2,
    });
  }
  throw new RunbookError('USERS', `no user pool "${idOrName}" in this account and region`, {
    hint: names.length
      ? `Pools here: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}.`
      : 'This account and region have no user pools; check the credentials and --env.',
    exitCode: 2,
  });
}

/** Stops before any write when the mapping names a custom attribute the pool does not define. */
export async function assertMappedAttributes(api: CognitoUsers, mapping: { attributes: Record<string, string> }): Promise<void> {
  const schema = await api.schemaAttributes();
  const missing = Object.entries(mapping.attributes).filter(([, to]) => !schema.has(to));
  if (missing.length === 0) return;
  throw new RunbookError(
    'USERS',
    `user pool ${api.userPoolId} has no attribute ${missing.map(([from, to]) => `${to} (mapped from ${from})`).join(', ')}`,
    {
      hint: "Add the custom attribute to the pool (terraform), or remove it from the runbook's users.attributes.",
      exitCode: 2,
    },
  );
}
