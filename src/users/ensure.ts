import { RunbookError } from '../errors.js';
import { readExport, type ExportSource } from './export-reader.js';
import { comparedAttributes, UserMapper, usernameFor, type UsersMapping } from './mapping.js';
import { assertMappedAttributes, type CognitoUsers } from './pool.js';
import { applyUser } from './sync.js';
import type { ExportRecord, PlannedUser, UsersAuditEvent } from './types.js';

export interface EnsureInput {
  source: ExportSource;
  api: CognitoUsers;
  mapping: UsersMapping;
  email: string;
  dryRun: boolean;
  invite: boolean;
  audit(event: UsersAuditEvent): void;
  signal: AbortSignal;
  /** Asked once it is known the user must be created, before the write. */
  confirm?(user: PlannedUser): Promise<void>;
}

export interface EnsureResult {
  username: string;
  outcome: 'created' | 'exists' | 'would-create';
  /** Where the user is in the export. */
  position: string;
  user: PlannedUser;
  /** Set when the user exists but is disabled in Keycloak. */
  note?: string | undefined;
}

const REEXPORT =
  'If the user was added to Keycloak after the export was taken, export the realm again (kc.sh export --realm lin --users same_file).';

/**
 * The plan's open case: an admin opens a user who is in Keycloak but not yet in Cognito. Creates
 * that one user from the export, or says exactly why not. "Already exists" is success.
 */
export async function ensureUser(input: EnsureInput): Promise<EnsureResult> {
  const { api, mapping, source } = input;
  const target = usernameFor(input.email);
  if (!target) throw new RunbookError('USAGE', 'no email given', { hint: 'migrate users ensure <email> --export FILE' });

  let found: ExportRecord | undefined;
  let rows = 0;
  for await (const record of readExport(source, input.signal)) {
    rows++;
    // The first row with this email is the one that counts: later ones are duplicates.
    if (record.user.email !== undefined && usernameFor(record.user.email) === target) {
      found = record;
      break;
    }
  }
  if (input.signal.aborted) throw new RunbookError('ABORTED', 'interrupted');
  if (!found) {
    throw new RunbookError('USERS', `${input.email.trim()} is not in the Keycloak export ${source.path} (${rows} users read)`, {
      hint: `Check the address. ${REEXPORT}`,
    });
  }
  const mapped = new UserMapper(mapping).map(found);
  if (!mapped.ok) {
    throw new RunbookError(
      'USERS',
      `cannot create ${input.email.trim()}: its row in the export (${mapped.invalid.position}) is invalid: ${mapped.invalid.reason}`,
      {
        hint: 'Correct the user in Keycloak, then export the realm again.',
      },
    );
  }
  const user = mapped.user;
  await assertMappedAttributes(api, mapping);
  const existing = await api.getUser(user.username, comparedAttributes(mapping));
  if (existing) {
    return {
      username: existing.username,
      outcome: 'exists',
      position: user.position,
      user,
      note: user.enabled ? undefined : 'disabled in Keycloak',
    };
  }
  if (!user.enabled) {
    throw new RunbookError('USERS', `${user.username} is disabled in Keycloak (${user.position}); not creating a disabled user on demand`, {
      hint: 'Enable the user in Keycloak and export again if they should have access; `users sync` copies disabled users too, as disabled.',
    });
  }
  const groups = await api.groupNames();
  const missing = user.groups.filter((g) => !groups.has(g));
  if (missing.length) {
    throw new RunbookError(
      'USERS',
      `cannot create ${user.username}: Cognito group${missing.length > 1 ? 's' : ''} ${missing.map((g) => `"${g}"`).join(', ')} not found`,
      {
        hint: "Create the group in the user pool (terraform) or fix the runbook's users.groups; migrate does not create groups.",
      },
    );
  }
  if (input.dryRun) return { username: user.username, outcome: 'would-create', position: user.position, user };
  await input.confirm?.(user);
  const outcome = await applyUser(api, user, input.invite, input.audit);
  return { username: user.username, outcome: outcome.created ? 'created' : 'exists', position: user.position, user };
}
