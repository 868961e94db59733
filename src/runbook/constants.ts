import type { z as Zod } from 'zod';

/** The parts of the runbook format that code outside the loader needs, without loading zod. */
export const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/** A duration field, for the runbook's schema and the step types' parameters, from the zod given. */
export const durationField = (z: typeof Zod) =>
  z
    .string()
    .regex(DURATION, { message: 'expected a duration such as "90s", "5m" or "1h"' })
    .describe('A duration: a number and one of ms, s, m, h, d ("90s", "5m", "1h").');

export const PHASES = ['pre', 'mid', 'post'] as const;
export type PhaseName = (typeof PHASES)[number];

/** A trigger's `failures:` ("3 of 5", "3 of 10m"). */
export const FAILURES = /^(\d+) of (\d+|\d+(?:ms|s|m|h|d))$/;

/** The type a check gets when it names none. */
export const DEFAULT_CHECK_TYPE = 'http.check';

/** A runbook larger than this is refused before it is parsed (the TIS runbook is about 20 kB). */
export const MAX_RUNBOOK_BYTES = 1024 * 1024;
