/** The parts of the runbook format that code outside the loader needs, without loading zod. */
export const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

export const PHASES = ['pre', 'mid', 'post'] as const;
export type PhaseName = (typeof PHASES)[number];
