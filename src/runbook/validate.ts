import { didYouMean } from './suggest.js';
import { formatPath } from './locate.js';
import { isUnder } from './interpolate.js';
import { checkVariablesAndParams } from './validate-params.js';
import { DEFAULT_CHECK_TYPE, asArray, asId, asRecord, rawSteps } from './walk.js';
import type { StepCatalogue } from './catalogue.js';
import type { Path, Problem } from './locate.js';
import type { Raw, RawStep } from './walk.js';

/**
 * The checks a schema cannot make: references between steps, checks and rollback entries, step
 * types and their parameters, variables. Works on the document as parsed, so it runs (and reports)
 * even where the schema has found problems elsewhere.
 */
export function validateRunbook(data: unknown, source: (path: Path) => string | undefined, types: StepCatalogue): Problem[] {
  const root = asRecord(data);
  if (!root) return [];
  const steps = rawSteps(root);
  const checks = checkNames(root);
  return [
    ...stepShapes(steps),
    ...duplicateIds(steps),
    ...unknownTypes(steps, types),
    ...verifyRefs(steps, checks),
    ...checkTypes(root, types),
    ...rollbackRefs(root, steps, checks, types),
    ...checkVariablesAndParams(root, steps, source, types),
  ];
}

function checkNames(root: Raw): string[] {
  return Object.keys(asRecord(root.checks) ?? {});
}

function stepShapes(steps: RawStep[]): Problem[] {
  const problems: Problem[] = [];
  for (const s of steps) {
    const has = (key: string) => s.node[key] !== undefined;
    if (s.isGroup && has('type')) {
      problems.push({
        path: [...s.path, 'type'],
        at: 'key',
        message: 'a step has either "type" (one action) or "steps" (a group of sub-steps), not both',
      });
    } else if (!s.isGroup && !has('type')) {
      problems.push({ path: s.path, message: 'a step needs "type" (one action) or "steps" (a group of sub-steps)' });
    }
    if (s.isGroup) {
      for (const key of ['with', 'timeout', 'verify']) {
        if (has(key))
          problems.push({ path: [...s.path, key], at: 'key', message: `a group of sub-steps takes no "${key}"; put it on the sub-steps` });
      }
    }
  }
  return problems;
}

function duplicateIds(steps: RawStep[]): Problem[] {
  const problems: Problem[] = [];
  const seen = new Map<string, Path>();
  for (const s of steps) {
    if (s.id === undefined) continue;
    const key = `${s.scope}\u0000${s.id}`;
    const first = seen.get(key);
    if (first) {
      const where = s.rollbackIndex === undefined ? `in phase ${s.scope}` : `in rollback entry ${s.scope.slice('rollback.'.length)}`;
      problems.push({ path: [...s.path, 'id'], message: `duplicate step id "${s.id}" ${where} (first used at ${formatPath(first)})` });
    } else seen.set(key, s.path);
  }
  return problems;
}

function unknownTypeMessage(type: string, types: StepCatalogue): string {
  const names = types.names();
  return `unknown step type "${type}"${didYouMean(type, names)} (known types: ${names.join(', ')})`;
}

function unknownTypes(steps: RawStep[], types: StepCatalogue): Problem[] {
  return steps
    .filter((s) => s.type !== undefined && !types.get(s.type))
    .map((s) => ({ path: [...s.path, 'type'], message: unknownTypeMessage(s.type!, types) }));
}

function unknownCheck(name: string, checks: string[]): string {
  const known = checks.length ? ` (checks: ${checks.join(', ')})` : ' (no checks are defined under "checks:")';
  return `unknown check "${name}"${didYouMean(name, checks)}${known}`;
}

function verifyRefs(steps: RawStep[], checks: string[]): Problem[] {
  const problems: Problem[] = [];
  for (const s of steps) {
    asArray(s.node.verify).forEach((name, i) => {
      if (typeof name === 'string' && !checks.includes(name))
        problems.push({ path: [...s.path, 'verify', i], message: unknownCheck(name, checks) });
    });
  }
  return problems;
}

function checkTypes(root: Raw, types: StepCatalogue): Problem[] {
  const problems: Problem[] = [];
  const readOnly = [...types.all()]
    .filter((t) => !t.mutates)
    .map((t) => t.name)
    .sort();
  for (const [name, value] of Object.entries(asRecord(root.checks) ?? {})) {
    const check = asRecord(value);
    if (!check) continue;
    const type = check.type === undefined ? DEFAULT_CHECK_TYPE : check.type;
    if (typeof type !== 'string') continue;
    const path = check.type === undefined ? ['checks', name] : ['checks', name, 'type'];
    const stepType = types.get(type);
    if (!stepType) problems.push({ path, message: unknownTypeMessage(type, types) });
    else if (stepType.mutates) {
      problems.push({
        path,
        message: `check "${name}" uses "${type}", which changes things; a check may only read (${readOnly.join(', ')})`,
      });
    }
  }
  return problems;
}

interface Entry {
  id: string;
  index: number;
  then: { id: string; path: Path }[];
}

function rollbackRefs(root: Raw, steps: RawStep[], checks: string[], types: StepCatalogue): Problem[] {
  const problems: Problem[] = [];
  const byRef = new Map<string, RawStep>();
  for (const s of steps)
    if (s.rollbackIndex === undefined && s.id !== undefined && !byRef.has(`${s.scope}.${s.id}`)) byRef.set(`${s.scope}.${s.id}`, s);

  const entries = new Map<string, Entry>();
  const rollback = asArray(root.rollback);
  rollback.forEach((value, index) => {
    const entry = asRecord(value);
    const id = asId(entry?.id);
    if (!entry || id === undefined) return;
    const base = ['rollback', index];
    if (entries.has(id)) {
      problems.push({
        path: [...base, 'id'],
        message: `duplicate rollback id "${id}" (first used at ${formatPath(['rollback', entries.get(id)!.index])})`,
      });
      return;
    }
    const then = asArray(entry.then).flatMap((t, i) => (asId(t) === undefined ? [] : [{ id: asId(t)!, path: [...base, 'then', i] }]));
    entries.set(id, { id, index, then });

    asArray(entry.undo).forEach((ref, i) => {
      if (typeof ref !== 'string') return;
      const message = undoProblem(ref, byRef, types);
      if (message) problems.push({ path: [...base, 'undo', i], message });
    });
    const trigger = asRecord(entry.trigger);
    if (trigger && typeof trigger.check === 'string' && !checks.includes(trigger.check)) {
      problems.push({ path: [...base, 'trigger', 'check'], message: unknownCheck(trigger.check, checks) });
    }
    for (const key of ['activeAfter', 'activeUntil']) problems.push(...stepRefProblems(trigger?.[key], [...base, 'trigger', key], byRef));
    problems.push(...stepRefProblems(asRecord(entry.cost)?.since, [...base, 'cost', 'since'], byRef));
    if (asArray(entry.undo).length === 0 && asArray(entry.steps).length === 0 && asArray(entry.then).length === 0) {
      problems.push({ path: base, message: `rollback entry ${id} does nothing: give it "undo", "steps" or "then"` });
    }
  });

  for (const [name, value] of Object.entries(asRecord(root.checks) ?? {})) {
    for (const key of ['activeAfter', 'activeUntil'])
      problems.push(...stepRefProblems(asRecord(value)?.[key], ['checks', name, key], byRef));
  }

  const ids = [...entries.keys()];
  for (const entry of entries.values()) {
    for (const t of entry.then) {
      if (!entries.has(t.id))
        problems.push({ path: t.path, message: `unknown rollback "${t.id}"${didYouMean(t.id, ids)} (rollback ids: ${ids.join(', ')})` });
    }
  }
  return [...problems, ...thenCycles(entries)];
}

/** A step named by a window (activeAfter, activeUntil) or a cost (since): it must exist and be one step. */
function stepRefProblems(ref: unknown, path: Path, byRef: Map<string, RawStep>): Problem[] {
  if (typeof ref !== 'string' || !/^(pre|mid|post)\./.test(ref)) return [];
  const step = byRef.get(ref);
  if (!step) return [{ path, message: `unknown step "${ref}"${didYouMean(ref, byRef.keys())}` }];
  if (step.isGroup)
    return [
      { path, message: `"${ref}" is a group of sub-steps; name one of them (the window and the cost go by one step's applied time)` },
    ];
  return [];
}

function undoProblem(ref: string, byRef: Map<string, RawStep>, types: StepCatalogue): string | undefined {
  if (!/^(pre|mid|post)\./.test(ref)) return undefined; // the schema says how a ref is written
  const step = byRef.get(ref);
  if (!step) {
    const phase = ref.slice(0, ref.indexOf('.'));
    const ids = [...byRef.values()].filter((s) => s.scope === phase && !s.isGroup).map((s) => s.id);
    return `unknown step "${ref}"${didYouMean(ref, byRef.keys())} (${ids.length ? `steps in ${phase}: ${ids.join(', ')}` : `${phase} has no steps`})`;
  }
  if (step.isGroup) {
    const subs = [...byRef].filter(([, s]) => s !== step && isUnder(s.path, [step.path])).map(([r]) => r);
    return `"${ref}" is a group of sub-steps; name the ones to undo (${subs.join(', ')})`;
  }
  const type = step.type === undefined ? undefined : types.get(step.type);
  if (!type) return undefined; // reported where the type is written
  if (!type.mutates) return `"${ref}" is a ${type.name} step, which changes nothing, so there is nothing to undo`;
  if (!type.undo)
    return `"${ref}" is a ${type.name} step: ${type.name} steps cannot be undone; put what to do by hand in this entry's "steps"`;
  return undefined;
}

/** Each loop in the `then` chains, once, shown as "4 -> 3 -> 4" at the reference that closes it. */
function thenCycles(entries: Map<string, Entry>): Problem[] {
  const problems: Problem[] = [];
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  const visit = (id: string) => {
    state.set(id, 'active');
    stack.push(id);
    for (const t of entries.get(id)!.then) {
      if (!entries.has(t.id)) continue;
      if (state.get(t.id) === 'active') {
        const cycle = [...stack.slice(stack.indexOf(t.id)), t.id];
        problems.push({ path: t.path, message: `rollback entries chain in a loop: ${cycle.join(' -> ')}` });
      } else if (!state.has(t.id)) visit(t.id);
    }
    stack.pop();
    state.set(id, 'done');
  };
  for (const id of entries.keys()) if (!state.has(id)) visit(id);
  return problems;
}
