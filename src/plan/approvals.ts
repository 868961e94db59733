import type { AuditEvent } from '../state/audit.js';
import type { PlanFile } from './file.js';

export interface GivenApproval {
  time: string;
  user: string;
  identity: string;
  comment: string;
}

/** Approvals of one plan, read from the environment's audit trail (where `migrate approve` records them). */
export function approvalsOf(audit: AuditEvent[], planDigest: string): GivenApproval[] {
  return audit
    .filter((e) => e.event === 'approved' && (e as unknown as Record<string, unknown>).planDigest === planDigest && e.identity)
    .map((e) => ({
      time: e.time,
      user: e.user,
      identity: e.identity!,
      comment: String((e as unknown as Record<string, unknown>).comment ?? ''),
    }));
}

/**
 * The approvals that count for a run by `runner`: one per identity, never the plan's author's,
 * never the runner's own (a second person means a second identity).
 */
export function countApprovals(
  given: GivenApproval[],
  plan: Pick<PlanFile, 'author'>,
  runner: string | null,
): { counted: GivenApproval[]; ignored: { approval: GivenApproval; why: string }[] } {
  const counted: GivenApproval[] = [];
  const ignored: { approval: GivenApproval; why: string }[] = [];
  for (const a of given) {
    if (plan.author.identity && a.identity === plan.author.identity) ignored.push({ approval: a, why: "the plan's author" });
    else if (runner && a.identity === runner) ignored.push({ approval: a, why: 'the runner' });
    else if (counted.some((c) => c.identity === a.identity)) ignored.push({ approval: a, why: 'already counted' });
    else counted.push(a);
  }
  return { counted, ignored };
}

export interface PlanStatus {
  digest: string;
  phase: string;
  file: string;
  by: string;
  at: string;
  required: number;
  approvals: GivenApproval[];
  /** pending: fewer approvals than required; approved: enough; applied: a run --plan used it. */
  state: 'pending' | 'approved' | 'applied';
}

/** The saved plans of an environment and their approvals, newest first, from its audit trail. */
export function planStatuses(audit: AuditEvent[], required: number, limit = 5): PlanStatus[] {
  const loose = (e: AuditEvent) => e as unknown as Record<string, unknown>;
  const saved = audit.filter((e) => e.event === 'plan-saved' && typeof loose(e).planDigest === 'string');
  const applied = new Set(audit.filter((e) => e.event === 'run-plan').map((e) => loose(e).planDigest));
  return saved
    .slice(-limit)
    .reverse()
    .map((e) => {
      const digest = loose(e).planDigest as string;
      const approvals = approvalsOf(audit, digest).filter((a) => a.identity !== e.identity);
      const distinct = new Set(approvals.map((a) => a.identity)).size;
      return {
        digest,
        phase: String(loose(e).phase ?? ''),
        file: String(loose(e).file ?? ''),
        by: e.identity ?? e.user,
        at: e.time,
        required,
        approvals,
        state: applied.has(digest) ? 'applied' : distinct >= required ? 'approved' : 'pending',
      };
    });
}
