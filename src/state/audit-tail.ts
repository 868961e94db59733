import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';

export interface LastCaller {
  identity: string;
  command: string;
  time: string;
}

/**
 * The AWS caller of the latest audited event that had one, read from the end of the audit log
 * only (status must stay quick however long the history): `status` makes no AWS call itself.
 */
export async function lastCaller(envDir: string, tailBytes = 64 * 1024): Promise<LastCaller | undefined> {
  let handle: FileHandle;
  try {
    handle = await open(join(envDir, 'audit.jsonl'), 'r');
  } catch {
    return undefined;
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - tailBytes);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split('\n').reverse();
    for (const line of lines) {
      try {
        const e = JSON.parse(line) as { identity?: unknown; command?: unknown; time?: unknown };
        if (typeof e.identity === 'string' && e.identity)
          return { identity: e.identity, command: String(e.command ?? ''), time: String(e.time ?? '') };
      } catch {
        // A partial first line of the window, or a torn one: not this one.
      }
    }
    return undefined;
  } finally {
    await handle.close();
  }
}
