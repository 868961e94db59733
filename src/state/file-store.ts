import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { ensurePrivateDir, writeFileAtomic } from './fs-safe.js';
import { STATE_VERSION, emptyState, type StateFile, type StateStore } from './types.js';

export class FileStateStore implements StateStore {
  readonly location: string;

  constructor(
    private readonly dir: string,
    private readonly runbook: string,
    private readonly env: string,
  ) {
    this.location = join(dir, 'state.json');
  }

  async load(): Promise<StateFile> {
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState(this.runbook, this.env);
      throw error;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new RunbookError('STATE_CORRUPT', `the state file ${this.location} cannot be parsed (${(error as Error).message})`, {
        hint: 'It was left untouched. Restore it from a backup or fix it by hand; migrate never replaces a state file it cannot read, because the checkpoints in it are what rollback undoes from.',
      });
    }
    if (!isStateFile(parsed)) {
      throw new RunbookError('STATE_CORRUPT', `the state file ${this.location} is not a migrate state file`, {
        hint: 'It was left untouched. Check --state-dir points at the right place, or restore the file from a backup.',
      });
    }
    if (parsed.version > STATE_VERSION) {
      throw new RunbookError('STATE_NEWER', `the state file ${this.location} was written by a newer migrate (state version ${parsed.version}; this one reads ${STATE_VERSION})`, {
        hint: 'Upgrade migrate before touching this environment; the file was left untouched.',
      });
    }
    return { ...emptyState(this.runbook, this.env), ...parsed, rollbacks: parsed.rollbacks ?? {} };
  }

  async save(state: StateFile): Promise<void> {
    await ensurePrivateDir(this.dir);
    state.updatedAt = new Date().toISOString();
    await writeFileAtomic(this.location, `${JSON.stringify(state, null, 2)}\n`);
  }
}

function isStateFile(value: unknown): value is StateFile {
  if (!value || typeof value !== 'object') return false;
  const v = value as Record<string, unknown>;
  return typeof v.version === 'number' && typeof v.steps === 'object' && v.steps !== null && !Array.isArray(v.steps);
}

/** In memory, for tests and dry runs that must not write. */
export class MemoryStateStore implements StateStore {
  readonly location = '(memory)';
  private saved: string;

  constructor(initial: StateFile) {
    this.saved = JSON.stringify(initial);
  }

  async load(): Promise<StateFile> {
    return JSON.parse(this.saved) as StateFile;
  }

  async save(state: StateFile): Promise<void> {
    this.saved = JSON.stringify(state);
  }
}
