import { lookupKey } from '../../aws/lookups.js';
import type { StepContext } from '../types.js';

/**
 * A read-only AWS answer that several steps ask for (a listing to find an id by name, the state of
 * a stage two steps act on): sent once per read pass, and every time outside one (see
 * src/aws/lookups.ts). The value is the step's own copy.
 */
export function shared<T>(ctx: StepContext, client: string, operation: string, input: unknown, load: () => Promise<T>): Promise<T> {
  const lookups = ctx.aws.lookups;
  return lookups ? lookups.memo(lookupKey(client, operation, input), load) : load();
}

/**
 * Reads started together and awaited in the order given: the error is that of the first to fail
 * in this order, as if they had been sent one after another.
 */
export async function inOrder<T extends readonly unknown[] | []>(reads: T): Promise<{ -readonly [K in keyof T]: Awaited<T[K]> }> {
  for (const read of reads) if (read instanceof Promise) background(read);
  const out: unknown[] = [];
  for (const read of reads) out.push(await read);
  return out as { -readonly [K in keyof T]: Awaited<T[K]> };
}

/** A read started ahead of the one it is awaited after: its failure is seen when it is awaited, never as unhandled. */
export function background<T>(read: Promise<T>): Promise<T> {
  read.catch(() => undefined);
  return read;
}
