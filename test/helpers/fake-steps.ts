import { z } from 'zod';
import { RunbookError } from '../../src/errors.js';
import type { EngineDeps } from '../../src/engine/deps.js';
import type { EngineEvent } from '../../src/engine/events.js';
import { ScriptedPrompter, type Prompter, type StepDecision } from '../../src/engine/prompter.js';
import type { ResolvedRunbook, ResolvedStep } from '../../src/runbook/types.js';
import { MemoryStateStore } from '../../src/state/file-store.js';
import { emptyState, type StateFile } from '../../src/state/types.js';
import { httpCheck } from '../../src/steps/http.check.js';
import { manual } from '../../src/steps/manual.js';
import type { StepContext, StepType } from '../../src/steps/types.js';
import { wait } from '../../src/steps/wait.js';

/** A tiny "infrastructure": keys and values, with a log of writes so tests can count them. */
export class FakeWorld {
  data: Record<string, string | null> = {};
  writes: string[] = [];
  failNextApply: string | undefined;
  /** Throw after the write took effect, as a crash between the AWS call and the checkpoint would. */
  crashAfterWrite: string | undefined;
}

type KvParams = { key: string; value: string };
type KvState = { value: string | null };

export function kvStep(world: FakeWorld): StepType<KvParams, KvState> {
  return {
    name: 'test.kv',
    description: 'set a key in the fake world',
    params: z.object({ key: z.string(), value: z.string() }),
    mutates: true,
    resources: (p) => [`kv:${p.key}`],
    async read(_ctx, p) {
      return { value: world.data[p.key] ?? null };
    },
    plan(current, p) {
      if (current.value === p.value) return { noop: true, current, summary: `${p.key} is already ${p.value}` };
      return { noop: false, before: current, after: { value: p.value }, summary: `set ${p.key} to ${p.value}` };
    },
    async apply(_ctx, change, p) {
      if (world.failNextApply === p.key) {
        world.failNextApply = undefined;
        throw new Error(`cannot set ${p.key}`);
      }
      world.data[p.key] = change.after.value;
      world.writes.push(`set ${p.key}=${change.after.value}`);
      if (world.crashAfterWrite === p.key) {
        world.crashAfterWrite = undefined;
        throw new RunbookError('ABORTED', 'simulated crash after the write');
      }
      return { value: world.data[p.key] ?? null };
    },
    async undo(_ctx, cp) {
      const before = (cp.before as KvState).value;
      if (before === null) delete world.data[cp.params.key];
      else world.data[cp.params.key] = before;
      world.writes.push(`undo ${cp.params.key}=${before}`);
      return { value: before };
    },
  };
}

export function types(world: FakeWorld): Map<string, StepType> {
  return new Map<string, StepType>([
    ['test.kv', kvStep(world) as StepType],
    ['manual', manual as StepType],
    ['wait', wait as StepType],
    ['http.check', httpCheck as StepType],
  ]);
}

let _seq = 0;
export function step(
  phase: 'pre' | 'mid' | 'post' | 'rollback',
  id: string,
  type: string,
  params: unknown,
  extra: Partial<ResolvedStep> = {},
): ResolvedStep {
  return { ref: `${phase}.${id}`, phase, id, title: `step ${id}`, type, with: {}, params, verify: [], digest: `d${id}`, ...extra };
}

export function kv(id: string, key: string, value: string, phase: 'pre' | 'mid' | 'post' = 'mid'): ResolvedStep {
  _seq += 1;
  return step(phase, id, 'test.kv', { key, value });
}

export interface Harness {
  deps: EngineDeps;
  events: EngineEvent[];
  store: MemoryStateStore;
  audit: Array<Record<string, unknown>>;
  world: FakeWorld;
}

export function harness(
  world: FakeWorld,
  options: {
    answers?: StepDecision[];
    prompter?: Prompter;
    dryRun?: boolean;
    state?: StateFile;
    protectedEnv?: boolean;
    signal?: AbortSignal;
  } = {},
): Harness {
  const events: EngineEvent[] = [];
  const audit: Array<Record<string, unknown>> = [];
  const state = options.state ?? emptyState('test', 'sandbox');
  const store = new MemoryStateStore(state);
  const registry = types(world);
  const signal = options.signal ?? new AbortController().signal;
  const deps: EngineDeps = {
    state,
    store,
    prompter: options.prompter ?? new ScriptedPrompter(options.answers ?? Array(50).fill('apply')),
    emit: (e) => events.push(e),
    audit: async (e) => {
      audit.push(e);
    },
    contextFor: (_step, previous, sig): StepContext => ({
      env: { name: 'sandbox', region: 'eu-west-2', account: '000000000000', protected: false },
      aws: {
        client: async () => {
          throw new Error('no AWS in engine tests');
        },
      },
      dryRun: !!options.dryRun,
      clock: { scale: 1000, now: () => Date.now(), sleep: async (ms) => new Promise((r) => setTimeout(r, ms / 1000)) },
      signal: sig,
      operator: 'tester',
      previous,
      progress: () => undefined,
    }),
    stepType: (name) => {
      const t = registry.get(name);
      if (!t) throw new Error(`no type ${name}`);
      return t;
    },
    checks: {},
    env: { name: 'sandbox', protected: !!options.protectedEnv },
    dryRun: !!options.dryRun,
    timeScale: 1000,
    signal,
  };
  return { deps, events, store, audit, world };
}

export function resolvedWith(
  phases: Partial<Record<'pre' | 'mid' | 'post', ResolvedStep[]>>,
  rollback: ResolvedRunbook['rollback'],
): ResolvedRunbook {
  return {
    runbook: {} as ResolvedRunbook['runbook'],
    env: { name: 'sandbox', region: 'eu-west-2', account: '000000000000', protected: false, vars: {} },
    phases: { pre: phases.pre ?? [], mid: phases.mid ?? [], post: phases.post ?? [] },
    rollback,
    checks: {},
  };
}

export function ends(events: EngineEvent[]): string[] {
  return events.flatMap((e) => (e.kind === 'step-end' ? [`${e.ref}:${e.status}`] : []));
}
