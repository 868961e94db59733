import type { AuditEvent } from '../state/audit.js';
import type { StateFile } from '../state/types.js';
import type { StepDef } from '../runbook/types.js';
import { diffLines } from '../engine/diff.js';

/** The change record of one environment: what a change board reads after the cutover. */
export interface ChangeRecord {
  runbook: { name: string; file: string; digest: string };
  env: { name: string; account: string; region: string };
  generatedAt: string;
  /** First and last audit event. */
  from: string | null;
  to: string | null;
  plans: PlanSaved[];
  approvals: Approval[];
  /** Refusals and warnings around saved plans: no approved plan, self-approval, stale plan, deviation. */
  planChecks: Alert[];
  runs: RunRecord[];
  manual: ManualConfirmation[];
  skips: Skip[];
  rollbacks: RollbackRecordView[];
  alerts: Alert[];
  users: UsersEvent[];
  /** Every step of the runbook with its last recorded status and change. */
  steps: StepState[];
}

export interface PlanSaved {
  time: string;
  by: string;
  phase: string;
  digest: string;
  file: string;
  steps: string[];
}

export interface Approval {
  time: string;
  by: string;
  planDigest: string;
  phase: string;
  comment: string;
}

export interface GateResult {
  name: string;
  ok: boolean | null;
}

export interface StepRun {
  ref: string;
  title: string;
  /** Undo of a checkpoint (in a rollback) rather than an apply. */
  undo: boolean;
  /** The rollback entry this undo or step belongs to ("4"), in a rollback. */
  entry?: string | undefined;
  start: string;
  end: string;
  durationMs: number;
  result: string;
  by: string;
  change?: string | undefined;
  detail?: string | undefined;
  gates: GateResult[];
}

export interface RunRecord {
  kind: 'run' | 'rollback';
  /** "run mid", "rollback 4 -> 3". */
  label: string;
  command: string;
  start: string;
  end: string | null;
  by: string;
  result: string;
  detail?: string | undefined;
  /** Rollback entries in the order they completed ("4", "3"). */
  entries: string[];
  steps: StepRun[];
}

export interface ManualConfirmation {
  ref: string;
  title: string;
  by: string;
  at: string;
}

export interface Skip {
  ref: string;
  time: string;
  by: string;
  undo: boolean;
}

export interface RollbackRecordView {
  label: string;
  start: string;
  by: string;
  result: string;
  restored: { ref: string; title: string; result: string; restored: string[] }[];
}

export interface Alert {
  time: string;
  event: string;
  subject: string;
  result: string;
  detail: string;
}

export interface UsersEvent {
  time: string;
  by: string;
  command: string;
  summary: string;
}

export interface StepState {
  ref: string;
  title: string;
  type: string;
  status: string;
  at: string | null;
  by: string | null;
  change: string[];
}

export interface RecordInput {
  runbook: { name: string; file: string; digest: string; phases: Record<string, StepDef[]>; rollback: { id: string; title: string }[] };
  env: { name: string; account: string; region: string };
  state: StateFile;
  audit: AuditEvent[];
  now?: Date;
}

type Loose = AuditEvent & Record<string, unknown>;

export function who(e: AuditEvent): string {
  return e.identity ? `${e.user} (${e.identity})` : e.user;
}

function stepIndex(input: RecordInput): Map<string, StepDef> {
  const map = new Map<string, StepDef>();
  for (const steps of Object.values(input.runbook.phases)) for (const s of steps) map.set(s.ref, s);
  for (const entry of input.runbook.rollback as { id: string; steps?: StepDef[] }[]) for (const s of entry.steps ?? []) map.set(s.ref, s);
  return map;
}

function gatesOf(def: StepDef | undefined, result: string, detail: string | undefined): GateResult[] {
  const names = def?.verify ?? [];
  if (names.length === 0) return [];
  if (result === 'applied' || result === 'already-applied') return names.map((name) => ({ name, ok: true }));
  const failed = detail?.match(/gate "([^"]+)" failed/)?.[1];
  if (!failed) return names.map((name) => ({ name, ok: null }));
  const at = names.indexOf(failed);
  return names.map((name, i) => ({ name, ok: i < at ? true : i === at ? false : null }));
}

function runLabel(e: AuditEvent): string {
  if (e.event === 'rollback-start') return (e.detail ?? e.command).replace(/ -> /g, ' → ');
  return e.command.replace(/ --yes\b/, '');
}

/** Pure: the record from the state file and the audit trail of one environment. */
export function buildRecord(input: RecordInput): ChangeRecord {
  const defs = stepIndex(input);
  const phaseRefs = new Set(Object.values(input.runbook.phases).flatMap((steps) => steps.map((s) => s.ref)));
  const title = (ref: string) => defs.get(ref)?.title ?? ref;
  const record: ChangeRecord = {
    runbook: { name: input.runbook.name, file: input.runbook.file, digest: input.runbook.digest },
    env: input.env,
    generatedAt: (input.now ?? new Date()).toISOString(),
    from: input.audit[0]?.time ?? null,
    to: input.audit[input.audit.length - 1]?.time ?? null,
    plans: [],
    approvals: [],
    planChecks: [],
    runs: [],
    manual: [],
    skips: [],
    rollbacks: [],
    alerts: [],
    users: [],
    steps: [],
  };
  const open = new Map<string, RunRecord>();
  const keyOf = (e: AuditEvent) => `${e.user}\u0000${e.command}`;
  const applyStart = new Map<string, { time: string; change?: string | undefined }>();

  for (const raw of input.audit) {
    const e = raw as Loose;
    if (e.dryRun && e.event !== 'plan-saved') continue;
    switch (e.event) {
      case 'run-start':
      case 'rollback-start': {
        const run: RunRecord = {
          kind: e.event === 'run-start' ? 'run' : 'rollback',
          label: runLabel(e),
          command: e.command,
          start: e.time,
          end: null,
          by: who(e),
          result: 'running',
          entries: [],
          steps: [],
        };
        open.set(keyOf(e), run);
        record.runs.push(run);
        continue;
      }
      case 'run-end':
      case 'rollback-end': {
        const run = open.get(keyOf(e));
        if (run) {
          run.end = e.time;
          run.result = e.result ?? 'ok';
          run.detail = e.detail;
          open.delete(keyOf(e));
        }
        continue;
      }
      case 'plan-saved':
        record.plans.push({
          time: e.time,
          by: who(e),
          phase: String(e.phase ?? ''),
          digest: String(e.planDigest ?? ''),
          file: String(e.file ?? ''),
          steps: Array.isArray(e.steps) ? (e.steps as string[]) : [],
        });
        continue;
      case 'approved':
        record.approvals.push({
          time: e.time,
          by: who(e),
          planDigest: String(e.planDigest ?? ''),
          phase: String(e.phase ?? ''),
          comment: String(e.comment ?? ''),
        });
        continue;
      case 'run-refused':
      case 'approve-refused':
      case 'plan-stale':
      case 'plan-deviation':
      case 'run-plan':
        record.planChecks.push({
          time: e.time,
          event: e.event,
          subject: e.step ?? '',
          result: e.result ?? '',
          detail: `${e.detail ?? ''}${e.planDigest ? ` (plan ${String(e.planDigest).slice(0, 12)})` : ''} · ${who(e)}`,
        });
        continue;
      case 'check-changed':
      case 'trigger-due':
      case 'trigger-fired':
        record.alerts.push({ time: e.time, event: e.event, subject: e.step ?? '', result: e.result ?? '', detail: e.detail ?? '' });
        continue;
      case 'users.sync':
        record.users.push({
          time: e.time,
          by: who(e),
          command: e.command,
          summary: `created ${num(e.created)}, already there ${num(e.existed)}, disabled ${num(e.disabled)}, added to groups ${num(e.grouped)}, failed ${num(e.failed)}${e.interrupted ? ' (interrupted)' : ''}`,
        });
        continue;
      case 'users.create':
      case 'users.disable':
      case 'users.addToGroup':
        // Per-user lines are in the audit log; the record keeps the counts of each sync.
        continue;
    }
    const run = open.get(keyOf(e));
    if (e.event === 'apply-start' && e.step) applyStart.set(e.step, { time: e.time, change: e.detail });
    if ((e.event === 'skipped' || e.event === 'undo-skipped') && e.step)
      record.skips.push({ ref: e.step, time: e.time, by: who(e), undo: e.event === 'undo-skipped' });
    if (!run) continue;
    if (e.event === 'rollback-entry' && e.step) {
      const id = e.step.replace(/^rollback\./, '');
      run.entries.push(id);
      for (const s of run.steps) if (s.entry === undefined) s.entry = id;
      continue;
    }
    if (e.event === 'step-end' && e.step) {
      const durationMs = typeof e.durationMs === 'number' ? e.durationMs : 0;
      // In a rollback, a phase's step is undone; the entry's own steps (the fix-deadline note) run.
      const undo = run.kind === 'rollback' && phaseRefs.has(e.step);
      const started = applyStart.get(e.step);
      run.steps.push({
        ref: e.step,
        title: title(e.step),
        undo,
        start: new Date(Date.parse(e.time) - durationMs).toISOString(),
        end: e.time,
        durationMs,
        result: e.result ?? '',
        by: who(e),
        change: started?.change,
        detail: e.detail,
        gates: undo ? [] : gatesOf(defs.get(e.step), e.result ?? '', e.detail),
      });
      applyStart.delete(e.step);
    }
  }

  for (const run of record.runs.filter((r) => r.kind === 'rollback')) {
    record.rollbacks.push({
      label: run.label,
      start: run.start,
      by: run.by,
      result: run.result,
      restored: run.steps
        .filter((s) => s.undo)
        .map((s) => {
          const cp = input.state.steps[s.ref];
          return {
            ref: s.ref,
            title: s.title,
            result: s.result,
            restored: cp && cp.before !== undefined ? diffLines(cp.after, cp.before).slice(0, 6) : [],
          };
        }),
    });
  }

  for (const [phase, steps] of Object.entries(input.runbook.phases)) {
    void phase;
    for (const def of steps) {
      const cp = input.state.steps[def.ref];
      if (def.type === 'manual' && cp?.status === 'applied') {
        const after = (cp.after ?? {}) as { by?: string; at?: string };
        record.manual.push({ ref: def.ref, title: def.title, by: after.by ?? cp.by ?? 'unknown', at: after.at ?? cp.at });
      }
      const change =
        cp && cp.before !== undefined && cp.after !== undefined && def.type !== 'manual'
          ? diffLines(cp.before, cp.after)
              .filter((l) => !/^(deploymentId|at|by):/.test(l))
              .slice(0, 6)
          : [];
      record.steps.push({
        ref: def.ref,
        title: def.title,
        type: def.type,
        status: cp?.status ?? 'pending',
        at: cp?.at ?? null,
        by: cp?.by ?? null,
        change,
      });
    }
  }
  return record;
}

function num(value: unknown): string {
  return typeof value === 'number' ? String(value) : '0';
}
