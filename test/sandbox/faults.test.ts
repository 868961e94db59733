import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { parseFaults, seededRandom } from '../../src/sandbox/faults.js';

describe('parseFaults', () => {
  it('reads every kind of fault and incident', () => {
    expect(parseFaults('throttle=0.3,5xx=0.1,latency=50ms,insync=20s,reval-down')).toEqual({
      throttle: 0.3,
      error5xx: 0.1,
      latencyMs: 50,
      slowInsyncMs: 20_000,
      incidents: ['reval-down'],
    });
    expect(parseFaults(' throttle = 1 , admins-down, um-down ')).toEqual({ throttle: 1, incidents: ['admins-down', 'um-down'] });
    expect(parseFaults('')).toEqual({});
    expect(parseFaults('conflict=0.3')).toEqual({ conflict: 0.3 });
    expect(() => parseFaults('conflict=2')).toThrow('conflict takes a rate between 0 and 1');
  });

  it.each([
    ['throttle=1.5', '--faults: throttle takes a rate between 0 and 1 in "throttle=1.5"'],
    ['5xx=', '--faults: 5xx takes a rate between 0 and 1 in "5xx="'],
    ['5xx=lots', '--faults: 5xx takes a rate between 0 and 1 in "5xx=lots"'],
    ['latency=50', '--faults: latency takes a duration such as 50ms or 20s in "latency=50"'],
    ['insync=soon', '--faults: insync takes a duration such as 50ms or 20s in "insync=soon"'],
    ['jitter=5ms', '--faults: unknown fault "jitter" in "jitter=5ms"'],
    ['Reval Down', '--faults: not a fault or incident name in "Reval Down"'],
  ])('rejects %s with a USAGE error listing what is accepted', (spec, message) => {
    let error: unknown;
    try {
      parseFaults(spec);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RunbookError);
    expect((error as RunbookError).code).toBe('USAGE');
    expect((error as RunbookError).exitCode).toBe(2);
    expect((error as RunbookError).message).toBe(message);
    expect((error as RunbookError).hint).toMatchInlineSnapshot(
      `"Comma-separated: throttle=<0..1>, 5xx=<0..1>, conflict=<0..1>, latency=<duration>, insync=<duration>, or an incident name such as reval-down. Example: throttle=0.3,5xx=0.1,latency=50ms,insync=20s,reval-down"`,
    );
  });
});

describe('seededRandom', () => {
  it('repeats for a seed and differs between seeds', () => {
    const take = (seed: number) => Array.from({ length: 5 }, seededRandom(seed));
    expect(take(3)).toEqual(take(3));
    expect(take(3)).not.toEqual(take(4));
    expect(take(3).every((n) => n >= 0 && n < 1)).toBe(true);
  });
});
