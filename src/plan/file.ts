import { readFile, writeFile } from 'node:fs/promises';
import { RunbookError } from '../errors.js';
import { diffLines } from '../engine/diff.js';
import { canonicalJson, sha256 } from '../util/json.js';
import { redact, type Fingerprint } from './fingerprint.js';

export const PLAN_FORMAT = 'migrate-plan/1';

/** One step as planned: what it will do, predicted from the live state it read (its fingerprint). */
export interface PlannedStep {
  ref: string;
  id: string;
  title: string;
  type: string;
  mutates: boolean;
  outcome: 'noop' | 'change' | 'would-fail';
  summary: string;
  before?: unknown;
  after?: unknown;
  diff: string[];
  /** Mutating steps only: the live state the prediction was made from, checked again by run --plan. */
  fingerprint?: Fingerprint | undefined;
  /** Where the before-state came from: live, an earlier step's prediction (`by`), a checkpoint (`by`). */
  source?: 'live' | 'predicted' | 'recorded' | undefined;
  by?: string | undefined;
  error?: string | undefined;
  /** Expected real duration, from the last rehearsal (waits at their real length). */
  expectedMs?: number | undefined;
}

export interface RehearsalSummary {
  at: string;
  ok: boolean;
  runbookDigest: string;
  timeScale: number;
  /** The runbook rehearsed is byte for byte the one planned. */
  current: boolean;
}

export interface PlanFile {
  format: typeof PLAN_FORMAT;
  runbook: { name: string; file: string; digest: string };
  env: { name: string; account: string; region: string };
  phase: string;
  steps: PlannedStep[];
  /** Who planned it: the OS user and the STS caller ARN (the identity approvals are compared with). */
  author: { user: string; identity: string | null };
  createdAt: string;
  rehearsal: RehearsalSummary | null;
  timing: { totalMs: number; unknown: string[] } | null;
}

/** What the planner produced for one step, before it is written down. */
export interface PlannedInput {
  ref: string;
  id: string;
  title: string;
  type: string;
  mutates: boolean;
  /** The step's read of live state (or, with the whole-phase simulation, the predicted current). */
  current?: unknown;
  change?: { noop: true; summary?: string | undefined } | { noop: false; before: unknown; after: unknown; summary: string };
  error?: string;
  fingerprint?: Fingerprint | undefined;
  source?: 'live' | 'predicted' | 'recorded' | undefined;
  by?: string | undefined;
}

export function plannedStep(input: PlannedInput): PlannedStep {
  const base = {
    ref: input.ref,
    id: input.id,
    title: input.title,
    type: input.type,
    mutates: input.mutates,
    fingerprint: input.fingerprint,
    ...(input.source ? { source: input.source } : {}),
    ...(input.by ? { by: input.by } : {}),
  };
  if (input.error !== undefined || !input.change)
    return { ...base, outcome: 'would-fail', summary: input.error ?? 'could not be planned', diff: [], error: input.error };
  if (input.change.noop) return { ...base, outcome: 'noop', summary: input.change.summary ?? 'no change needed', diff: [] };
  const before = redact(input.change.before);
  const after = redact(input.change.after);
  return { ...base, outcome: 'change', summary: input.change.summary, before, after, diff: input.mutates ? diffLines(before, after) : [] };
}

/** The digest approvals name: of the whole plan file as written, so any edit of it is a new plan. */
export function planDigest(plan: PlanFile): string {
  return sha256(canonicalJson(plan));
}

export async function writePlanFile(file: string, plan: PlanFile): Promise<string> {
  await writeFile(file, `${JSON.stringify(plan, null, 2)}\n`, { mode: 0o644 });
  return planDigest(plan);
}

export async function readPlanFile(file: string): Promise<{ plan: PlanFile; digest: string }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new RunbookError(
      'USAGE',
      `cannot read the plan file ${file} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      { hint: 'Save a plan with: migrate plan <phase> --env <env> --out <file>' },
    );
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new RunbookError('USAGE', `${file} is not a plan file (not JSON)`, {
      hint: 'Save a plan with: migrate plan <phase> --env <env> --out <file>',
    });
  }
  const plan = doc as PlanFile;
  if (!plan || typeof plan !== 'object' || plan.format !== PLAN_FORMAT || !Array.isArray(plan.steps) || !plan.runbook || !plan.env) {
    throw new RunbookError('USAGE', `${file} is not a migrate plan file (format ${PLAN_FORMAT})`, {
      hint: 'Save a plan with: migrate plan <phase> --env <env> --out <file>',
    });
  }
  return { plan, digest: planDigest(plan) };
}

export interface BuildPlanInput {
  runbook: { name: string; file: string; digest: string };
  env: { name: string; account: string; region: string };
  phase: string;
  planned: PlannedInput[];
  author: { user: string; identity: string | null };
  evidence: { at: string; ok: boolean; runbookDigest: string; timeScale: number; steps: Record<string, { expectedMs: number }> } | null;
  now?: Date;
}

/** The plan file from the planner's output: nothing in it but what was planned, and from where. */
export function buildPlanFile(input: BuildPlanInput): PlanFile {
  const steps = input.planned.map((p) => {
    const step = plannedStep(p);
    const ms = input.evidence?.steps[p.ref]?.expectedMs;
    return ms === undefined ? step : { ...step, expectedMs: ms };
  });
  const ev = input.evidence;
  return {
    format: PLAN_FORMAT,
    runbook: input.runbook,
    env: input.env,
    phase: input.phase,
    steps,
    author: input.author,
    createdAt: (input.now ?? new Date()).toISOString(),
    rehearsal: ev
      ? {
          at: ev.at,
          ok: ev.ok,
          runbookDigest: ev.runbookDigest,
          timeScale: ev.timeScale,
          current: ev.runbookDigest === input.runbook.digest,
        }
      : null,
    timing: ev
      ? {
          totalMs: steps.reduce((sum, s) => sum + (s.expectedMs ?? 0), 0),
          unknown: steps.filter((s) => s.expectedMs === undefined).map((s) => s.ref),
        }
      : null,
  };
}
