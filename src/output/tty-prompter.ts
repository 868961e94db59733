import type { ConfirmRequest, Prompter, StepDecision } from '../engine/prompter.js';
import type { ListrView } from './listr-view.js';

function isPromptExit(error: unknown): boolean {
  return error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError' || /force closed|User force closed|cancel/i.test(error.message));
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

/**
 * Apply / Skip / Abort in the terminal. Inside a listr view the prompt runs in the step's task
 * through listr's inquirer adapter; Ctrl-C at a prompt counts as Abort.
 */
export class TtyPrompter implements Prompter {
  constructor(private readonly view?: ListrView) {}

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
        return (await settled(task.prompt(ListrInquirerPromptAdapter), (adapter) => adapter.run(select, config))) as StepDecision;
      }
      return await select(config);
    } catch (error) {
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
        answer = (await settled(active.prompt(ListrInquirerPromptAdapter), (adapter) => adapter.run(input, config))) as string;
      } else {
        answer = await input(config);
      }
      return answer.trim() === env;
    } catch (error) {
      if (isPromptExit(error)) return false;
      throw error;
    }
  }
}
