import { RunbookError } from '../errors.js';
import { STEP_STATUSES } from '../steps/types.js';
import { STATE_VERSION, type StateFile } from './types.js';

const ROLLBACK_STATUSES = ['running', 'applied', 'failed'];

type Path = (string | number)[];

class Problem extends Error {
  constructor(
    readonly path: Path,
    message: string,
  ) {
    super(message);
  }
}

const show = (value: unknown) => {
  const text = JSON.stringify(value);
  return text === undefined ? String(value) : text.length > 60 ? `${text.slice(0, 60)}…` : text;
};
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
const pathText = (path: Path) =>
  path
    .map((p, i) => (typeof p === 'number' ? `[${p}]` : /^[A-Za-z_][\w]*$/.test(p) ? `${i ? '.' : ''}${p}` : `[${JSON.stringify(p)}]`))
    .join('');

function checkCheckpoint(key: string, cp: unknown): void {
  const at: Path = ['steps', key];
  if (!isObject(cp)) throw new Problem(at, `is ${show(cp)}, not a checkpoint (an object with ref, type, status …)`);
  if (cp.ref !== key) throw new Problem([...at, 'ref'], `is ${show(cp.ref)}, but the checkpoint is filed under "${key}"`);
  if (typeof cp.type !== 'string' || !cp.type) throw new Problem([...at, 'type'], `is ${show(cp.type)}, not a step type name`);
  if (!(STEP_STATUSES as readonly unknown[]).includes(cp.status))
    throw new Problem([...at, 'status'], `is ${show(cp.status)}, not one of ${STEP_STATUSES.join(', ')}`);
  if (typeof cp.at !== 'string') throw new Problem([...at, 'at'], `is ${show(cp.at)}, not a time`);
  if (cp.error !== undefined && !(isObject(cp.error) && typeof cp.error.message === 'string'))
    throw new Problem([...at, 'error'], `is ${show(cp.error)}, not { message }`);
}

function checkWhole(v: unknown, expected: { runbook: string; env: string }): void {
  if (!isObject(v))
    throw new Problem(
      [],
      `is ${Array.isArray(v) ? 'a JSON array' : show(v)}, not a migrate state file (an object with version, runbook, env, steps)`,
    );
  if (typeof v.version !== 'number' || !Number.isInteger(v.version) || v.version < 1) {
    throw new Problem(['version'], `is ${show(v.version)}, not a state version (${STATE_VERSION} for this migrate)`);
  }
  if (typeof v.runbook !== 'string') throw new Problem(['runbook'], `is ${show(v.runbook)}, not a runbook name`);
  if (expected.runbook && v.runbook !== expected.runbook)
    throw new Problem(['runbook'], `is "${v.runbook}": this state belongs to another runbook than "${expected.runbook}"`);
  if (v.env !== expected.env)
    throw new Problem(['env'], `is ${show(v.env)}: this state belongs to another environment than "${expected.env}"`);
  if (!isObject(v.steps)) throw new Problem(['steps'], `is ${show(v.steps)}, not an object of checkpoints`);
  for (const [key, cp] of Object.entries(v.steps)) checkCheckpoint(key, cp);
  if (v.rollbacks !== undefined) {
    if (!isObject(v.rollbacks)) throw new Problem(['rollbacks'], `is ${show(v.rollbacks)}, not an object of rollback records`);
    for (const [id, rec] of Object.entries(v.rollbacks)) {
      if (!isObject(rec) || !ROLLBACK_STATUSES.includes(rec.status as string))
        throw new Problem(['rollbacks', id], `is ${show(rec)}, not a rollback record ({ status: ${ROLLBACK_STATUSES.join(' | ')}, at })`);
    }
  }
}

/** Line and column of `path` in the JSON text (JSON is YAML, whose parser keeps positions). */
async function locate(text: string, path: Path): Promise<string> {
  try {
    const { LineCounter, parseDocument } = await import('yaml');
    const lines = new LineCounter();
    const doc = parseDocument(text, { lineCounter: lines, logLevel: 'silent' });
    const node = path.length ? (doc.getIn(path, true) as { range?: [number, number, number] } | undefined) : doc.contents;
    const offset = node?.range?.[0] ?? (path.length ? undefined : 0);
    if (offset === undefined) return '';
    const { line, col } = lines.linePos(offset);
    return `:${line}:${col}`;
  } catch {
    return '';
  }
}

/**
 * The whole document checked before anything uses it: a checkpoint is what a rollback restores,
 * so a damaged one is refused with its place in the file, never shown as "pending" and overwritten.
 */
export async function validateState(
  parsed: unknown,
  text: string,
  file: string,
  expected: { runbook: string; env: string },
): Promise<StateFile> {
  const version = (parsed as { version?: unknown } | null)?.version;
  if (typeof version === 'number' && version > STATE_VERSION) {
    throw new RunbookError(
      'STATE_NEWER',
      `the state file ${file} was written by a newer migrate (state version ${version}; this one reads ${STATE_VERSION})`,
      {
        hint: 'Upgrade migrate before touching this environment; the file was left untouched.',
      },
    );
  }
  try {
    checkWhole(parsed, expected);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    const where = `${file}${await locate(text, error.path)}`;
    const field = error.path.length ? `${pathText(error.path)} ` : 'the document ';
    const wrongOwner = error.path.length === 1 && (error.path[0] === 'runbook' || error.path[0] === 'env');
    throw new RunbookError('STATE_CORRUPT', `the state file ${where}: ${field}${error.message}`, {
      hint: wrongOwner
        ? 'It was left untouched. Check --state-dir, --env and --runbook point where you mean; a state file is never shared between runbooks or environments.'
        : 'It was left untouched, and nothing ran. Restore it from a backup or repair that entry by hand; rollback undoes from these checkpoints, so migrate never guesses.',
    });
  }
  return parsed as StateFile;
}
