import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { createHash } from 'node:crypto';
import { RunbookError, messageOf } from '../errors.js';
import { CsvParser } from './csv.js';
import { UsersArrayScanner } from './json-scanner.js';
import type { ExportRecord, KeycloakUser } from './types.js';

/**
 * Reads a Keycloak export as a stream of users, one at a time, whatever its size: a realm file
 * (`kc.sh export --users same_file`), a directory of `*-users-*.json` files (`different_files`),
 * or a CSV file with a header. Credentials are dropped from every row before it leaves here.
 */
export type ExportLayout = 'same_file' | 'different_files' | 'csv';

export interface ExportSource {
  path: string;
  layout: ExportLayout;
  /** The files read, in order. */
  files: string[];
}

// Each chunk is scanned and dropped; memory stays flat whatever the export's size.
const CHUNK = 64 * 1024;
const USERS_FILE = /-users-(\d+)\.json$/i;
const EXPORT_HINT =
  'Export the realm with `kc.sh export --realm lin --users same_file --file FILE` (or `--users different_files --dir DIR`), or give a CSV file with a header line.';

export async function openExport(path: string): Promise<ExportSource> {
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new RunbookError('USERS', `cannot read the Keycloak export ${path}: ${messageOf(error)}`, { hint: EXPORT_HINT, exitCode: 2 });
  }
  if (info.isDirectory()) {
    const names = (await readdir(path)).filter((n) => USERS_FILE.test(n));
    if (names.length === 0) {
      throw new RunbookError('USERS', `no *-users-*.json files in ${path}`, { hint: EXPORT_HINT, exitCode: 2 });
    }
    names.sort((a, b) => Number(USERS_FILE.exec(a)![1]) - Number(USERS_FILE.exec(b)![1]) || a.localeCompare(b));
    return { path, layout: 'different_files', files: names.map((n) => join(path, n)) };
  }
  return { path, layout: /\.csv$/i.test(path) ? 'csv' : 'same_file', files: [path] };
}

/** Every user of the export, in file order. Stops reading when the consumer stops. */
export async function* readExport(source: ExportSource | string, signal?: AbortSignal): AsyncGenerator<ExportRecord> {
  const src = typeof source === 'string' ? await openExport(source) : source;
  for (const file of src.files) {
    if (src.layout === 'csv') yield* readCsv(file, signal);
    else yield* readJson(file, signal);
  }
}

/** sha256 of the export's bytes (and file names, for a directory): the identity of a checkpoint. */
export async function exportDigest(source: ExportSource): Promise<string> {
  const hash = createHash('sha256');
  for (const file of source.files) {
    if (source.layout === 'different_files') hash.update(`${basename(file)}\0`);
    for await (const chunk of createReadStream(file, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  }
  return `sha256:${hash.digest('hex')}`;
}

async function* chunks(file: string, signal: AbortSignal | undefined): AsyncGenerator<string> {
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: CHUNK });
  try {
    for await (const chunk of stream) {
      if (signal?.aborted) return;
      yield chunk as string;
    }
  } finally {
    stream.destroy();
  }
}

async function* readJson(file: string, signal: AbortSignal | undefined): AsyncGenerator<ExportRecord> {
  const name = basename(file);
  const scanner = new UsersArrayScanner();
  let index = 0;
  for await (const chunk of chunks(file, signal)) {
    let texts: string[];
    try {
      texts = scanner.feed(chunk);
    } catch (error) {
      throw new RunbookError('USERS', `${name}: ${messageOf(error)}`, { hint: EXPORT_HINT, exitCode: 2 });
    }
    for (const text of texts) yield jsonRecord(at(name, ' users[', index++, ']'), text);
  }
  if (signal?.aborted) return;
  try {
    scanner.finish();
  } catch (error) {
    throw new RunbookError('USERS', `${name}: ${messageOf(error)}`, { hint: EXPORT_HINT, exitCode: 2 });
  }
  if (scanner.usersArrays === 0) {
    throw new RunbookError('USERS', `${name} has no "users" array`, {
      hint: `${EXPORT_HINT} A realm export without --users has no users in it.`,
      exitCode: 2,
    });
  }
}

/** A flat string: a template literal would keep a chain of pieces per row, and 100k rows add up. */
function at(...parts: (string | number)[]): string {
  return parts.join('');
}

function jsonRecord(position: string, text: string): ExportRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    // Not the parser's message: it quotes the text, and the text may hold a password.
    return { position, user: emptyUser(), problem: 'malformed JSON' };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { position, user: emptyUser(), problem: 'not a JSON object' };
  const obj = raw as Record<string, unknown>;
  delete obj.credentials;
  return { position, ...userFromJson(obj) };
}

function emptyUser(): KeycloakUser {
  return { enabled: false, emailVerified: false, attributes: {}, groups: [], realmRoles: [] };
}

/** Picks the known fields only, so nothing else from the row (secrets included) travels on. */
function userFromJson(obj: Record<string, unknown>): { user: KeycloakUser; problem?: string } {
  const problems: string[] = [];
  const str = (key: string): string | undefined => {
    const v = obj[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'string') return v;
    problems.push(`${key} is not a string`);
    return undefined;
  };
  const bool = (key: string, fallback: boolean): boolean => {
    const v = obj[key];
    if (v === undefined || v === null) return fallback;
    if (typeof v === 'boolean') return v;
    problems.push(`${key} is not true or false`);
    return fallback;
  };
  const list = (key: string): string[] => {
    const v = obj[key];
    if (v === undefined || v === null) return [];
    if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
    problems.push(`${key} is not a list of strings`);
    return [];
  };
  const attributes: Record<string, string[]> = {};
  const rawAttrs = obj.attributes;
  if (rawAttrs && typeof rawAttrs === 'object' && !Array.isArray(rawAttrs)) {
    for (const [k, v] of Object.entries(rawAttrs as Record<string, unknown>)) {
      const values = Array.isArray(v) ? v : [v];
      attributes[k] = values.filter((x) => x !== null && x !== undefined).map((x) => (typeof x === 'string' ? x : JSON.stringify(x)));
    }
  } else if (rawAttrs !== undefined && rawAttrs !== null) problems.push('attributes is not an object');
  const user: KeycloakUser = {
    username: str('username'),
    email: str('email'),
    firstName: str('firstName'),
    lastName: str('lastName'),
    // Keycloak writes `enabled` for every user; a row without it is treated as Keycloak's default.
    enabled: bool('enabled', true),
    emailVerified: bool('emailVerified', false),
    attributes,
    groups: list('groups'),
    realmRoles: list('realmRoles'),
    serviceAccountClientId: str('serviceAccountClientId'),
  };
  return problems.length ? { user, problem: problems.join('; ') } : { user };
}

const CSV_FIELDS: Record<string, 'username' | 'email' | 'firstName' | 'lastName' | 'enabled' | 'emailVerified' | 'groups' | 'realmRoles'> =
  {
    username: 'username',
    email: 'email',
    firstname: 'firstName',
    lastname: 'lastName',
    enabled: 'enabled',
    emailverified: 'emailVerified',
    groups: 'groups',
    realmroles: 'realmRoles',
  };
/** Columns never read, whatever the mapping says. */
const CSV_SECRET = /^(password|credentials?|secret|totp)$/i;

async function* readCsv(file: string, signal: AbortSignal | undefined): AsyncGenerator<ExportRecord> {
  const name = basename(file);
  const parser = new CsvParser();
  let header: string[] | undefined;
  const rows = async function* (): AsyncGenerator<{ fields: string[]; line: number }> {
    try {
      for await (const chunk of chunks(file, signal)) yield* parser.feed(chunk);
      if (!signal?.aborted) yield* parser.finish();
    } catch (error) {
      if (error instanceof RunbookError) throw error;
      throw new RunbookError('USERS', `${name}: ${messageOf(error)}`, {
        hint: 'Quote fields that hold commas, quotes or newlines, and double the quotes inside them (RFC 4180).',
        exitCode: 2,
      });
    }
  };
  for await (const record of rows()) {
    if (!header) {
      header = record.fields.map((h) => h.trim());
      if (!header.some((h) => h.toLowerCase() === 'email')) {
        throw new RunbookError('USERS', `${name}: the header line has no "email" column`, {
          hint: 'The first line names the columns: email,firstName,lastName,enabled,... (other columns become attributes).',
          exitCode: 2,
        });
      }
      continue;
    }
    yield csvRecord(at(name, ' line ', record.line), header, record.fields);
  }
  if (!header) throw new RunbookError('USERS', `${name} is empty`, { hint: EXPORT_HINT, exitCode: 2 });
}

function csvRecord(position: string, header: string[], fields: string[]): ExportRecord {
  const user: KeycloakUser = { enabled: true, emailVerified: false, attributes: {}, groups: [], realmRoles: [] };
  const problems: string[] = [];
  if (fields.length !== header.length) problems.push(`has ${fields.length} fields but the header has ${header.length}`);
  header.forEach((column, i) => {
    const value = fields[i] ?? '';
    if (CSV_SECRET.test(column)) return;
    const known = CSV_FIELDS[column.toLowerCase()];
    if (!known) {
      if (value !== '') user.attributes[column] = [value];
      return;
    }
    if (known === 'enabled' || known === 'emailVerified') {
      const b = parseBool(value, known === 'enabled');
      if (b === undefined) problems.push(`${column} is "${value.slice(0, 20)}", not true or false`);
      else user[known] = b;
    } else if (known === 'groups' || known === 'realmRoles') {
      user[known] = value
        .split(/[;,]/)
        .map((v) => v.trim())
        .filter(Boolean);
    } else if (value !== '') user[known] = value;
  });
  return problems.length ? { position, user, problem: problems.join('; ') } : { position, user };
}

function parseBool(text: string, fallback: boolean): boolean | undefined {
  const v = text.trim().toLowerCase();
  if (v === '') return fallback;
  if (v === 'true' || v === 'yes' || v === '1') return true;
  if (v === 'false' || v === 'no' || v === '0') return false;
  return undefined;
}
