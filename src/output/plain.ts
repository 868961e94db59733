import type { EngineEvent } from '../engine/events.js';
import { formatDuration } from '../util/duration.js';
import { c } from './style.js';

const MARK: Record<string, string> = {
  applied: '✔',
  'already-applied': '✔',
  noop: '=',
  skipped: '↷',
  interrupted: '■',
  failed: '✘',
  'would-change': '~',
  'would-fail': '✘',
  'rolled-back': '↺',
  'already-undone': '↺',
  'nothing-to-undo': '·',
};

export const LABEL: Record<string, string> = {
  'already-applied': 'already applied',
  'would-change': 'would change',
  'would-fail': 'would fail',
  'rolled-back': 'rolled back',
  'already-undone': 'already undone',
  'nothing-to-undo': 'nothing to undo',
  noop: 'no change needed',
};

/** Where a planned step's before-state comes from, in a word: live, or what an earlier step leaves. */
export function sourceWord(event: { source?: string | undefined; by?: string | undefined }): string {
  if (event.source === 'predicted') return `  (after ${event.by ?? 'an earlier step'})`;
  if (event.source === 'recorded') return `  (as recorded by ${event.by ?? 'a checkpoint'})`;
  if (event.source === 'live') return '  (live)';
  return '';
}

/** Plain lines for CI, pipes and logs: one line per event, no cursor movement. */
export function plainRenderer(write: (line: string) => void, options: { verbose?: boolean } = {}): (event: EngineEvent) => void {
  let lastProgress = '';
  return (event) => {
    const k = c();
    switch (event.kind) {
      case 'run-start':
        write(
          k.bold(
            `${event.command} · env ${event.env} · ${event.refs.length} step${event.refs.length === 1 ? '' : 's'}${event.dryRun ? ' · DRY RUN (read-only)' : ''}${event.timeScale !== 1 ? ` · time scale ${event.timeScale}` : ''}`,
          ),
        );
        if (event.caller) write(k.dim(`  ${event.caller}`));
        break;
      case 'step-start':
        write(`${k.cyan('▸')} ${event.ref}  ${event.title}${k.dim(`  [${event.type}]`)}`);
        break;
      case 'step-progress':
        if (event.message !== lastProgress) write(k.dim(`    … ${event.message}`));
        lastProgress = event.message;
        break;
      case 'step-warning':
        write(k.yellow(`    ! ${event.message}`));
        break;
      case 'step-planned':
        write(`    ${event.summary}${k.dim(sourceWord(event))}`);
        for (const line of event.diff) write(k.dim(`      ${line}`));
        break;
      case 'drift':
        write(k.red(`    drift in ${event.ref}:`));
        for (const line of event.lines) write(`      ${line}`);
        break;
      case 'step-end': {
        const mark = MARK[event.status] ?? '•';
        const colour =
          event.status === 'failed' || event.status === 'would-fail'
            ? k.red
            : event.status === 'skipped' || event.status === 'interrupted'
              ? k.yellow
              : k.green;
        const label = LABEL[event.status] ?? event.status;
        write(
          `  ${colour(`${mark} ${event.ref} ${label}`)}${k.dim(` (${formatDuration(event.durationMs)})`)}${event.message && (options.verbose || event.status === 'failed' || event.status === 'would-fail' || event.status === 'nothing-to-undo' || event.status === 'skipped' || event.status === 'interrupted' || event.status === 'already-applied') ? `: ${event.message}` : ''}`,
        );
        if (event.hint && (event.status === 'failed' || event.status === 'would-fail')) write(k.dim(`    hint: ${event.hint}`));
        break;
      }
      case 'run-end': {
        const s = event.summary;
        const parts = [
          s.applied.length - (s.alreadyApplied?.length ?? 0) && `${s.applied.length - (s.alreadyApplied?.length ?? 0)} applied`,
          s.alreadyApplied?.length && `${s.alreadyApplied.length} already applied`,
          s.rolledBack.length && `${s.rolledBack.length} rolled back`,
          s.noop.length && `${s.noop.length} unchanged`,
          s.wouldChange.length && `${s.wouldChange.length} would change`,
          s.skipped.length && `${s.skipped.length} skipped`,
          s.failed.length && `${s.failed.length} failed`,
        ].filter(Boolean);
        write(
          (event.ok ? k.green : k.red)(
            `${event.ok ? 'done' : s.aborted ? 'stopped' : 'FAILED'}: ${parts.join(', ') || (s.aborted ? 'nothing changed' : 'nothing to do')}`,
          ),
        );
        if (!event.ok && s.resume) write(`to resume: ${k.bold(s.resume)}`);
        break;
      }
    }
  };
}
