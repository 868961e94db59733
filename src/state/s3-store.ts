import { RunbookError } from '../errors.js';
import type { S3Io } from './s3-client.js';
import { mergeStates, parseStateDocument } from './state-doc.js';
import { emptyState, type StateFile, type StateStore } from './types.js';

/** Conflicting writers are rare (one lock holder, plus `state push`); this bounds a pathological loop. */
const MAX_CONFLICT_RETRIES = 50;

const clone = (state: StateFile): StateFile => JSON.parse(JSON.stringify(state)) as StateFile;

/** In place, so whoever holds the record (the engine) sees the merged one. */
function replaceContents<T>(target: Record<string, T>, source: Record<string, T>): void {
  for (const key of Object.keys(target)) if (!(key in source)) delete target[key];
  Object.assign(target, source);
}

/**
 * The state document in S3. Every write carries `If-Match` on the ETag this store last read (or
 * `If-None-Match: *` when there was none), so two writers never silently overwrite each other: on
 * a conflict the remote document is read again and merged step by step, and only the same step
 * changed on both sides is an error.
 */
export class S3StateStore implements StateStore {
  readonly location: string;
  /** undefined: not read yet; null: there was no object. */
  private etag: string | null | undefined;
  private base: StateFile;
  /** Writes that met a changed document and were merged and retried (for tests and --debug). */
  conflicts = 0;

  constructor(
    private readonly io: S3Io,
    private readonly key: string,
    private readonly runbook: string,
    private readonly env: string,
    /** Throws when this process may no longer write (its lock was taken away). */
    private readonly guard: () => void = () => undefined,
  ) {
    this.location = io.url(key);
    this.base = emptyState(runbook, env);
  }

  private async fetch(): Promise<{ state: StateFile; etag: string | null }> {
    const object = await this.io.get(this.key);
    if (!object) return { state: emptyState(this.runbook, this.env), etag: null };
    return { state: parseStateDocument(object.text, this.location, { runbook: this.runbook, env: this.env }), etag: object.etag };
  }

  async load(): Promise<StateFile> {
    const { state, etag } = await this.fetch();
    this.etag = etag;
    this.base = clone(state);
    return state;
  }

  async save(state: StateFile): Promise<void> {
    if (this.etag === undefined) await this.load();
    for (let attempt = 0; attempt <= MAX_CONFLICT_RETRIES; attempt += 1) {
      this.guard();
      state.updatedAt = new Date().toISOString();
      const doc: StateFile = { ...state, runbook: state.runbook || this.runbook, env: this.env };
      const result = await this.io.put(
        this.key,
        `${JSON.stringify(doc, null, 2)}\n`,
        this.etag ? { ifMatch: this.etag } : { ifNoneMatch: '*' },
      );
      if (result !== 'conflict') {
        this.etag = result;
        this.base = clone(state);
        return;
      }
      this.conflicts += 1;
      const remote = await this.fetch();
      const { merged, conflicts } = mergeStates(this.base, state, remote.state);
      if (conflicts.length > 0) {
        throw new RunbookError(
          'STATE_CONFLICT',
          `${this.location} was changed by another writer at ${conflicts.join(', ')}, which this run changed too`,
          {
            hint: 'Nothing of this run was written over theirs. Check "migrate status" and "migrate log" to see who else is working on this environment.',
          },
        );
      }
      // The caller (the engine) keeps using this object: it now holds both sides' checkpoints.
      replaceContents(state.steps, merged.steps);
      replaceContents(state.rollbacks, merged.rollbacks);
      this.base = remote.state;
      this.etag = remote.etag;
    }
    throw new RunbookError(
      'STATE_CONFLICT',
      `${this.location} kept changing under this run (${MAX_CONFLICT_RETRIES} conflicting writes in a row)`,
      {
        hint: 'The last checkpoint was not saved. Find the other writer ("migrate status", "migrate log") and stop it.',
      },
    );
  }

  /** Whether any state object exists (state push / pull refuse to overwrite one without --force). */
  async exists(): Promise<boolean> {
    return (await this.io.get(this.key)) !== null;
  }

  /** Replaces the document whatever it holds (state push --force), still refusing a changed one mid-way. */
  async replace(state: StateFile): Promise<void> {
    const current = await this.io.get(this.key);
    const doc: StateFile = { ...state, env: this.env };
    const result = await this.io.put(
      this.key,
      `${JSON.stringify(doc, null, 2)}\n`,
      current ? { ifMatch: current.etag } : { ifNoneMatch: '*' },
    );
    if (result === 'conflict')
      throw new RunbookError('STATE_CONFLICT', `${this.location} changed while it was being replaced`, {
        hint: 'Someone else is writing this environment; try again once they are done.',
      });
    this.etag = result;
    this.base = clone(doc);
  }
}
