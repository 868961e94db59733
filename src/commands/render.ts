import { RunbookError } from '../errors.js';
import type { EngineEvent, EventSink } from '../engine/events.js';
import { AutoApprovePrompter, type Prompter } from '../engine/prompter.js';
import type { ListrView } from '../output/listr-view.js';
import { plainRenderer } from '../output/plain.js';
import { TtyPrompter, promptOutput } from '../output/tty-prompter.js';
import type { GlobalOptions } from './options.js';

export interface Output {
  emit: EventSink;
  events: EngineEvent[];
  prompter(options: {
    yes?: boolean | undefined;
    confirmEnv?: string | undefined;
    dryRun: boolean;
    signal?: AbortSignal | undefined;
  }): Prompter;
  finish(): Promise<void>;
}

export function isInteractive(): boolean {
  return !!process.stdin.isTTY && !!process.stdout.isTTY && !process.env.CI;
}

/**
 * Someone at a keyboard: stdin is a terminal, whatever stdout is (`| tee cutover.log`, a file);
 * prompts then draw on stderr or /dev/tty and stdout keeps the plain transcript.
 */
export function canPrompt(): boolean {
  return !!process.stdin.isTTY && !process.env.CI && (!!process.stdout.isTTY || promptOutput() !== undefined);
}

const neverAsked: Prompter = {
  async confirmStep(request) {
    throw new RunbookError('STEP_FAILED', `internal: a dry run asked to confirm ${request.ref}`);
  },
  async confirmEnvironment() {
    return true;
  },
};

/**
 * listr2 on a TTY, plain lines elsewhere, nothing but the final document with --json. listr2 is
 * loaded only for a terminal: a piped or scripted plan starts without it.
 */
export async function chooseOutput(opts: GlobalOptions): Promise<Output> {
  const events: EngineEvent[] = [];
  const tty = isInteractive() && !opts.json;
  const view: ListrView | undefined = tty ? new (await import('../output/listr-view.js')).ListrView() : undefined;
  const plain = view ? undefined : plainRenderer((line) => (opts.json ? process.stderr : process.stdout).write(`${line}\n`));
  return {
    events,
    emit(event) {
      events.push(event);
      if (view) view.handle(event);
      else if (plain && !opts.json) plain(event);
      else if (plain && opts.json && (event.kind === 'step-end' || event.kind === 'run-end')) plain(event);
    },
    prompter({ yes, confirmEnv, dryRun, signal }) {
      if (dryRun) return neverAsked;
      if (yes) return new AutoApprovePrompter(confirmEnv);
      return new TtyPrompter(view, signal);
    },
    async finish() {
      await view?.done();
    },
  };
}

/** With no TTY and no --yes a mutating run refuses before anything changes, rather than hang. */
export function refuseWithoutTty(what: string, yes: boolean | undefined): void {
  if (yes || canPrompt()) return;
  throw new RunbookError('NO_TTY', `${what} would change things, but there is no terminal to confirm each change`, {
    hint: 'Run it in a terminal to confirm step by step, pass --yes to apply every step, or preview with --dry-run.',
  });
}
