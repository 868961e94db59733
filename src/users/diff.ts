import { comparedAttributes, type UsersMapping } from './mapping.js';
import { planUsers } from './plan.js';
import { assertMappedAttributes, type CognitoUsers, type PoolIndex } from './pool.js';
import { readExport, type ExportSource } from './export-reader.js';
import type { AttributeDifference, InvalidRow } from './types.js';

export interface DiffResult {
  userPoolId: string;
  export: { path: string; layout: string };
  counts: {
    exportRows: number;
    valid: number;
    invalid: number;
    cognito: number;
    missing: number;
    onlyInCognito: number;
    differing: number;
    same: number;
  };
  missing: { username: string; position: string; enabled: boolean; groups: string[] }[];
  /** Keycloak service accounts in the export (clients, not people): never compared or synced. */
  serviceAccounts: number;
  onlyInCognito: { username: string; enabled: boolean }[];
  differences: { username: string; position: string; differences: AttributeDifference[] }[];
  invalid: InvalidRow[];
  /** Cognito groups the mapping names that the pool does not have. */
  missingGroups: string[];
}

export interface DiffInput {
  source: ExportSource;
  api: CognitoUsers;
  mapping: UsersMapping;
  signal?: AbortSignal | undefined;
  /** Reused when the caller has listed the pool already. */
  pool?: PoolIndex | undefined;
}

/** Compares the export with the pool; reads only (DescribeUserPool, ListGroups, ListUsers). */
export async function diffUsers(input: DiffInput): Promise<DiffResult> {
  const { source, api, mapping } = input;
  const compared = comparedAttributes(mapping);
  await assertMappedAttributes(api, mapping);
  const groups = await api.groupNames();
  const pool = input.pool ?? (await api.listUsers(compared));
  const result: DiffResult = {
    userPoolId: api.userPoolId,
    export: { path: source.path, layout: source.layout },
    counts: { exportRows: 0, valid: 0, invalid: 0, cognito: pool.size, missing: 0, onlyInCognito: 0, differing: 0, same: 0 },
    missing: [],
    serviceAccounts: 0,
    onlyInCognito: [],
    differences: [],
    invalid: [],
    missingGroups: [...new Set(Object.values(mapping.groups))].filter((g) => !groups.has(g)),
  };
  const matched = new Set<string>();
  for await (const d of planUsers(readExport(source, input.signal), { mapping, pool, compared })) {
    result.counts.exportRows++;
    switch (d.kind) {
      case 'invalid':
        result.invalid.push(d.row);
        continue;
      case 'service-account':
        result.serviceAccounts++;
        continue;
      case 'present':
        matched.add(d.user.username);
        if (d.differences.length)
          result.differences.push({ username: d.user.username, position: d.user.position, differences: d.differences });
        else result.counts.same++;
        break;
      case 'create':
      case 'blocked':
        result.missing.push({ username: d.user.username, position: d.user.position, enabled: d.user.enabled, groups: d.user.groups });
        break;
      case 'done':
        break;
    }
    result.counts.valid++;
  }
  for (const [key, entry] of pool) if (!matched.has(key)) result.onlyInCognito.push({ username: entry.username, enabled: entry.enabled });
  result.counts.invalid = result.invalid.length;
  result.counts.missing = result.missing.length;
  result.counts.onlyInCognito = result.onlyInCognito.length;
  result.counts.differing = result.differences.length;
  return result;
}

const CELL = 60;

function cell(text: string | undefined): string {
  if (text === undefined) return '-';
  const flat = text.replace(/[\r\n\t]+/g, ' ');
  return flat.length > CELL ? `${flat.slice(0, CELL - 3)}...` : flat;
}

/**
 * Left-aligned columns, two spaces apart; long cells cut at 60 characters. Rows are produced twice
 * (widths, then lines) and each line handed on as it is made, so a table of 100k users is never
 * held whole.
 */
export function writeTable(headers: string[], rows: () => Iterable<string[]>, emit: (line: string) => void): void {
  const widths = headers.map((h) => h.length);
  for (const r of rows()) for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, cell(c).length);
  const line = (r: string[]): string =>
    r
      .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  emit(line(headers));
  for (const r of rows()) emit(line(r.map((c) => cell(c))));
}

export function table(headers: string[], rows: string[][]): string[] {
  const out: string[] = [];
  writeTable(
    headers,
    () => rows,
    (l) => out.push(l),
  );
  return out;
}

function* mapped<T>(list: T[], f: (x: T) => string[]): Iterable<string[]> {
  for (const x of list) yield f(x);
}

export function renderDiffTable(r: DiffResult, emit: (line: string) => void): void {
  const c = r.counts;
  emit(
    `Keycloak export ${r.export.path} (${r.export.layout}): ${c.exportRows} rows, ${c.valid} valid, ${c.invalid} invalid${r.serviceAccounts ? `, ${r.serviceAccounts} service accounts skipped` : ''}`,
  );
  emit(`Cognito user pool ${r.userPoolId}: ${c.cognito} users`);
  emit(`missing in Cognito: ${c.missing}   only in Cognito: ${c.onlyInCognito}   differ: ${c.differing}   same: ${c.same}`);
  if (r.missingGroups.length) emit(`warning: the mapping names Cognito groups the pool does not have: ${r.missingGroups.join(', ')}`);
  if (r.missing.length) {
    emit('');
    emit(`MISSING IN COGNITO (${r.missing.length})`);
    writeTable(
      ['USERNAME', 'ENABLED', 'GROUPS', 'WHERE'],
      () => mapped(r.missing, (m) => [m.username, m.enabled ? 'yes' : 'no', m.groups.join(',') || '-', m.position]),
      emit,
    );
  }
  if (r.onlyInCognito.length) {
    emit('');
    emit(`ONLY IN COGNITO (${r.onlyInCognito.length})`);
    writeTable(['USERNAME', 'ENABLED'], () => mapped(r.onlyInCognito, (m) => [m.username, m.enabled ? 'yes' : 'no']), emit);
  }
  if (r.differences.length) {
    emit('');
    emit(`DIFFERENT (${r.differences.length})`);
    const rows = function* (): Iterable<string[]> {
      for (const d of r.differences) for (const f of d.differences) yield [d.username, f.field, f.export ?? '-', f.cognito ?? '-'];
    };
    writeTable(['USERNAME', 'FIELD', 'KEYCLOAK', 'COGNITO'], rows, emit);
  }
  if (r.invalid.length) {
    emit('');
    emit(`INVALID ROWS (${r.invalid.length}, skipped)`);
    writeTable(['WHERE', 'EMAIL', 'REASON'], () => mapped(r.invalid, (i) => [i.position, i.email ?? '-', i.reason]), emit);
  }
  if (!r.missing.length && !r.onlyInCognito.length && !r.differences.length && !r.invalid.length) {
    emit('');
    emit('Cognito matches the export.');
  }
}
