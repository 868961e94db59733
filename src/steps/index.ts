import type { StepType } from './types.js';
import { manual } from './manual.js';
import { wait } from './wait.js';
import { httpCheck } from './http.check.js';

/**
 * Every step type the runbook may name. Step modules import only zod at load time; AWS SDK clients
 * are imported inside read/apply, so loading this registry stays cheap for validate and status.
 */
const all: StepType[] = [manual, wait, httpCheck];

export const stepTypes: ReadonlyMap<string, StepType> = new Map(all.map((t) => [t.name, t]));

export function getStepType(name: string): StepType | undefined {
  return stepTypes.get(name);
}

export function stepTypeNames(): string[] {
  return [...stepTypes.keys()].sort();
}
