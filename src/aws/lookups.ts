import type { Lookups } from '../steps/types.js';
import { canonicalJson } from '../util/json.js';

/**
 * The AWS answers the steps of one read pass share. A whole-phase plan reads the same listings
 * again and again (every step on a REST API named by name lists the REST APIs; four asserts on one
 * user pool describe it four times): within a read pass (a dry run, the check of a saved plan before
 * its run) the first answer serves them all. Outside one (a run that writes, `watch` polling) every
 * read is sent: a memo must never outlive a change, whoever makes it.
 *
 * A write sent through the session's clients clears the memo before and after it, so even a write
 * inside a read pass (none is expected: a dry run refuses them) is never planned from the answer
 * before it. A failed look-up is not kept: the next step asks again.
 */
export class LookupCache implements Lookups {
  private readonly answers = new Map<string, Promise<unknown>>();
  private passes = 0;

  memo<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.passes === 0) return load();
    let answer = this.answers.get(key) as Promise<T> | undefined;
    if (!answer) {
      const loading = load();
      answer = loading;
      this.answers.set(key, loading);
      loading.catch(() => {
        if (this.answers.get(key) === loading) this.answers.delete(key);
      });
    }
    // Each step gets its own copy: a step that changed what it was given would change another's read.
    return answer.then((value) => structuredClone(value));
  }

  /** Runs `work` as one read pass; the memo is dropped when the last pass ends. */
  async readPass<T>(work: () => Promise<T>): Promise<T> {
    this.passes += 1;
    try {
      return await work();
    } finally {
      this.passes -= 1;
      if (this.passes === 0) this.clear();
    }
  }

  /** Forgets every answer (a write was sent, or is about to be). */
  clear(): void {
    this.answers.clear();
  }

  /** How many answers are kept (for tests). */
  get size(): number {
    return this.answers.size;
  }
}

/** The memo key of one AWS request: the client, the operation and its input, in canonical JSON. */
export function lookupKey(client: string, operation: string, input: unknown): string {
  return `${client} ${operation} ${canonicalJson(input)}`;
}
