import { resolve } from 'node:path';
import { RunbookError } from '../errors.js';
import { approvalsOf } from '../plan/approvals.js';
import { readPlanFile } from '../plan/file.js';
import { staleError } from '../plan/collect.js';
import { openSession } from './context.js';
import type { GlobalOptions } from './options.js';
import { printJson } from './print.js';

/**
 * `migrate approve FILE`: a second person's STS identity, the plan's digest and a comment, in the
 * environment's audit trail, where `run --plan` and `status` read them. The plan file itself is
 * never changed, so its digest is what was approved.
 */
export async function approveCommand(file: string, opts: GlobalOptions & { comment?: string | undefined }): Promise<number> {
  const { plan, digest } = await readPlanFile(file);
  if (opts.env && opts.env !== plan.env.name)
    throw new RunbookError('USAGE', `${file} is a plan for env ${plan.env.name}, not ${opts.env}`);
  // Not a dry run (its audit lines are real events) and no lock: approving never touches AWS
  // beyond STS, and must work while someone else holds the environment's lock.
  const session = await openSession({ ...opts, env: plan.env.name }, { command: `approve ${plan.phase}`, dryRun: false, lock: false });
  try {
    const audit = session.audit;
    if (plan.runbook.digest !== session.runbook.digest) {
      throw staleError(
        file,
        'the runbook changed since it was planned',
        [`planned against sha256 ${plan.runbook.digest.slice(0, 16)}, now ${session.runbook.digest.slice(0, 16)}`],
        `migrate plan ${plan.phase} --env ${plan.env.name} --out ${file}`,
      );
    }
    const me = (await session.aws.ensureIdentity()).arn;
    const base = { step: `phase.${plan.phase}`, planDigest: digest, phase: plan.phase, file: resolve(file) };
    if (plan.author.identity && me === plan.author.identity) {
      await audit.append({ event: 'approve-refused', result: 'refused', detail: `self-approval by the plan's author ${me}`, ...base });
      throw new RunbookError('NOT_CONFIRMED', `you (${me}) planned ${file}: its author cannot approve it`, {
        hint: `A second person, signed in as another AWS identity, approves it with: migrate approve ${file}`,
      });
    }
    if (approvalsOf(await session.backend.readAudit(), digest).some((a) => a.identity === me)) {
      process.stderr.write(`you (${me}) approved this plan already; recording the comment again\n`);
    }
    await audit.append({ event: 'approved', result: 'approved', comment: opts.comment ?? '', ...base });
    if (opts.json)
      printJson({ file: resolve(file), digest, env: plan.env.name, phase: plan.phase, approvedBy: me, comment: opts.comment ?? '' });
    else
      process.stdout.write(
        `approved ${file} (plan ${plan.phase} for env ${plan.env.name}, digest ${digest.slice(0, 16)}) as ${me}${opts.comment ? `: "${opts.comment}"` : ''}\n`,
      );
    return 0;
  } finally {
    await session.close();
  }
}
