import type { EstateSnapshot } from '../sandbox/estate.js';
import { canonicalJson } from '../util/json.js';

/** Which parts of the estate a comparison looks at: what the rolled-back steps own. */
export type EstatePart = 'dns' | 'reval' | 'usermanagement' | 'health' | 'admins-reval-health';

const PICK: Record<EstatePart, (s: EstateSnapshot) => unknown> = {
  dns: (s) => s.appsRecordSets,
  reval: (s) => s.revalProviderArns,
  usermanagement: (s) => ({ policy: s.userManagementPolicy, variables: s.userManagementStageVariables }),
  health: (s) => s.health,
  // What rollback 4 (and 3) restore; UserManagement's answers belong to mid 2 and mid 5.
  'admins-reval-health': (s) => ({ adminsUi: s.health?.adminsUi, reval: s.health?.reval }),
};

/** Pure: the parts of two snapshots that differ, each with both values, for the rehearsal's report. */
export function compareEstate(expected: EstateSnapshot, actual: EstateSnapshot, parts: EstatePart[]): string[] {
  const problems: string[] = [];
  for (const part of parts) {
    const a = canonicalJson(PICK[part](expected));
    const b = canonicalJson(PICK[part](actual));
    if (a !== b) problems.push(`${part}: expected ${a}, found ${b}`);
  }
  return problems;
}

/**
 * Pure: a snapshot with the sandbox's generated ids (pool ARNs, distribution domains, API ids)
 * replaced by their names, so estates of two sandboxes can be compared.
 */
export function normalizeSnapshot(snapshot: EstateSnapshot, ids: Record<string, string>): unknown {
  let text = JSON.stringify(snapshot);
  const byLength = Object.entries(ids)
    .filter(([, v]) => typeof v === 'string' && v.length >= 6)
    .sort((a, b) => b[1].length - a[1].length);
  for (const [name, value] of byLength) text = text.split(value).join(`<${name}>`);
  return JSON.parse(text) as unknown;
}
