import type { z } from 'zod';

/** A refinement for params that name one thing in several ways (an id or a name): exactly one is given. */
export function exactlyOne<T extends object>(...keys: (keyof T & string)[]) {
  return (value: T, ctx: z.RefinementCtx): void => {
    const given = keys.filter((k) => value[k] !== undefined);
    if (given.length === 1) return;
    ctx.addIssue({
      code: 'custom',
      message: given.length === 0 ? `give one of ${keys.join(', ')}` : `give only one of ${keys.join(', ')} (found ${given.join(' and ')})`,
      path: given.length === 0 ? [] : [given[1] as string],
    });
  };
}

/** Like exactlyOne, but none is fine too. */
export function atMostOne<T extends object>(...keys: (keyof T & string)[]) {
  return (value: T, ctx: z.RefinementCtx): void => {
    const given = keys.filter((k) => value[k] !== undefined);
    if (given.length > 1)
      ctx.addIssue({
        code: 'custom',
        message: `give only one of ${keys.join(', ')} (found ${given.join(' and ')})`,
        path: [given[1] as string],
      });
  };
}
