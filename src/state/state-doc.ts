import { RunbookError } from '../errors.js';
import { STATE_VERSION, emptyState, type StateFile } from './types.js';

/**
 * Parses a stored state document for any backend. `where` names it (a path, or s3://bucket/key).
 * A document that cannot be read, is not a migrate state, or belongs to another environment or
 * runbook is refused, and the caller never writes over it: its checkpoints are what rollback
 * undoes from.
 */
export function parseStateDocument(text: string, where: string, expected: { runbook: string; env: string }): StateFile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new RunbookError('STATE_CORRUPT', `the state object ${where} cannot be parsed (${(error as Error).message})`, {
      hint: 'It was left untouched. Restore an earlier version of it (bucket versioning) or fix it by hand; migrate never replaces state it cannot read.',
    });
  }
  if (!isStateDocument(parsed)) {
    throw new RunbookError('STATE_CORRUPT', `the state object ${where} is not a migrate state document`, {
      hint: "It was left untouched. Check the bucket and prefix (--state, MIGRATE_STATE or the runbook's state:), or restore the object from an earlier version.",
    });
  }
  if (parsed.version > STATE_VERSION) {
    throw new RunbookError(
      'STATE_NEWER',
      `the state object ${where} was written by a newer migrate (state version ${parsed.version}; this one reads ${STATE_VERSION})`,
      {
        hint: 'Upgrade migrate before touching this environment; the object was left untouched.',
      },
    );
  }
  const foreign =
    (parsed.env && parsed.env !== expected.env) || (parsed.runbook && expected.runbook && parsed.runbook !== expected.runbook);
  if (foreign) {
    throw new RunbookError(
      'STATE_CORRUPT',
      `the state object ${where} belongs to runbook "${parsed.runbook}", environment "${parsed.env}", not "${expected.runbook}", "${expected.env}"`,
      {
        hint: 'It was left untouched. Two runbooks or environments must not share a prefix: give this one its own (--state s3://BUCKET/OTHER-PREFIX).',
      },
    );
  }
  return { ...emptyState(expected.runbook, expected.env), ...parsed, rollbacks: parsed.rollbacks ?? {} };
}

function isStateDocument(value: unknown): value is StateFile {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const v = value as Record<string, unknown>;
  const record = (x: unknown) => typeof x === 'object' && x !== null && !Array.isArray(x);
  return (
    typeof v.version === 'number' &&
    record(v.steps) &&
    (v.rollbacks === undefined || record(v.rollbacks)) &&
    (v.env === undefined || typeof v.env === 'string') &&
    (v.runbook === undefined || typeof v.runbook === 'string')
  );
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

export interface MergeOutcome {
  merged: StateFile;
  /** Keys ("mid.3", "rollback.4") both sides changed differently since the common base. */
  conflicts: string[];
}

/**
 * Three-way merge of two writers' states from the one both last read: each step or rollback
 * record taken from whichever side changed it. Both sides changing the same one (differently) is
 * a conflict the caller must not paper over.
 */
export function mergeStates(base: StateFile, ours: StateFile, theirs: StateFile): MergeOutcome {
  const conflicts: string[] = [];
  const mergeRecords = <T>(
    b: Record<string, T>,
    o: Record<string, T>,
    t: Record<string, T>,
    label: (k: string) => string,
  ): Record<string, T> => {
    const out: Record<string, T> = { ...t };
    for (const key of new Set([...Object.keys(b), ...Object.keys(o)])) {
      const oursChanged = !same(b[key], o[key]);
      if (!oursChanged) continue;
      const theirsChanged = !same(b[key], t[key]);
      if (theirsChanged && !same(o[key], t[key])) {
        conflicts.push(label(key));
        continue;
      }
      if (o[key] === undefined) delete out[key];
      else out[key] = o[key] as T;
    }
    return out;
  };
  const merged: StateFile = {
    ...theirs,
    steps: mergeRecords(base.steps, ours.steps, theirs.steps, (k) => k),
    rollbacks: mergeRecords(base.rollbacks, ours.rollbacks, theirs.rollbacks, (k) => `rollback.${k}`),
  };
  return { merged, conflicts };
}
