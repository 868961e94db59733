import { canonicalJson, sha256 } from '../util/json.js';
import { parseDuration } from '../util/duration.js';
import { FAILURES, PHASES } from './constants.js';
import type { Locator, Path } from './locate.js';
import type { PhaseName, RunbookDocument } from './schema.js';
import type { CheckDef, RollbackDef, Runbook, StepDef, TriggerDef } from './types.js';

/** A step node as the schema outputs it (the schema types it loosely because it is recursive). */
interface StepNode {
  id: string;
  title: string;
  description?: string | undefined;
  type?: string | undefined;
  with?: Record<string, unknown> | undefined;
  steps?: StepNode[] | undefined;
  timeout?: string | undefined;
  verify?: string[] | undefined;
}

/**
 * What the step does, not how it is described: an edited title or description is not a changed
 * step, but a changed type, parameter, timeout or verification is.
 */
function stepDigest(node: StepNode): string {
  return sha256(canonicalJson({ type: node.type, with: node.with ?? {}, timeout: node.timeout, verify: node.verify ?? [] }));
}

function flatten(
  nodes: StepNode[],
  base: Path,
  phase: PhaseName | 'rollback',
  refPrefix: string,
  locator: Locator,
  group?: string,
  groupId?: string,
): StepDef[] {
  return nodes.flatMap((node, i) => {
    const path = [...base, i];
    if (node.steps) {
      const title = group === undefined ? node.title : `${group} / ${node.title}`;
      return flatten(node.steps, [...path, 'steps'], phase, refPrefix, locator, title, groupId ?? node.id);
    }
    const step: StepDef = {
      ref: `${refPrefix}${node.id}`,
      phase,
      id: node.id,
      title: node.title,
      group,
      groupId,
      type: node.type ?? '',
      with: node.with ?? {},
      timeoutMs: node.timeout === undefined ? undefined : parseDuration(node.timeout),
      verify: node.verify ?? [],
      digest: stepDigest(node),
      loc: locator.location(path),
    };
    return [step];
  });
}

function triggerDef(t: NonNullable<RunbookDocument['rollback'][number]['trigger']>): TriggerDef {
  const out: TriggerDef = {
    check: t.check,
    failingForMs: t.failingFor === undefined ? 0 : parseDuration(t.failingFor),
    errorLimit: t.errorLimit,
    missingData: t.missingData,
  };
  const m = t.failures === undefined ? null : FAILURES.exec(t.failures);
  if (m)
    out.failures = /^\d+$/.test(m[2]!)
      ? { count: Number(m[1]), of: Number(m[2]) }
      : { count: Number(m[1]), withinMs: parseDuration(m[2]!) };
  if (t.activeAfter) out.activeAfter = t.activeAfter;
  if (t.activeUntil) out.activeUntil = t.activeUntil;
  return out;
}

export function buildRunbook(doc: RunbookDocument, file: string, digest: string, locator: Locator): Runbook {
  const phases = Object.fromEntries(
    PHASES.map((phase) => [phase, flatten(doc.phases[phase] as StepNode[], ['phases', phase], phase, `${phase}.`, locator)]),
  ) as Record<PhaseName, StepDef[]>;

  const rollback: RollbackDef[] = doc.rollback.map((entry, i) => ({
    id: entry.id,
    title: entry.title,
    when: entry.when,
    undo: entry.undo,
    steps: flatten((entry.steps ?? []) as StepNode[], ['rollback', i, 'steps'], 'rollback', `rollback.${entry.id}.`, locator),
    then: entry.then,
    trigger: entry.trigger && triggerDef(entry.trigger),
    cost: entry.cost,
    maxCost: entry.maxCost,
    loc: locator.location(['rollback', i]),
  }));

  const checks: Record<string, CheckDef> = {};
  for (const [name, check] of Object.entries(doc.checks)) {
    checks[name] = {
      name,
      type: check.type,
      with: check.with,
      intervalMs: parseDuration(check.interval),
      description: check.description,
      warmupMs: check.warmup === undefined ? undefined : parseDuration(check.warmup),
      activeAfter: check.activeAfter,
      activeUntil: check.activeUntil,
    };
  }

  return { file, digest, name: doc.name, doc, environments: doc.environments, phases, rollback, checks, users: doc.users };
}
