import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { checkPrivateDir, ensurePrivateDir, readPrivateFile, sweepDeadTemps, writeFileAtomic } from './fs-safe.js';
import { isProcessAlive } from './lock.js';
import { emptyState, type StateFile, type StateStore } from './types.js';
import { validateState } from './validate.js';

export class FileStateStore implements StateStore {
  readonly location: string;
  private swept = false;

  constructor(
    private readonly dir: string,
    private readonly runbook: string,
    private readonly env: string,
  ) {
    this.location = join(dir, 'state.json');
  }

  /** Never through a symlink (the directory's or the file's), and never a damaged file taken as empty. */
  async load(): Promise<StateFile> {
    const text = (await checkPrivateDir(this.dir)) ? await readPrivateFile(this.location, 'state file') : undefined;
    if (text === undefined) return emptyState(this.runbook, this.env);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new RunbookError('STATE_CORRUPT', `the state file ${this.location} cannot be parsed (${(error as Error).message})`, {
        hint: 'It was left untouched. Restore it from a backup or fix it by hand; migrate never replaces a state file it cannot read, because the checkpoints in it are what rollback undoes from.',
      });
    }
    const state = await validateState(parsed, text, this.location, { runbook: this.runbook, env: this.env });
    return { ...emptyState(this.runbook, this.env), ...state, rollbacks: state.rollbacks ?? {} };
  }

  async save(state: StateFile): Promise<void> {
    await ensurePrivateDir(this.dir);
    if (!this.swept) {
      this.swept = true;
      await sweepDeadTemps(this.location, isProcessAlive);
    }
    state.updatedAt = new Date().toISOString();
    await writeFileAtomic(this.location, `${JSON.stringify(state, null, 2)}\n`, { what: 'state file' });
  }
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
