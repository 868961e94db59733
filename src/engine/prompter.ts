export type StepDecision = 'apply' | 'skip' | 'abort';

export interface ConfirmRequest {
  ref: string;
  title: string;
  type: string;
  /** "apply" for a step, "undo" for a rollback. */
  action: 'apply' | 'undo';
  summary: string;
  diff: string[];
}

/** The engine asks; what answers (a terminal, --yes, a test script) is chosen at the CLI edge. */
export interface Prompter {
  confirmStep(request: ConfirmRequest): Promise<StepDecision>;
  /** Protected environments: the operator types the environment's name once per run. */
  confirmEnvironment(env: string): Promise<boolean>;
}

/** --yes: every step is applied; a protected environment still needs its name (--confirm-env). */
export class AutoApprovePrompter implements Prompter {
  constructor(private readonly confirmedEnv: string | undefined) {}
  async confirmStep(): Promise<StepDecision> {
    return 'apply';
  }
  async confirmEnvironment(env: string): Promise<boolean> {
    return this.confirmedEnv === env;
  }
}

/** Answers from a list, for tests; fails loudly when the script runs out. */
export class ScriptedPrompter implements Prompter {
  readonly asked: ConfirmRequest[] = [];
  constructor(
    private readonly answers: StepDecision[],
    private readonly envAnswer = true,
  ) {}
  async confirmStep(request: ConfirmRequest): Promise<StepDecision> {
    this.asked.push(request);
    const next = this.answers.shift();
    if (!next) throw new Error(`ScriptedPrompter: no answer left for ${request.ref}`);
    return next;
  }
  async confirmEnvironment(): Promise<boolean> {
    return this.envAnswer;
  }
}
