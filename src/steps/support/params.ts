import type { z } from 'zod';

/** A refinement for params that name one thing in several ways (an id or a name): exactly one is given. */
export function exactlyOne<K extends string>(...keys: K[]) {
  return portable(exactlyOne, keys, (value: { [key in K]?: unknown }, ctx: z.RefinementCtx): void => {
    const given = keys.filter((k) => value[k] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message: given.length === 0 ? `give one of ${keys.join(', ')}` : `give only one of ${keys.join(', ')} (found ${given.join(' and ')})`,
      path: given.length === 0 ? [] : [given[1] as string],
    });
  });
}

/** Like exactlyOne, but none is fine too. */
export function atMostOne<K extends string>(...keys: K[]) {
  return portable(atMostOne, keys, (value: { [key in K]?: unknown }, ctx: z.RefinementCtx): void => {
    const given = keys.filter((k) => value[k] !== undefined);
    if (given.length > 1)
      ctx.addIssue({
        code: 'custom',
        message: `give only one of ${keys.join(', ')} (found ${given.join(' and ')})`,
        path: [given[1] as string],
      });
  });
}

/** A rule made by `factory(...args)`: the compiled validator copies the factory's source and calls it so. */
function portable<F>(factory: unknown, args: unknown[], rule: F): F {
  return Object.assign(rule as object, { factory, args }) as F;
}

/**
 * superRefine's arguments for a rule, with the rule where the compiled validator
 * (src/runbook/compile-validator.ts) finds it: `.superRefine(...rule(exactlyOne('a', 'b')))`. The
 * rule must use nothing from around it but its arguments, as the validator copies its source.
 */
export function rule<T>(fn: (value: T, ctx: z.RefinementCtx) => void): [(value: T, ctx: z.RefinementCtx) => void, z.core.$ZodCustomParams] {
  return [fn, { rule: fn } as unknown as z.core.$ZodCustomParams];
}
