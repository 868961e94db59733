import type { ZodType } from 'zod';
import type { Path } from './locate.js';

/**
 * What validation needs of a step type. The loader passes either the registry (steps/index.ts,
 * zod schemas, plugins included) or the compiled built-ins (fast.ts), so validation itself never
 * imports the step modules, and with them zod.
 */
export interface StepShape {
  name: string;
  mutates: boolean;
  /** Present (truthy) when the type can be undone. */
  undo?: unknown;
  params: ZodType;
  /**
   * The parameters parsed without zod (fast.ts), `unknown` the paths (within the value) of values
   * not known yet: zod's result, a failure that only those values cause without issues (they are
   * not reported either way). Throws when it cannot tell.
   */
  parseKnown?(value: unknown, unknown: Path[]): { success: true; data: unknown } | { success: false; error: { issues: [] } };
}

export interface StepCatalogue {
  get(name: string): StepShape | undefined;
  /** Every name, sorted. */
  names(): string[];
  all(): Iterable<StepShape>;
}
