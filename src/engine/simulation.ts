import type { ResolvedStep } from '../runbook/types.js';
import type { Checkpoint, StepType } from '../steps/types.js';

/** Where the state a step is planned against comes from. */
export type StateSource = 'live' | 'predicted' | 'recorded';

export interface PlannedState {
  state: unknown;
  source: StateSource;
  /** The step whose prediction (or checkpoint) it is. */
  by?: string | undefined;
}

/** What the plan says about one step: the state it starts from and the one it leaves. */
export interface StepPrediction {
  before: unknown;
  after: unknown;
  source: StateSource;
  by?: string | undefined;
}

/** The resource keys of a step; a step type that names none shares its resource with no one. */
export function resourceKeys(type: StepType, params: unknown, ref: string): string[] {
  const keys = type.resources?.(params) ?? [];
  return keys.length > 0 ? keys : [`step:${ref}`];
}

/**
 * The whole-phase plan: the state each resource key will be in as the walk goes through the phase
 * in runbook order. A step planned later on a key starts from what the last earlier step on that
 * key leaves (its predicted after, or the state it found when it changes nothing), not from the
 * live value read before the phase started.
 */
export class Simulation {
  private predicted = new Map<string, { state: unknown; by: string; changed: boolean }>();

  constructor(
    private readonly stepType: (name: string) => StepType,
    private readonly checkpoints: Record<string, Checkpoint>,
    /** Every step of the runbook, in runbook order: which applied step is the last on a key. */
    private readonly runbookOrder: readonly string[],
  ) {}

  keysOf(step: Pick<ResolvedStep, 'ref' | 'type' | 'params'>): string[] {
    return resourceKeys(this.stepType(step.type), step.params, step.ref);
  }

  /** The predicted state of the step's resource, when an earlier step of this walk left one. */
  predictedFor(step: Pick<ResolvedStep, 'ref' | 'type' | 'params'>): PlannedState | undefined {
    for (const key of this.keysOf(step)) {
      const p = this.predicted.get(key);
      if (p) return { state: p.state, source: 'predicted', by: p.by };
    }
    return undefined;
  }

  /** Whether an earlier step of this walk changes (or would change) one of the step's resources. */
  changedEarlier(step: Pick<ResolvedStep, 'ref' | 'type' | 'params'>): string | undefined {
    for (const key of this.keysOf(step)) {
      const p = this.predicted.get(key);
      if (p?.changed) return p.by;
    }
    return undefined;
  }

  /** After a step: the state it leaves on its resources, and whether it changed them. */
  leaves(step: Pick<ResolvedStep, 'ref' | 'type' | 'params'>, state: unknown, changed: boolean): void {
    for (const key of this.keysOf(step)) {
      const prior = this.predicted.get(key);
      this.predicted.set(key, { state, by: changed || !prior ? step.ref : prior.by, changed: changed || !!prior?.changed });
    }
  }

  /**
   * The applied checkpoint that last wrote one of the step's resources, in runbook order (the
   * step's own checkpoint included): what the runbook says the resource holds now.
   */
  lastApplied(step: Pick<ResolvedStep, 'ref' | 'type' | 'params'>): Checkpoint | undefined {
    return this.appliedOn(step).at(-1);
  }

  /** The applied checkpoints on the step's resources, in runbook order. */
  appliedOn(step: Pick<ResolvedStep, 'ref' | 'type' | 'params'>): Checkpoint[] {
    const keys = new Set(this.keysOf(step));
    const order = new Map(this.runbookOrder.map((ref, i) => [ref, i]));
    const found: Checkpoint[] = [];
    for (const cp of Object.values(this.checkpoints)) {
      if (cp.status !== 'applied' || cp.after === undefined || !order.has(cp.ref)) continue;
      let type: StepType;
      try {
        type = this.stepType(cp.type);
      } catch {
        continue;
      }
      if (!type.mutates || !resourceKeys(type, cp.params, cp.ref).some((k) => keys.has(k))) continue;
      found.push(cp);
    }
    return found.sort((a, b) => (order.get(a.ref) ?? -1) - (order.get(b.ref) ?? -1));
  }
}
