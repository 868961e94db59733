import type { z as Zod, ZodType } from 'zod';

/**
 * zod for the built-in step types' parameters, loaded only when something needs a schema: the full
 * runbook check (a problem to word, a plugin), the JSON Schema, the compiled validator's build. A
 * valid runbook is checked and resolved by the compiled validator (src/runbook/generated), so
 * `plan`, `status` and `run` start without zod's module, a fifth of the code they would load.
 */
let zod: typeof Zod | undefined;

/** Called by modules that import zod anyway (runbook/schema.ts), so their users need no await. */
export function provideZod(z: typeof Zod): void {
  zod ??= z;
}

export async function loadZod(): Promise<void> {
  if (!zod) provideZod((await import('zod')).z);
}

/** A schema built on first use, from zod as loaded above; `build` runs once. */
export function lazySchema<T extends ZodType>(build: (z: typeof Zod) => T): () => T {
  let built: T | undefined;
  return () => {
    if (!zod)
      throw new Error("a step type's parameters were read before zod was loaded (await loadZod() from src/steps/support/zod.ts first)");
    built ??= build(zod);
    return built;
  };
}
