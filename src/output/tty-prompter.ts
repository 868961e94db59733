import { openSync } from 'node:fs';
import { WriteStream } from 'node:tty';
import type { ConfirmRequest, Prompter, StepDecision } from '../engine/prompter.js';
import type { ListrView } from './listr-view.js';

let terminalOut: NodeJS.WritableStream | undefined;

/**
 * Where a prompt is drawn when stdout is not the terminal (`migrate run mid | tee cutover.log`,
 * `> run.log`): on stderr if that is the terminal, else on /dev/tty. The keyboard answers either
 * way, and the transcript on stdout stays plain lines without a prompt's cursor movements.
 */
export function promptOutput(): NodeJS.WritableStream | undefined {
  if (process.stdout.isTTY) return undefined;
  if (process.stderr.isTTY) return process.stderr;
  if (!terminalOut) {
    try {
      const stream = new WriteStream(openSync('/dev/tty', 'w'));
      stream.on('error', () => undefined);
      stream.unref?.();
      terminalOut = stream;
    } catch {
      return undefined;
    }
  }
  return terminalOut;
}

function isPromptExit(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error.name === 'ExitPromptError' || error.name === 'AbortPromptError' || /force closed|User force closed|cancel/i.test(error.message))
  );
}

/**
 * Runs a prompt through listr's inquirer adapter, then lets go of it. The adapter keeps listening
 * to its task after the answer, and when the step is then marked skipped (Skip, Abort, Ctrl-C) it
 * "cancels" the finished prompt, which puts the task back to running: the step ended with a tick.
 */
async function settled<A, T>(adapter: A, ask: (adapter: A) => Promise<T>): Promise<T> {
  try {
    return await ask(adapter);
  } finally {
    (adapter as unknown as { prompt?: unknown }).prompt = undefined;
  }
}

/** The adapter's own cancel signal (listr aborts it when the task is skipped), kept beside ours. */
function ownSignal(adapter: unknown): AbortSignal | undefined {
  return (adapter as { signal?: AbortController }).signal?.signal;
}

/**
 * Apply / Skip / Abort in the terminal. Inside a listr view the prompt runs in the step's task
 * through listr's inquirer adapter; Ctrl-C at a prompt counts as Abort.
 */
export class TtyPrompter implements Prompter {
  /** `signal`: a SIGTERM or hang-up while a question waits stops the run like one during a step. */
  constructor(
    private readonly view?: ListrView,
    private readonly signal?: AbortSignal,
  ) {}

  private context(own?: AbortSignal): { signal?: AbortSignal; output?: NodeJS.WritableStream } {
    const signals = [own, this.signal].filter((s): s is AbortSignal => !!s);
    const output = this.view ? undefined : promptOutput();
    return { ...(signals.length > 0 ? { signal: AbortSignal.any(signals) } : {}), ...(output ? { output } : {}) };
  }

  /** Stopped by a signal: the session's reason (interrupted (SIGTERM)), not an operator's Abort. */
  private stopped(error: unknown): never {
    throw this.signal?.aborted && this.signal.reason instanceof Error ? this.signal.reason : error;
  }

  async confirmStep(request: ConfirmRequest): Promise<StepDecision> {
    const { select } = await import('@inquirer/prompts');
    // A manual step's "apply" is the operator saying they did it.
    const manual = request.type === 'manual' && request.action === 'apply';
    const verb = request.action === 'undo' ? 'Undo' : manual ? 'Done' : 'Apply';
    const config = {
      message: manual ? `Done: ${request.ref} (${request.title})?` : `${verb} ${request.ref} (${request.title})?`,
      choices: [
        { name: verb, value: 'apply' as const, description: request.summary },
        { name: 'Skip', value: 'skip' as const, description: 'Leave this step; the run goes on with the next one.' },
        { name: 'Abort', value: 'abort' as const, description: 'Stop here; state is saved and the run can be resumed.' },
      ],
      default: 'apply' as const,
    };
    try {
      if (this.view) {
        const { ListrInquirerPromptAdapter } = await import('@listr2/prompt-adapter-inquirer');
        const task = await this.view.activeTask(request.ref);
        return (await settled(task.prompt(ListrInquirerPromptAdapter), (adapter) =>
          adapter.run(select, config, this.context(ownSignal(adapter))),
        )) as StepDecision;
      }
      return await select(config, this.context());
    } catch (error) {
      if (this.signal?.aborted) this.stopped(error);
      if (isPromptExit(error)) return 'abort';
      throw error;
    }
  }

  async confirmEnvironment(env: string): Promise<boolean> {
    const { input } = await import('@inquirer/prompts');
    const config = { message: `Environment "${env}" is protected. Type its name to go on:` };
    try {
      const active = this.view ? await this.view.currentTask() : undefined;
      let answer: string;
      if (active) {
        const { ListrInquirerPromptAdapter } = await import('@listr2/prompt-adapter-inquirer');
        answer = (await settled(active.prompt(ListrInquirerPromptAdapter), (adapter) =>
          adapter.run(input, config, this.context(ownSignal(adapter))),
        )) as string;
      } else {
        answer = await input(config, this.context());
      }
      return answer.trim() === env;
    } catch (error) {
      if (this.signal?.aborted) this.stopped(error);
      if (isPromptExit(error)) return false;
      throw error;
    }
  }
}
