import { randomBytes } from 'node:crypto';
import { RunbookError } from '../errors.js';
import { type AuditBase, type AuditEvent, auditLine } from './audit.js';

import type { S3Io } from './s3-client.js';

let sequence = 0;

/**
 * `<time>-<pid+sequence>-<random>.json`: S3 lists keys in order, so the time comes first; the
 * rest keeps two writers in the same millisecond apart, and one writer's events in its own order.
 */
export function auditKey(prefix: string, time: string): string {
  sequence += 1;
  const stamp = time.replace(/[-:]/g, '').replace('.', '');
  return `${prefix}${stamp}-${process.pid.toString(36)}${sequence.toString(36).padStart(6, '0')}-${randomBytes(4).toString('hex')}.json`;
}

/** One object per event under `<env>/audit/`, so appends from any number of writers never conflict. */
export class S3AuditLog {
  constructor(
    private readonly io: S3Io,
    private readonly prefix: string,
    private readonly base: AuditBase,
    private readonly identity: () => string | undefined = () => undefined,
  ) {}

  async append(event: { event: string; step?: string; result?: string; detail?: string; [key: string]: unknown }): Promise<void> {
    const time = new Date().toISOString();
    const line = auditLine(this.base, this.identity(), event, time);
    // A fresh key: If-None-Match makes sure no event is ever written over another.
    const key = auditKey(this.prefix, time);
    const text = `${JSON.stringify(line)}\n`;
    const result = await this.io.put(key, text, { ifNoneMatch: '*' });
    // A retried write that had already landed finds its own event there.
    if (result === 'conflict' && (await this.io.get(key))?.text !== text)
      throw new RunbookError('AWS_ERROR', 'an audit event key was already taken (this should not happen)', {
        hint: 'Run the command again.',
      });
  }

  static async read(io: S3Io, prefix: string): Promise<AuditEvent[]> {
    const keys = (await io.list(prefix)).filter((k) => k.endsWith('.json'));
    const out: (AuditEvent | undefined)[] = new Array(keys.length);
    let next = 0;
    const worker = async () => {
      while (next < keys.length) {
        const index = next++;
        const key = keys[index]!;
        const object = await io.get(key);
        if (!object) continue;
        try {
          out[index] = JSON.parse(object.text) as AuditEvent;
        } catch {
          throw new RunbookError('STATE_CORRUPT', `the audit event ${io.url(key)} is not JSON`, {
            hint: 'Audit events are written once and never changed; restore that object from an earlier version (nothing was changed).',
          });
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(16, keys.length) }, worker));
    return out.filter((e): e is AuditEvent => e !== undefined);
  }
}
