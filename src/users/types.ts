/**
 * A Keycloak user as read from an export, reduced to the fields the migration uses. Credentials
 * are never part of it: the reader drops them before anything else sees the row.
 */
export interface KeycloakUser {
  username?: string | undefined;
  email?: string | undefined;
  firstName?: string | undefined;
  lastName?: string | undefined;
  enabled: boolean;
  emailVerified: boolean;
  /** Keycloak attributes are multi-valued. */
  attributes: Record<string, string[]>;
  /** Group paths, such as "/RevalAdmin" or "/DBC/1-1RUZV1D". */
  groups: string[];
  realmRoles: string[];
  /** Set on a client's service account (Keycloak's `serviceAccountClientId`). */
  serviceAccountClientId?: string | undefined;
}

export interface ExportRecord {
  /** Where the row is, for reports: "lin-realm.json users[17]" or "users.csv line 18". */
  position: string;
  user: KeycloakUser;
  /** Set when the row itself could not be read (not an object, a bad boolean, a short CSV line). */
  problem?: string | undefined;
}

/** A Keycloak user turned into what Cognito will hold. */
export interface PlannedUser {
  /** The email, trimmed and lowercased: the Cognito username. */
  username: string;
  position: string;
  enabled: boolean;
  /** Cognito attribute name -> value. */
  attributes: Record<string, string>;
  /** Cognito group names, in mapping order, without repeats. */
  groups: string[];
}

export interface InvalidRow {
  position: string;
  /** The email as written in the export, when it had one. */
  email?: string | undefined;
  reason: string;
  /** For a duplicate: where the first occurrence is. */
  firstPosition?: string | undefined;
}

export interface AttributeDifference {
  /** A Cognito attribute name, or "enabled". */
  field: string;
  export: string | undefined;
  cognito: string | undefined;
}

export interface SyncProgress {
  done: number;
  total: number;
  created: number;
  existed: number;
  failed: number;
  /** Users finished per second since the sync started writing. */
  usersPerSecond: number;
  /** AWS requests sent per second over the same time (what the rate limit bounds). */
  requestsPerSecond: number;
  elapsedSeconds: number;
  /** Seconds left at the current rate; undefined until there is a rate to go by. */
  etaSeconds: number | undefined;
}

export type UsersAuditEvent = Record<string, unknown> & { event: string };
