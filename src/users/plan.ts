import { UserMapper, type UsersMapping } from './mapping.js';
import type { PoolEntry, PoolIndex } from './pool.js';
import type { AttributeDifference, ExportRecord, InvalidRow, KeycloakUser, PlannedUser } from './types.js';

/** What to do with one export row. */
export type Decision =
  | { kind: 'invalid'; row: InvalidRow }
  /** A Keycloak service account (a client's identity, not a person): never synced. */
  | { kind: 'service-account'; position: string; username: string }
  /** Not in Cognito, or started by an interrupted sync and not known to be finished. */
  | { kind: 'create'; user: PlannedUser; resumed: boolean }
  /** Not in Cognito, but a Cognito group it maps to does not exist: an error for this user. */
  | { kind: 'blocked'; user: PlannedUser; reason: string }
  | { kind: 'present'; user: PlannedUser; entry: PoolEntry; differences: AttributeDifference[] }
  /** Finished by an earlier sync of the same export (checkpoint). */
  | { kind: 'done'; user: PlannedUser };

export interface PlanInput {
  mapping: UsersMapping;
  pool: PoolIndex;
  compared: string[];
  /** Cognito groups that exist; undefined skips the check (diff). */
  groups?: Set<string> | undefined;
  completed?: ReadonlySet<string> | undefined;
  /** Started but not recorded as finished by an interrupted sync: redone, whatever the pool says. */
  unfinished?: ReadonlySet<string> | undefined;
}

/**
 * One decision per export row, in export order. Pure over its inputs, so sync can run it twice
 * (count, then act) and get the same answers without holding the whole plan in memory.
 */
export async function* planUsers(records: AsyncIterable<ExportRecord>, input: PlanInput): AsyncGenerator<Decision> {
  const mapper = new UserMapper(input.mapping);
  for await (const record of records) {
    if (isServiceAccount(record.user)) {
      yield {
        kind: 'service-account',
        position: record.position,
        username: record.user.username ?? record.user.serviceAccountClientId ?? '',
      };
      continue;
    }
    const mapped = mapper.map(record);
    if (!mapped.ok) {
      yield { kind: 'invalid', row: mapped.invalid };
      continue;
    }
    const user = mapped.user;
    if (input.completed?.has(user.username)) {
      yield { kind: 'done', user };
      continue;
    }
    const entry = input.pool.get(user.username);
    const resumed = input.unfinished?.has(user.username) ?? false;
    if (entry && !resumed) {
      yield { kind: 'present', user, entry, differences: compare(user, entry, input.compared) };
      continue;
    }
    const missing = input.groups ? user.groups.filter((g) => !input.groups!.has(g)) : [];
    if (missing.length > 0) {
      yield {
        kind: 'blocked',
        user,
        reason: `Cognito group${missing.length > 1 ? 's' : ''} ${missing.map((g) => `"${g}"`).join(', ')} not found (migrate does not create groups)`,
      };
      continue;
    }
    yield { kind: 'create', user, resumed };
  }
}

/** Keycloak names a client's service account `service-account-<client>` and links it to the client. */
export function isServiceAccount(user: KeycloakUser): boolean {
  return !!user.serviceAccountClientId || (user.username ?? '').toLowerCase().startsWith('service-account-');
}

/** Differences in the attributes the mapping writes and in the enabled state. */
export function compare(user: PlannedUser, entry: PoolEntry, compared: string[]): AttributeDifference[] {
  const cognito = JSON.parse(entry.attrs) as Record<string, string>;
  const out: AttributeDifference[] = [];
  for (const name of compared) {
    let a = user.attributes[name];
    let b = cognito[name];
    // Cognito reads a missing email_verified as false.
    if (name === 'email_verified') {
      a = a ?? 'false';
      b = b ?? 'false';
    }
    if (a !== b) out.push({ field: name, export: a, cognito: b });
  }
  if (user.enabled !== entry.enabled) out.push({ field: 'enabled', export: String(user.enabled), cognito: String(entry.enabled) });
  return out;
}
