import type { GlobalOptions } from './options.js';

/** One shell word: left bare when it is safe, single-quoted otherwise. */
export function shellWord(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * The options a printed command must carry to act on the same runbook, state and environment as
 * the command that printed it: the ones given on the command line, as given (the environment
 * variables that stood in for them still do), and --env whenever the runbook has several.
 */
export function globalFlags(opts: GlobalOptions, env: string, envCount: number): string {
  const parts: string[] = [];
  if (opts.runbook) parts.push('--runbook', shellWord(opts.runbook));
  if (opts.stateDir) parts.push('--state-dir', shellWord(opts.stateDir));
  if (opts.env || process.env.MIGRATE_ENV || envCount > 1) parts.push('--env', shellWord(env));
  return parts.length ? ` ${parts.join(' ')}` : '';
}

/** `migrate run <phase>` resuming at a step: --only as given, else --from that step. */
export function runResume(
  phase: string,
  flags: string,
  selection: { only?: string | undefined },
  stepId: string,
  reapply?: string,
): string {
  const where = selection.only ? `--only ${shellWord(selection.only)}` : `--from ${shellWord(stepId)}`;
  return `migrate run ${phase}${flags} ${where}${reapply ? ` --reapply ${shellWord(reapply)}` : ''}`;
}
