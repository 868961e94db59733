import { DEFAULT_CHECK_TYPE, PHASES } from './constants.js';
import type { Path } from './locate.js';

/**
 * A read of the document as parsed from YAML, before (or despite) the schema: semantic checks run
 * on it even when the schema found problems elsewhere, so one `validate` reports everything.
 */
export type Raw = Record<string, unknown>;

export { DEFAULT_CHECK_TYPE };

export function asRecord(v: unknown): Raw | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Raw) : undefined;
}

export function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function asId(v: unknown): string | undefined {
  return typeof v === 'string' || typeof v === 'number' ? String(v) : undefined;
}

export interface RawStep {
  node: Raw;
  path: Path;
  id: string | undefined;
  type: string | undefined;
  isGroup: boolean;
  /** "pre", "mid", "post", or "rollback.<id>": where ids must be unique and refs point. */
  scope: string;
  /** Index of the rollback entry for steps inside one. */
  rollbackIndex?: number;
}

function walkSteps(list: unknown, base: Path, scope: string, out: RawStep[], rollbackIndex?: number): void {
  asArray(list).forEach((item, i) => {
    const node = asRecord(item);
    if (!node) return;
    const path = [...base, i];
    const type = typeof node.type === 'string' ? node.type : undefined;
    out.push({
      node,
      path,
      id: asId(node.id),
      type,
      isGroup: node.steps !== undefined,
      scope,
      ...(rollbackIndex === undefined ? {} : { rollbackIndex }),
    });
    if (node.steps !== undefined) walkSteps(node.steps, [...path, 'steps'], scope, out, rollbackIndex);
  });
}

/** Every step node of the document, groups and sub-steps included, in document order. */
export function rawSteps(root: Raw): RawStep[] {
  const out: RawStep[] = [];
  const phases = asRecord(root.phases);
  for (const phase of PHASES) if (phases) walkSteps(phases[phase], ['phases', phase], phase, out);
  asArray(root.rollback).forEach((entry, i) => {
    const e = asRecord(entry);
    if (e) walkSteps(e.steps, ['rollback', i, 'steps'], `rollback.${asId(e.id) ?? i}`, out, i);
  });
  return out;
}
