import type { UsersMapping } from '../runbook/schema.js';
import type { ExportRecord, InvalidRow, KeycloakUser, PlannedUser } from './types.js';

export type { UsersMapping } from '../runbook/schema.js';

/** Cognito's limit on one attribute value. */
export const MAX_ATTRIBUTE_LENGTH = 2048;
/** Cognito's limit on a username (here, the email). */
export const MAX_USERNAME_LENGTH = 128;

const STANDARD = ['email', 'email_verified', 'given_name', 'family_name'] as const;
// Deliberately plain: one @, a dot in the domain, no spaces or control characters.
const EMAIL = /^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+\.[^\s@\p{Cc}.]+$/u;

export type MapResult = { ok: true; user: PlannedUser } | { ok: false; invalid: InvalidRow };

/** The Cognito username for an email: trimmed and lowercased. */
export function usernameFor(email: string): string {
  return email.trim().toLowerCase();
}

/** The Cognito attributes the mapping writes, so diff compares exactly those. */
export function comparedAttributes(mapping: UsersMapping): string[] {
  return [...new Set<string>([...STANDARD, ...Object.values(mapping.attributes)])];
}

/**
 * Turns export rows into Cognito users. Stateful: it remembers each email it has seen, so the
 * second and later rows of the same email (ignoring case and surrounding spaces) are invalid
 * rows pointing at the first. Feed it the export in order, once.
 */
export class UserMapper {
  private readonly seen = new Map<string, string>();

  constructor(private readonly mapping: UsersMapping) {}

  map(record: ExportRecord): MapResult {
    const { position, user } = record;
    const email = user.email?.trim();
    const invalid = (reason: string, extra: Partial<InvalidRow> = {}): MapResult => ({
      ok: false,
      invalid: { position, ...(email ? { email: user.email } : {}), reason, ...extra },
    });
    if (record.problem) return invalid(record.problem);
    if (!email) return invalid('no email');
    if (!EMAIL.test(email)) return invalid('malformed email');
    const username = usernameFor(email);
    if (username.length > MAX_USERNAME_LENGTH)
      return invalid(`email is ${username.length} characters; Cognito usernames are at most ${MAX_USERNAME_LENGTH}`);
    const first = this.seen.get(username);
    if (first !== undefined) return invalid(`duplicate email (first at ${first})`, { firstPosition: first });
    this.seen.set(username, position);

    const attributes: Record<string, string> = { email: username };
    if (user.emailVerified) attributes.email_verified = 'true';
    const given = user.firstName?.trim();
    const family = user.lastName?.trim();
    if (given) attributes.given_name = given;
    if (family) attributes.family_name = family;
    for (const [from, to] of Object.entries(this.mapping.attributes)) {
      const values = user.attributes[from];
      if (values && values.length > 0) attributes[to] = values.join(',');
    }
    for (const [name, value] of Object.entries(attributes)) {
      if (value.length > MAX_ATTRIBUTE_LENGTH)
        return invalid(`${name} is ${value.length} characters; Cognito allows ${MAX_ATTRIBUTE_LENGTH}`);
    }
    return { ok: true, user: { username, position, enabled: user.enabled, attributes, groups: this.groupsOf(user) } };
  }

  private groupsOf(user: KeycloakUser): string[] {
    const groups: string[] = [];
    for (const [from, to] of Object.entries(this.mapping.groups)) {
      if (!groups.includes(to) && (user.realmRoles.includes(from) || user.groups.some((g) => groupMatches(g, from)))) groups.push(to);
    }
    return groups;
  }
}

/**
 * Keycloak writes group paths ("/DBC/1-1RUZV1D"); a mapping key may be the full path, the path
 * without its leading slash, or the group's own name.
 */
function groupMatches(path: string, key: string): boolean {
  const bare = path.replace(/^\//, '');
  const k = key.replace(/^\//, '');
  return bare === k || bare.slice(bare.lastIndexOf('/') + 1) === k;
}

/** The Cognito attribute list for AdminCreateUser, in a stable order. */
export function userAttributes(user: PlannedUser): { Name: string; Value: string }[] {
  return Object.keys(user.attributes)
    .sort()
    .map((Name) => ({ Name, Value: user.attributes[Name]! }));
}
