/**
 * stdout or stderr going away mid-command: `migrate log | head -1` closes the pipe (EPIPE), a
 * closed terminal or SSH session fails every write (EIO). Neither is a bug to print a stack for.
 */
import { closeSync } from 'node:fs';
import { isatty } from 'node:tty';

type Listener = (why: string) => void;

const GONE = new Set(['EPIPE', 'EIO', 'ECONNRESET', 'ERR_STREAM_DESTROYED']);
const listeners = new Set<Listener>();
let closed = false;
let installed = false;

/** True once stdout or stderr has gone away: nothing more can reach the operator there. */
export function outputClosed(): boolean {
  return closed;
}

/**
 * A command that changes things registers here to stop cleanly (step recorded, lock released) when
 * its output goes away. With nobody registered the command only reads, so it ends at once, exit 0.
 */
export function onOutputClosed(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function guardOutput(): void {
  if (installed) return;
  installed = true;
  // After a hang-up, Node's exit restores the terminal's modes with tcsetattr, which fails (EIO)
  // on a terminal that is gone, and Node aborts on that (SIGABRT, a core dump instead of exit 4).
  // A descriptor that was a terminal and is one no longer is closed first: Node then skips it.
  const wasTty = [0, 1, 2].filter((fd) => isatty(fd));
  // A prompt that ends after a hang-up puts the terminal back to cooked mode; on a terminal that is
  // gone that emits EIO on the prompt's readline, which nobody listens to: a crash with a stack.
  const stdin = process.stdin as NodeJS.ReadStream & { setRawMode?: (mode: boolean) => NodeJS.ReadStream };
  if (wasTty.includes(0) && typeof stdin.setRawMode === 'function') {
    const setRawMode = stdin.setRawMode.bind(stdin);
    stdin.setRawMode = (mode: boolean) => (isatty(0) ? setRawMode(mode) : stdin);
  }
  process.on('exit', () => {
    for (const fd of wasTty) {
      if (isatty(fd)) continue;
      try {
        closeSync(fd);
      } catch {
        // Already closed: nothing to restore.
      }
    }
  });
  for (const [name, stream] of [
    ['stdout', process.stdout],
    ['stderr', process.stderr],
  ] as const) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (!GONE.has(error.code ?? '')) throw error;
      if (closed) return;
      closed = true;
      // The reader has what it asked for (`head -1`): a read-only command has nothing to finish.
      if (listeners.size === 0) process.exit(0);
      for (const listener of [...listeners]) listener(`${name} closed`);
    });
  }
}
