import { RunbookError, messageOf } from '../errors.js';
import type { AuditSink, Documents } from '../state/backend.js';
import type { UsersAuditEvent } from './types.js';

/**
 * The audit of `users sync`: appended in order, one line at a time. A write that fails (disk full,
 * a read-only file) must stop the sync, as the engine's audit stops a run, and must not lose the
 * lines of the users already being created: those are kept in `<audit>.pending` (with their own
 * time, user and command) and written into the audit log first thing by the next `users` command.
 */
const PENDING = 'audit.jsonl.pending';

export class AuditTrail {
  private chain: Promise<void> = Promise.resolve();
  private readonly pending: Record<string, unknown>[] = [];
  /** Set by the first failed write; the sync stops launching users once it is. */
  failure: RunbookError | undefined;

  constructor(
    private readonly log: AuditSink,
    /** Where the audit lives (the state folder or S3 prefix): the pending lines are kept beside it. */
    private readonly docs: Documents,
    private readonly context: () => { user: string; command: string; identity?: string | undefined },
  ) {}

  get pendingFile(): string {
    return this.docs.locate(PENDING);
  }

  private get logFile(): string {
    return this.docs.locate('audit.jsonl');
  }

  /** Queues one event; never throws (the sync asks `failure` between users). */
  record(event: UsersAuditEvent): void {
    const stamped = { ...event, time: new Date().toISOString() };
    this.chain = this.chain.then(async () => {
      if (this.failure) {
        this.keep(stamped);
        return;
      }
      try {
        await this.log.append(stamped);
      } catch (error) {
        this.keep(stamped);
        this.failure = new RunbookError(
          'USERS',
          `the audit log ${this.logFile} could not be written (${errnoOf(error)}); users sync stopped`,
          {
            hint: `Make ${this.logFile} writable again (free space, permissions), then run the same command: it resumes, and first writes the audit lines kept in ${this.pendingFile}.`,
            cause: error,
          },
        );
      }
    });
  }

  private keep(event: Record<string, unknown>): void {
    const { user, command, identity } = this.context();
    this.pending.push({ user, command, ...(identity ? { identity } : {}), ...event });
  }

  /**
   * Waits for every queued write. Lines that could not be written are saved beside the log; if
   * even that fails they are returned, so the caller can print them rather than drop them.
   */
  async settle(): Promise<string[]> {
    await this.chain;
    if (this.pending.length === 0) return [];
    const lines = this.pending.map((e) => JSON.stringify(e));
    try {
      const earlier = (await this.docs.read(PENDING).catch(() => null)) ?? '';
      await this.docs.write(PENDING, `${earlier}${lines.join('\n')}\n`);
      this.pending.length = 0;
      return [];
    } catch {
      return lines;
    }
  }

  /** Writes the lines an earlier sync could not, before this command records anything. */
  async replayPending(): Promise<number> {
    const text = await this.docs.read(PENDING);
    const lines = (text ?? '').split('\n').filter((l) => l.trim());
    if (lines.length === 0) return 0;
    try {
      for (const line of lines) await this.log.append(JSON.parse(line) as { event: string });
    } catch (error) {
      throw new RunbookError('USERS', `the audit log ${this.logFile} still cannot be written (${errnoOf(error)}); nothing was changed`, {
        hint: `Make it writable; ${lines.length} audit lines of an earlier sync wait in ${this.pendingFile}.`,
        cause: error,
      });
    }
    await this.docs.remove(PENDING);
    return lines.length;
  }
}

/** ENOSPC, EISDIR …: the errno itself, also when the state layer already wrapped it in a located error. */
function errnoOf(error: unknown): string {
  const cause = error instanceof Error ? (error.cause as NodeJS.ErrnoException | undefined) : undefined;
  const located = /\((E[A-Z]+)\)$/.exec(messageOf(error))?.[1];
  return cause?.code ?? located ?? (error as NodeJS.ErrnoException).code ?? messageOf(error);
}
