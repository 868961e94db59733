import { RunbookError } from '../../errors.js';
import type { Checkpoint } from '../types.js';

/** The state a checkpoint recorded before its step changed anything; undo cannot work without it. */
export function recordedBefore<S>(checkpoint: Checkpoint<S, unknown>): S {
  if (checkpoint.before === undefined) {
    throw new RunbookError('STATE_CORRUPT', `the checkpoint of ${checkpoint.ref} has no "before" state, so there is nothing to restore`, {
      hint: 'The step may not have run; look at `migrate status` and the state file.',
    });
  }
  return checkpoint.before;
}
