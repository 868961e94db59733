import { lazySchema } from './support/zod.js';
import type { StepType } from './types.js';

const params = lazySchema((z) => z.strictObject({ instructions: z.string().min(1).describe('What the operator must do, word for word.') }));

interface ManualState {
  confirmed: boolean;
  by?: string;
  at?: string;
}

/**
 * Instructions a person carries out. The operator's confirmation is the "apply", recorded with who
 * gave it, so a resumed run does not ask twice.
 */
export const manual: StepType<{ instructions: string }, ManualState> = {
  name: 'manual',
  description: 'Instructions the operator carries out and confirms; recorded with who confirmed.',
  get params() {
    return params();
  },
  mutates: true,
  async read(ctx) {
    const prev = ctx.previous;
    if (prev && prev.status === 'applied' && prev.after && (prev.after as ManualState).confirmed) return prev.after as ManualState;
    return { confirmed: false };
  },
  plan(current, p) {
    if (current.confirmed) return { noop: true, current, summary: `confirmed by ${current.by ?? 'someone'} at ${current.at ?? '?'}` };
    return { noop: false, before: current, after: { confirmed: true }, summary: p.instructions };
  },
  async apply(ctx) {
    return { confirmed: true, by: ctx.operator, at: new Date().toISOString() };
  },
  describe: (p) => p.instructions,
};
