import { RunbookError } from '../errors.js';
import { didYouMean } from './suggest.js';
import type { Runbook } from './types.js';

const ENV_HINT = 'Pass --env NAME or set MIGRATE_ENV.';

/** `--env`, else MIGRATE_ENV, else the only environment there is. */
export function pickEnvironment(
  runbook: Pick<Runbook, 'file' | 'environments'>,
  envName: string | undefined,
  processEnv: NodeJS.ProcessEnv,
): string {
  const names = Object.keys(runbook.environments);
  const fromVar = envName === undefined && processEnv.MIGRATE_ENV ? processEnv.MIGRATE_ENV : undefined;
  const wanted = envName ?? fromVar;
  if (wanted === undefined) {
    if (names.length === 1) return names[0]!;
    throw new RunbookError('USAGE', `${runbook.file} defines ${names.length} environments (${names.join(', ')}); say which one`, {
      hint: ENV_HINT,
    });
  }
  if (Object.hasOwn(runbook.environments, wanted)) return wanted;
  const source = fromVar === undefined ? '' : ' (from MIGRATE_ENV)';
  throw new RunbookError(
    'USAGE',
    `unknown environment "${wanted}"${source}${didYouMean(wanted, names)} (${runbook.file} defines: ${names.join(', ')})`,
    {
      hint: ENV_HINT,
    },
  );
}
