import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RunbookError } from '../errors.js';
import { appendLineDurable, ensurePrivateDir } from './fs-safe.js';

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

export class AuditLog {
  readonly file: string;

  constructor(
    private readonly dir: string,
    private readonly base: { user: string; command: string; env: string; dryRun?: boolean },
    private identity: () => string | undefined = () => undefined,
  ) {
    this.file = join(dir, 'audit.jsonl');
  }

  async append(event: { event: string; step?: string; result?: string; detail?: string; [key: string]: unknown }): Promise<void> {
    await ensurePrivateDir(this.dir);
    const line: Record<string, unknown> = { time: new Date().toISOString(), user: this.base.user, identity: this.identity(), command: this.base.command, env: this.base.env };
    if (this.base.dryRun) line.dryRun = true;
    for (const [key, value] of Object.entries(event)) if (!SECRET_KEY.test(key)) line[key] = value;
    await appendLineDurable(this.file, JSON.stringify(line));
  }

  static async read(dir: string): Promise<AuditEvent[]> {
    const file = join(dir, 'audit.jsonl');
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const out: AuditEvent[] = [];
    text.split('\n').forEach((line, index) => {
      if (!line.trim()) return;
      try {
        out.push(JSON.parse(line) as AuditEvent);
      } catch {
        throw new RunbookError('STATE_CORRUPT', `${file}:${index + 1} is not a JSON line`, { hint: 'The audit log is append-only; repair that line by hand (nothing was changed).' });
      }
    });
    return out;
  }
}
