import { z } from 'zod';
import { duration } from '../runbook/schema.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import type { StepType } from './types.js';

type WaitParams = { duration: string; reason?: string | undefined };

export const wait: StepType<WaitParams, { waited?: string }> = {
  name: 'wait',
  description: 'Wait a fixed time (divided by MIGRATE_TIME_SCALE), showing the countdown.',
  params: z.strictObject({ duration, reason: z.string().optional() }),
  mutates: false,
  async read() {
    return {};
  },
  plan(current, p) {
    return { noop: false, before: current, after: { waited: p.duration }, summary: describe(p) };
  },
  async apply(ctx, _change, p) {
    await ctx.clock.sleep(parseDuration(p.duration), p.reason ?? `wait ${p.duration}`);
    return { waited: p.duration };
  },
  describe,
};

function describe(p: WaitParams): string {
  return `wait ${formatDuration(parseDuration(p.duration))}${p.reason ? ` (${p.reason})` : ''}`;
}
