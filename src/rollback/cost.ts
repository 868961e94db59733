import type { CognitoIdentityProviderClient } from '@aws-sdk/client-cognito-identity-provider';
import { messageOf } from '../errors.js';
import type { CostDef } from '../runbook/types.js';
import type { Checkpoint } from '../steps/types.js';
import { inEffect } from '../watch/armed.js';

/**
 * What a rollback would cost: how many people already used the new side since the step it undoes
 * (users created, or created or changed, in the Cognito pool since that step was applied). A
 * rollback to Keycloak strands them; `migrate users export-since` lists them so they can be
 * recreated there.
 */
export interface RollbackCost {
  /** null when the count could not be made (see error). */
  value: number | null;
  counter: CostDef['counter'];
  since: string;
  /** When the since step took effect; null when it is not in effect (nothing to strand). */
  sinceAt: string | null;
  /** The earliest of the counted users' times. */
  first: string | null;
  error?: string | undefined;
}

/** A Cognito user as the cost and the export see it: never a credential (ListUsers returns none). */
export interface PoolUser {
  username: string;
  status: string | null;
  enabled: boolean;
  created: string | null;
  modified: string | null;
  attributes: Record<string, string>;
}

export async function listPoolUsers(client: CognitoIdentityProviderClient, userPoolId: string, signal?: AbortSignal): Promise<PoolUser[]> {
  const sdk = await import('../aws/sdk/cognito.js');
  const out: PoolUser[] = [];
  let token: string | undefined;
  do {
    const page = await client.send(
      new sdk.ListUsersCommand({ UserPoolId: userPoolId, Limit: 60, ...(token ? { PaginationToken: token } : {}) }),
      { abortSignal: signal },
    );
    for (const u of page.Users ?? []) {
      out.push({
        username: u.Username ?? '',
        status: u.UserStatus ?? null,
        enabled: u.Enabled !== false,
        created: u.UserCreateDate ? new Date(u.UserCreateDate).toISOString() : null,
        modified: u.UserLastModifiedDate ? new Date(u.UserLastModifiedDate).toISOString() : null,
        attributes: Object.fromEntries((u.Attributes ?? []).map((a) => [a.Name ?? '', a.Value ?? ''])),
      });
    }
    token = page.PaginationToken;
  } while (token);
  return out;
}

/** When the step took effect, or null when it is not in effect. */
export function sinceTime(steps: Record<string, Checkpoint>, ref: string): number | null {
  const cp = steps[ref];
  if (!inEffect(cp)) return null;
  const t = Date.parse(cp?.at ?? '');
  return Number.isNaN(t) ? null : t;
}

/**
 * The users a counter counts. Cognito keeps its dates to the second, so the step's time is taken
 * down to its second: a user created in the same second as the step counts (stranding one person
 * too many in the figure is the safe side).
 */
export function usersSince(users: PoolUser[], counter: CostDef['counter'], sinceMs: number): PoolUser[] {
  const from = Math.floor(sinceMs / 1000) * 1000;
  const at = (text: string | null) => (text === null ? Number.NaN : Date.parse(text));
  return users.filter((u) => at(u.created) >= from || (counter === 'cognito.usersChangedSince' && at(u.modified) >= from));
}

export interface CostSource {
  steps: Record<string, Checkpoint>;
  /** The pool's users; the pool named by the cost (or users.userPool). */
  users(def: CostDef): Promise<PoolUser[]>;
}

export async function rollbackCost(def: CostDef, source: CostSource): Promise<RollbackCost> {
  const base = { counter: def.counter, since: def.since };
  const since = sinceTime(source.steps, def.since);
  if (since === null) return { ...base, value: 0, sinceAt: null, first: null };
  try {
    const counted = usersSince(await source.users(def), def.counter, since);
    const times = counted
      .map((u) =>
        def.counter === 'cognito.usersCreatedSince'
          ? u.created
          : ([u.created, u.modified].filter((t): t is string => !!t && Date.parse(t) >= since).sort()[0] ?? u.created),
      )
      .filter((t): t is string => !!t)
      .sort();
    return { ...base, value: counted.length, sinceAt: new Date(since).toISOString(), first: times[0] ?? null };
  } catch (error) {
    return { ...base, value: null, sinceAt: new Date(since).toISOString(), first: null, error: messageOf(error) };
  }
}

/** "rollback 4 would strand 37 users who signed in to Cognito since mid.4, the first at 10:42". */
export function describeCost(id: string, cost: RollbackCost): string {
  if (cost.error) return `rollback ${id}: its cost (${cost.counter} since ${cost.since}) could not be counted: ${cost.error}`;
  if (cost.sinceAt === null) return `rollback ${id} would strand nobody: ${cost.since} is not in effect`;
  const what = cost.counter === 'cognito.usersCreatedSince' ? 'signed in to Cognito' : 'signed in to or were changed in Cognito';
  const n = cost.value ?? 0;
  const first = cost.first
    ? `, the first at ${new Date(cost.first).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', hour12: false })}`
    : '';
  return `rollback ${id} would strand ${n} user${n === 1 ? '' : 's'} who ${what} since ${cost.since}${n > 0 ? first : ''}`;
}

/** Over the point of no return: a cost above maxCost, or one that could not be counted. */
export function overCost(cost: RollbackCost | null, maxCost: number | undefined): boolean {
  if (maxCost === undefined || cost === null) return false;
  return cost.value === null || cost.value > maxCost;
}
