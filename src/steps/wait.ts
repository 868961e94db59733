import { durationField } from '../runbook/constants.js';
import { lazySchema } from './support/zod.js';
import { formatDuration, parseDuration } from '../util/duration.js';
import type { StepType } from './types.js';

const params = lazySchema((z) => z.strictObject({ duration: durationField(z), reason: z.string().optional() }));

type WaitParams = { duration: string; reason?: string | undefined };

export const wait: StepType<WaitParams, { waited?: string }> = {
  name: 'wait',
  description: 'Wait a fixed time (divided by MIGRATE_TIME_SCALE), showing the countdown.',
  get params() {
    return params();
  },
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
