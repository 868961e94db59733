/**
 * stdout or stderr going away mid-command: `migrate log | head -1` closes the pipe (EPIPE), a
 * closed terminal or SSH session fails every write (EIO). Neither is a bug to print a stack for.
 */
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
  for (const [name, stream] of [['stdout', process.stdout], ['stderr', process.stderr]] as const) {
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
