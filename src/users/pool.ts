import { setMaxListeners } from 'node:events';
import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { RunbookError, messageOf } from '../errors.js';
import { describeAwsError } from '../aws/errors.js';
import { userAttributes } from './mapping.js';
import type { TokenBucket } from './rate-limit.js';
import type { PlannedUser } from './types.js';

type Sdk = typeof import('@aws-sdk/client-cognito-identity-provider');

/** The part of a command's middleware stack used to meter retries (kept loose: commands differ in types). */
interface Metered {
  middlewareStack: {
    addRelativeTo(
      middleware: (next: (args: unknown) => Promise<unknown>) => (args: unknown) => Promise<unknown>,
      options: { name: string; relation: 'before' | 'after'; toMiddleware: string },
    ): void;
  };
}

/** What diff needs of a Cognito user, kept small: a 100k-user pool is held in memory. */
export interface PoolEntry {
  username: string;
  enabled: boolean;
  /** The compared attributes as JSON text of a name -> value object (compact in memory). */
  attrs: string;
}

/** Pool users by lowercased username (or email, for pools that sign in by email alias). */
export type PoolIndex = Map<string, PoolEntry>;

export function errorName(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'name' in error ? String((error as { name: unknown }).name) : undefined;
}

export function awsMessage(error: unknown): string {
  return describeAwsError(error) ?? messageOf(error);
}

/**
 * The Cognito calls the users feature makes, each one through the shared token bucket, so every
 * request of a run counts against one rate. Retries on throttling are the SDK client's own.
 */
export class CognitoUsers {
  private constructor(
    private readonly sdk: Sdk,
    private readonly client: CognitoIdentityProviderClient,
    readonly userPoolId: string,
    private readonly bucket: TokenBucket,
    private readonly signal: AbortSignal | undefined,
  ) {}

  static async open(client: CognitoIdentityProviderClient, userPoolId: string, bucket: TokenBucket, signal?: AbortSignal): Promise<CognitoUsers> {
    const sdk = await import('@aws-sdk/client-cognito-identity-provider');
    return new CognitoUsers(sdk, client, userPoolId, bucket, signal ? fanOut(signal) : undefined);
  }

  /** Requests sent (or about to be) through this wrapper. */
  get requests(): number {
    return this.bucket.taken;
  }

  /**
   * Every request goes through here: one token before it is sent, and the run's abort signal. The
   * SDK's own retries (throttling, 5xx) happen inside client.send; `metered` makes each of those
   * attempts take a token too, so the bucket bounds what Cognito actually receives.
   */
  private async call<T>(send: (c: CognitoIdentityProviderClient, options: { abortSignal?: AbortSignal }) => Promise<T>): Promise<T> {
    await this.bucket.take(this.signal);
    return send(this.client, this.signal ? { abortSignal: this.signal } : {});
  }

  private metered<C extends object>(command: C): C {
    let attempts = 0;
    (command as unknown as Metered).middlewareStack.addRelativeTo(
      (next) => async (args) => {
        // The first attempt took its token in call(); each retry takes one here.
        if (attempts++ > 0) await this.bucket.take(this.signal);
        return next(args);
      },
      { name: 'migrateUsersRateLimit', relation: 'after', toMiddleware: 'retryMiddleware' },
    );
    return command;
  }

  async createUser(user: PlannedUser, invite: boolean): Promise<void> {
    const { AdminCreateUserCommand } = this.sdk;
    await this.call((c, o) =>
      c.send(
        this.metered(
          new AdminCreateUserCommand({
            UserPoolId: this.userPoolId,
            Username: user.username,
            UserAttributes: userAttributes(user),
            // Never invite someone Keycloak has disabled: the mail would invite a locked-out account.
            ...(invite && user.enabled ? { DesiredDeliveryMediums: ['EMAIL'] } : { MessageAction: 'SUPPRESS' }),
          }),
        ),
        o,
      ),
    );
  }

  async disableUser(username: string): Promise<void> {
    const { AdminDisableUserCommand } = this.sdk;
    await this.call((c, o) => c.send(this.metered(new AdminDisableUserCommand({ UserPoolId: this.userPoolId, Username: username })), o));
  }

  async addToGroup(username: string, group: string): Promise<void> {
    const { AdminAddUserToGroupCommand } = this.sdk;
    await this.call((c, o) => c.send(this.metered(new AdminAddUserToGroupCommand({ UserPoolId: this.userPoolId, Username: username, GroupName: group })), o));
  }

  /** One user by username, or undefined when Cognito has none. */
  async getUser(username: string, compared: string[]): Promise<PoolEntry | undefined> {
    try {
      const { AdminGetUserCommand } = this.sdk;
      const out = await this.call((c, o) => c.send(this.metered(new AdminGetUserCommand({ UserPoolId: this.userPoolId, Username: username })), o));
      return entry(out.Username ?? username, out.Enabled ?? true, out.UserAttributes, compared);
    } catch (error) {
      if (errorName(error) === 'UserNotFoundException') return undefined;
      throw this.fail(`AdminGetUser ${username}`, error);
    }
  }

  /** Every user of the pool, page by page, keeping only what diff compares. */
  async listUsers(compared: string[], onPage?: (count: number) => void): Promise<PoolIndex> {
    const index: PoolIndex = new Map();
    let token: string | undefined;
    do {
      const { ListUsersCommand } = this.sdk;
      let out;
      try {
        out = await this.call((c, o) =>
          c.send(this.metered(new ListUsersCommand({ UserPoolId: this.userPoolId, Limit: 60, AttributesToGet: compared, ...(token ? { PaginationToken: token } : {}) })), o),
        );
      } catch (error) {
        throw this.fail('ListUsers', error);
      }
      for (const u of out.Users ?? []) {
        const e = entry(u.Username ?? '', u.Enabled ?? true, u.Attributes, compared);
        index.set(poolKey(e), e);
      }
      onPage?.(index.size);
      token = out.PaginationToken;
    } while (token);
    return index;
  }

  async groupNames(): Promise<Set<string>> {
    const names = new Set<string>();
    let token: string | undefined;
    do {
      const { ListGroupsCommand } = this.sdk;
      let out;
      try {
        out = await this.call((c, o) => c.send(this.metered(new ListGroupsCommand({ UserPoolId: this.userPoolId, Limit: 60, ...(token ? { NextToken: token } : {}) })), o));
      } catch (error) {
        throw this.fail('ListGroups', error);
      }
      for (const g of out.Groups ?? []) if (g.GroupName) names.add(g.GroupName);
      token = out.NextToken;
    } while (token);
    return names;
  }

  /** Attribute names the pool's schema defines ("email", "custom:dbc" ...). */
  async schemaAttributes(): Promise<Set<string>> {
    const { DescribeUserPoolCommand } = this.sdk;
    let out;
    try {
      out = await this.call((c, o) => c.send(this.metered(new DescribeUserPoolCommand({ UserPoolId: this.userPoolId })), o));
    } catch (error) {
      throw this.fail('DescribeUserPool', error);
    }
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

function entry(username: string, enabled: boolean, attributes: { Name?: string; Value?: string }[] | undefined, compared: string[]): PoolEntry {
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
  const sdk = await import('@aws-sdk/client-cognito-identity-provider');
  if (/^[a-z]{2}(-[a-z]+)+-\d_[0-9A-Za-z]+$/.test(idOrName)) {
    try {
      await client.send(new sdk.DescribeUserPoolCommand({ UserPoolId: idOrName }));
      return idOrName;
    } catch (error) {
      if (errorName(error) !== 'ResourceNotFoundException') throw new RunbookError('AWS_ERROR', `DescribeUserPool ${idOrName} failed: ${awsMessage(error)}`, { cause: error });
    }
  }
  const matches: string[] = [];
  const names: string[] = [];
  let token: string | undefined;
  do {
    let out;
    try {
      out = await client.send(new sdk.ListUserPoolsCommand({ MaxResults: 60, ...(token ? { NextToken: token } : {}) }));
    } catch (error) {
      throw new RunbookError('AWS_ERROR', `ListUserPools failed: ${awsMessage(error)}`, { cause: error });
    }
    for (const p of out.UserPools ?? []) {
      if (p.Name) names.push(p.Name);
      if (p.Id && (p.Id === idOrName || p.Name === idOrName)) matches.push(p.Id);
    }
    token = out.NextToken;
  } while (token);
  if (matches.length === 1) return matches[0]!;
  if (matches.length > 1) {
    throw new RunbookError('USERS', `${matches.length} user pools are named "${idOrName}" (${matches.join(', ')})`, { hint: 'Give the pool id in users.userPool instead of its name.', exitCode: 2 });
  }
  throw new RunbookError('USERS', `no user pool "${idOrName}" in this account and region`, {
    hint: names.length ? `Pools here: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', ...' : ''}.` : 'This account and region have no user pools; check the credentials and --env.',
    exitCode: 2,
  });
}

/** Stops before any write when the mapping names a custom attribute the pool does not define. */
export async function assertMappedAttributes(api: CognitoUsers, mapping: { attributes: Record<string, string> }): Promise<void> {
  const schema = await api.schemaAttributes();
  const missing = Object.entries(mapping.attributes).filter(([, to]) => !schema.has(to));
  if (missing.length === 0) return;
  throw new RunbookError('USERS', `user pool ${api.userPoolId} has no attribute ${missing.map(([from, to]) => `${to} (mapped from ${from})`).join(', ')}`, {
    hint: 'Add the custom attribute to the pool (terraform), or remove it from the runbook\'s users.attributes.',
    exitCode: 2,
  });
}
