import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ensurePrivateDir, writeFileAtomic } from '../state/fs-safe.js';

/**
 * What `migrate rehearse` leaves for later plans: how long each step took on the sandbox and how
 * much of that was the clock's waits (TTL, wait steps), and which runbook bytes were rehearsed.
 * Kept in `<state dir>/rehearsal.<runbook name>.json`, beside the environments' folders, so an
 * operator's `plan` of preprod or prod on the same machine finds it.
 */
export interface RehearsalEvidence {
  version: 1;
  runbook: string;
  runbookDigest: string;
  at: string;
  ok: boolean;
  timeScale: number;
  steps: Record<string, { measuredMs: number; waitedMs: number; expectedMs: number }>;
}

export function evidenceFile(stateRoot: string, runbookName: string): string {
  return join(stateRoot, `rehearsal.${runbookName.replace(/[^A-Za-z0-9_.-]/g, '_')}.json`);
}

/**
 * Real duration of a step from a rehearsal at time scale `scale`: the measured time with the
 * scaled waits taken out, plus those waits at their real (plan-time) length.
 */
export function expectedMs(measuredMs: number, waitedMs: number, scale: number): number {
  return Math.round(Math.max(0, measuredMs - waitedMs / scale) + waitedMs);
}

export async function readEvidence(stateRoot: string, runbookName: string): Promise<RehearsalEvidence | null> {
  try {
    const doc = JSON.parse(await readFile(evidenceFile(stateRoot, runbookName), 'utf8')) as RehearsalEvidence;
    return doc && doc.version === 1 && typeof doc.steps === 'object' ? doc : null;
  } catch {
    return null;
  }
}

export async function writeEvidence(stateRoot: string, evidence: RehearsalEvidence): Promise<string> {
  await ensurePrivateDir(stateRoot);
  const file = evidenceFile(stateRoot, evidence.runbook);
  await writeFileAtomic(file, `${JSON.stringify(evidence, null, 2)}\n`);
  return file;
}
