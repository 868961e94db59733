import type { z } from 'zod';
import { lazySchema } from './support/zod.js';
import { durationField } from '../runbook/constants.js';
import { RunbookError } from '../errors.js';
import { parseDuration } from '../util/duration.js';
import type { StepContext, StepType } from './types.js';

const params = lazySchema((z) => {
  return z.strictObject({
    url: z.url({ protocol: /^https?$/ }),
    method: z.enum(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH']).default('GET'),
    body: z.string().optional().describe('Request body, for checks that a write is refused.'),
    status: z.coerce.number().int().min(100).max(599).default(200).describe('The status the check expects.'),
    contains: z.string().optional().describe('Text the response body must contain.'),
    timeout: durationField(z).default('10s'),
    retries: z.coerce.number().int().min(0).max(20).default(3),
    retryDelay: durationField(z).default('2s'),
  });
});
export type HttpCheckParams = z.output<ReturnType<typeof params>>;

export interface HttpCheckState {
  url: string;
  method: string;
  status: number | null;
  ok: boolean;
  problem?: string;
}

/**
 * The time scale compresses the plan's waits, not the network: 10s at scale 600 would leave 17 ms
 * for an answer that takes 20-70 ms on a loaded machine, and a healthy service would fail its
 * gate. So a scaled timeout never drops below 2s (or the configured one, if shorter). Whole
 * milliseconds, as AbortSignal.timeout takes no fractions (10s at scale 60 is 166.67 ms).
 */
export function requestTimeoutMs(configuredMs: number, scale: number): number {
  return Math.ceil(Math.max(Math.min(configuredMs, 2000), configuredMs / scale));
}

/** One request, judged against the expectation; never throws for a network error. */
export async function probe(ctx: Pick<StepContext, 'signal' | 'clock'>, p: HttpCheckParams): Promise<HttpCheckState> {
  const base = { url: p.url, method: p.method };
  const timeout = AbortSignal.timeout(requestTimeoutMs(parseDuration(p.timeout), ctx.clock.scale));
  try {
    const res = await fetch(p.url, { method: p.method, body: p.body, signal: AbortSignal.any([ctx.signal, timeout]), redirect: 'manual' });
    const text = p.method === 'HEAD' ? '' : await res.text();
    if (res.status !== p.status) return { ...base, status: res.status, ok: false, problem: `answered ${res.status}, expected ${p.status}` };
    if (p.contains !== undefined && !text.includes(p.contains))
      return { ...base, status: res.status, ok: false, problem: `body does not contain "${p.contains}"` };
    return { ...base, status: res.status, ok: true };
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    const cause = (error as { cause?: { code?: string } }).cause?.code;
    return {
      ...base,
      status: null,
      ok: false,
      problem: timeout.aborted ? `no answer within ${p.timeout}` : `unreachable (${cause ?? (error as Error).message})`,
    };
  }
}

export const httpCheck: StepType<HttpCheckParams, HttpCheckState> = {
  name: 'http.check',
  description: 'Request a URL and expect a status (200 by default) and optionally some text; retried.',
  get params() {
    return params();
  },
  mutates: false,
  async read(ctx, p) {
    let state = await probe(ctx, p);
    for (let attempt = 1; !state.ok && attempt <= p.retries; attempt++) {
      ctx.progress(`${p.method} ${p.url} ${state.problem}; retry ${attempt}/${p.retries}`);
      await ctx.clock.sleep(parseDuration(p.retryDelay), `retry ${p.url}`);
      state = await probe(ctx, p);
    }
    return state;
  },
  // No status at all: connection refused, DNS or the request's own timeout, not a wrong answer.
  probeOutcome: (current) => (current.status === null ? 'error' : undefined),
  plan(current, p) {
    if (current.ok) return { noop: true, current, summary: `${p.method} ${p.url} answered ${current.status}` };
    throw new RunbookError('ASSERTION_FAILED', `${p.method} ${p.url} ${current.problem}`, {
      hint: 'The service is not healthy: look at it before going on, or run the rollback the plan gives for this.',
    });
  },
  async apply(_ctx, change) {
    return change.after;
  },
  describe: (p) => `${p.method} ${p.url} expects ${p.status}${p.contains ? ` containing "${p.contains}"` : ''}`,
};
