import { basename, join } from 'node:path';
import { isRunbookFsError } from './fs-errors.js';
import { appendLineDurable, checkPrivateDir, ensurePrivateDir, readPrivateFile, writeNewFile } from './fs-safe.js';
import { warn } from './warnings.js';

export interface AuditEvent {
  time: string;
  /** OS user and host. */
  user: string;
  /** AWS caller ARN, once the account check has run. */
  identity?: string | undefined;
  command: string;
  env: string;
  event: string;
  step?: string | undefined;
  result?: string | undefined;
  detail?: string | undefined;
  dryRun?: boolean | undefined;
}

/** Keys that must never reach the audit trail, whatever a caller passes. */
const SECRET_KEY = /pass(word)?|secret|token|credential|authorization/i;

/** Who and where, the same for every event a command writes. */
export interface AuditBase {
  user: string;
  command: string;
  env: string;
  dryRun?: boolean | undefined;
}

/** One audit event as both backends store it: the command's base, then the event without secret keys. */
export function auditLine(
  base: AuditBase,
  identity: string | undefined,
  event: Record<string, unknown>,
  time = new Date().toISOString(),
): Record<string, unknown> {
  const line: Record<string, unknown> = { time, user: base.user, identity, command: base.command, env: base.env };
  if (base.dryRun) line.dryRun = true;
  for (const [key, value] of Object.entries(event)) if (!SECRET_KEY.test(key)) line[key] = value;
  return line;
}

/** One line of the audit file as `log` shows it: an event, or a line that is not one (kept, marked). */
export type AuditEntry = { line: number; event: AuditEvent } | { line: number; bad: string; text: string };

export class AuditLog {
  readonly file: string;
  private skipped = false;

  constructor(
    private readonly dir: string,
    private readonly base: AuditBase,
    private identity: () => string | undefined = () => undefined,
  ) {
    this.file = join(dir, 'audit.jsonl');
  }

  /**
   * A dry run changes nothing, so a state directory it cannot write to (read-only, full) costs
   * only its audit entry, skipped with a warning; every other command must record, or fail.
   */
  async append(event: { event: string; step?: string; result?: string; detail?: string; [key: string]: unknown }): Promise<void> {
    if (this.skipped) return;
    try {
      await ensurePrivateDir(this.dir);
      await appendLineDurable(this.file, JSON.stringify(this.line(event)), {
        what: 'audit log',
        onTornTail: (partial) => this.keepTornTail(partial),
      });
    } catch (error) {
      if (!this.base.dryRun || !isRunbookFsError(error)) throw error;
      this.skipped = true;
      warn(`this dry run is not recorded in the audit log: ${(error as Error).message}`);
    }
  }

  private line(event: Record<string, unknown>): Record<string, unknown> {
    return auditLine(this.base, this.identity(), event);
  }

  /**
   * The last append was cut short (a crash, a full disk): its partial line stays where it is
   * (log marks it), a copy is kept beside the log, and an event says so before the next line.
   */
  private async keepTornTail(partial: string): Promise<string> {
    const aside = `${this.file}.torn-${new Date().toISOString().replace(/[:.]/g, '-')}-${process.pid}`;
    await writeNewFile(aside, partial, 'keep the torn audit line in');
    warn(
      `${this.file} ended in a partial line (${Buffer.byteLength(partial)} bytes, from an append cut short); a copy was kept in ${aside} and the log goes on from a fresh line`,
    );
    return JSON.stringify(
      this.line({ event: 'audit-torn-tail', result: 'kept', detail: `a partial last line was kept in ${basename(aside)}` }),
    );
  }

  /** Every line in order; a line that is not a JSON event is returned marked, never fatal. */
  static async entries(dir: string): Promise<AuditEntry[]> {
    if (!(await checkPrivateDir(dir))) return [];
    const text = await readPrivateFile(join(dir, 'audit.jsonl'), 'audit log');
    if (text === undefined) return [];
    const out: AuditEntry[] = [];
    const lines = text.split('\n');
    lines.forEach((raw, index) => {
      if (!raw.trim()) return;
      const line = index + 1;
      const torn = index === lines.length - 1 ? ' (the last line, cut short)' : '';
      try {
        const parsed = JSON.parse(raw) as unknown;
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || typeof (parsed as AuditEvent).event !== 'string')
          out.push({ line, bad: `not an audit event${torn}`, text: raw });
        else out.push({ line, event: parsed as AuditEvent });
      } catch {
        out.push({ line, bad: `not a JSON line${torn}`, text: raw });
      }
    });
    return out;
  }

  /** The events alone (bad lines left out). */
  static async read(dir: string): Promise<AuditEvent[]> {
    return (await AuditLog.entries(dir)).flatMap((e) => ('event' in e ? [e.event] : []));
  }
}
