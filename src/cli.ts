import { Command, Option } from 'commander';
import type { GlobalOptions } from './commands/options.js';

// biome-ignore lint/suspicious/noExplicitAny: commander passes each action its own argument list.
type Action = (...args: any[]) => Promise<number>;

/** argv -> typed options -> a lazily imported command. Nothing here loads the engine or AWS. */
export function buildProgram(setExit: (code: number) => void): Command {
  const program = new Command('migrate')
    .description('Turn a migration plan into a runbook you can rehearse, run, resume and roll back.')
    .version('0.1.0', '-V, --version')
    .option('--runbook <file>', 'the runbook (default: runbooks/cognito-migration.yaml, or MIGRATE_RUNBOOK)')
    .option('--env <name>', 'the environment to act on (required when the runbook has several; default MIGRATE_ENV)')
    .option('--state-dir <dir>', 'where checkpoints, lock and audit live (default: .migrate/ beside the runbook, or MIGRATE_STATE_DIR)')
    .option(
      '--state <url>',
      'keep state, lock and audit in S3, shared by the team: s3://BUCKET/PREFIX (or MIGRATE_STATE, or state: in the runbook environment; "local" for the folder)',
    )
    .option('--profile <name>', "AWS config profile (SSO, role, MFA as in the AWS CLI); overrides the environment's profile:")
    .option('--json', 'print one JSON document on stdout and nothing else there')
    .option('--no-color', 'no colours (NO_COLOR works too)')
    .option('--debug', 'show stack traces for unexpected errors')
    .showHelpAfterError('(run "migrate --help" for usage)')
    .showSuggestionAfterError(true);

  program.addHelpText(
    'after',
    `
The plan, step by step:
  migrate validate                       check the runbook (no AWS calls)
  migrate plan pre --env prod            read live state and show what each step would change
  migrate run mid --env prod             apply, asking Apply / Skip / Abort before every change
  migrate run mid --env prod --from 4    resume at step 4 after a failure
  migrate status --env prod              every step's status, and who holds the lock
  migrate rollback 3 --env prod          undo mid.3 from its checkpoint (DNS back to the old origin)
  migrate rehearse                       the whole plan against the built-in sandbox

Exit codes: 0 done · 1 a step failed (state saved) · 2 usage or runbook invalid ·
            3 locked by another run · 4 aborted, not confirmed or interrupted (Ctrl-C,
            SIGTERM, SIGHUP, stdout closed) · 5 drift found on rollback`,
  );

  const act =
    (loader: () => Promise<Action>) =>
    async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const opts = { ...command.optsWithGlobals() } as GlobalOptions;
      const positional = args.slice(0, -2);
      const fn = await loader();
      setExit(await fn(...positional, opts));
    };

  program
    .command('validate')
    .description('check schema, references and variables of the runbook; makes no AWS calls')
    .action(act(async () => (await import('./commands/validate.js')).validateCommand));

  program
    .command('plan')
    .argument('<phase>', 'pre, mid or post')
    .description('read live state and print what each step would change (same as run --dry-run)')
    .option('--from <id>', 'start at this step')
    .option('--only <id>', 'just this step (or group)')
    .option('--out <file>', 'save the plan (with fingerprints of the live state it read) for review, approval and "run --plan"')
    .addHelpText(
      'after',
      '\nNothing is written to AWS or to the state; the audit log records that a dry run happened.\nExample: migrate plan mid --env prod\n         migrate plan mid --env prod --out mid.plan   (then: migrate approve mid.plan; migrate run mid --env prod --plan mid.plan)',
    )
    .action(
      act(async () => {
        const { runCommand } = await import('./commands/run.js');
        return (phase: string, opts: Record<string, unknown>) => runCommand(phase, { ...opts, dryRun: true });
      }),
    );

  program
    .command('show')
    .argument('<file>', 'a plan saved with "migrate plan <phase> --out FILE"')
    .description('print a saved plan as "migrate plan" prints it, with its digest, author and rehearsal timing')
    .action(act(async () => (await import('./commands/saved-plan.js')).showCommand));

  program
    .command('approve')
    .argument('<file>', 'the saved plan to approve')
    .option('--comment <text>', 'why, or on what condition (recorded in the audit trail)')
    .description(
      "approve a saved plan as a second person: records your STS identity, the plan's digest and the comment in the environment's audit trail",
    )
    .addHelpText(
      'after',
      '\nThe plan\'s author cannot approve it, and an approval by the person who runs it does not count.\nExample: migrate approve mid.plan --comment "CAB-1234 approved for 19:00"',
    )
    .action(act(async () => (await import('./commands/approve.js')).approveCommand));

  program
    .command('run')
    .argument('<phase>', 'pre, mid or post')
    .description('run a phase: preview and confirm every change, checkpoint it, stop at the first failure')
    .option('--dry-run', 'read-only: show what would change (every AWS write is refused)')
    .option('-y, --yes', 'answer Apply to every step (needed without a terminal)')
    .option('--confirm-env <name>', 'with --yes on a protected environment: its name, as you would type it')
    .option('--from <id>', 'start at this step (the resume point printed after a failure)')
    .option('--only <id>', 'just this step (or group)')
    .option('--plan <file>', 'apply exactly this saved plan (refused, exit 5, when the runbook or the live state changed since)')
    .option(
      '--reapply <id>',
      'write this applied step again although its checkpoint says applied (after drift); repeatable',
      (v: string, prev: string[] = []) => [...prev, v],
    )
    .addHelpText(
      'after',
      `
Steps already applied whose live state still matches are skipped, so running a phase again is safe.
Examples:
  migrate run pre --env preprod
  migrate run mid --env prod --plan mid.plan          (asks before each change; prod needs an approved plan)
  migrate run mid --env prod --plan mid.plan --yes --confirm-env prod (unattended)
  migrate run mid --env prod --from 4                 (resume, where no approval is required)`,
    )
    .action(act(async () => (await import('./commands/run.js')).runCommand));

  program
    .command('rollback')
    .argument('<N>', "the plan's rollback number (3, 4, 5)")
    .description('replay a numbered rollback: undo the recorded checkpoints of its steps, latest first, then the rollbacks it chains')
    .option('--dry-run', 'show what would be undone; change nothing')
    .option('-y, --yes', 'answer Undo to every step')
    .option('--confirm-env <name>', 'with --yes on a protected environment: its name')
    .option('--force', 'restore the checkpoint even if the resource was changed by hand since (drift)')
    .option('--accept-cost <n>', "go on past the rollback's point of no return (maxCost) when its cost is at most N (with --yes)")
    .addHelpText(
      'after',
      '\nBefore writing, live state is compared with each checkpoint; a hand-made change stops the rollback (exit 5)\nand shows before / after / live, unless --force.\nExample: migrate rollback 4 --env prod   (undoes mid.4, then rollback 3)',
    )
    .action(act(async () => (await import('./commands/rollback.js')).rollbackCommand));

  program
    .command('status')
    .description('every step: pending | applying | applied | noop | skipped | failed | interrupted | undoing | rolled-back; and the lock')
    .action(act(async () => (await import('./commands/status.js')).statusCommand));

  program
    .command('log')
    .description('the audit trail: who did what, when, with which result')
    .option('--limit <n>', 'only the last n events')
    .action(act(async () => (await import('./commands/log.js')).logCommand));

  program
    .command('report')
    .description('the change record of a cutover: plans, approvals, a timeline of every step, rollbacks, alerts, users synced')
    .option('--format <format>', 'md (pastes into a ticket), html (one self-contained, printable page) or json', undefined)
    .option('--out <file>', 'write it to this file instead of stdout')
    .addHelpText(
      'after',
      '\nBuilt from the state and the audit trail only; makes no AWS call.\nExamples:\n  migrate report --env prod > cutover.md\n  migrate report --env prod --format html --out cutover.html',
    )
    .action(act(async () => (await import('./commands/report.js')).reportCommand));

  program
    .command('unlock')
    .description('release a lock left by a dead run')
    .option('--force', 'release a lock whose process still runs, or one from another host')
    .option('--lock-id <id>', 'S3 backend: release exactly this lock (its id is in status and in the "locked" error)')
    .action(act(async () => (await import('./commands/unlock.js')).unlockCommand));

  const state = program
    .command('state')
    .description("move an environment's state (checkpoints, audit trail, watch and users sync records) between the local folder and S3")
    .addHelpText(
      'after',
      '\nExamples:\n  migrate state push --env prod --state s3://tis-migrate-state/cognito   (local -> S3, before the cutover)\n  migrate state pull --env prod --state s3://tis-migrate-state/cognito   (S3 -> local)',
    );
  state
    .command('push')
    .description('copy the local state of the environment to the S3 backend (refused if S3 already has state, unless --force)')
    .option('--force', 'replace the state already in S3')
    .action(act(async () => async (opts: Record<string, unknown>) => (await import('./commands/state.js')).stateCommand('push', opts)));
  state
    .command('pull')
    .description("copy the environment's S3 state to the local folder (refused if there is local state, unless --force)")
    .option('--force', 'replace the local state')
    .action(act(async () => async (opts: Record<string, unknown>) => (await import('./commands/state.js')).stateCommand('pull', opts)));

  const users = program
    .command('users')
    .description('post-migration: users known to Keycloak but missing in Cognito (diff, sync, ensure)')
    .addHelpText(
      'after',
      `
The runbook's users: section maps Keycloak to Cognito (pool, attributes, groups, rate).
Examples:
  migrate users diff --export realm-export.json --env prod
  migrate users sync --export realm-export.json --env prod --dry-run
  migrate users sync --export realm-export.json --env prod --invite   (asks; Ctrl-C and run again resumes)
  migrate users ensure jane.doe@nhs.net --export realm-export.json --env prod`,
    );
  const exportOption = ['--export <file>', 'Keycloak realm export (one JSON file, a directory of *-users-*.json, or CSV)'] as const;
  users
    .command('diff')
    .description('compare the export with the user pool: missing in Cognito, only in Cognito, differences')
    .requiredOption(...exportOption)
    .action(
      act(
        async () => async (opts: Record<string, unknown>) =>
          (await import('./commands/users-cli.js')).usersCommand('diff', undefined, opts),
      ),
    );
  users
    .command('sync')
    .description('create the users missing in Cognito (rate-limited, resumable, audited)')
    .requiredOption(...exportOption)
    .option('--dry-run', 'show exactly what would be done; write nothing')
    .option('--invite', 'send Cognito invitation emails with a temporary password')
    .option(
      '--no-password-ok',
      'create the users without a password and without an email (they need a password reset); one of this or --invite is required',
    )
    .option('-y, --yes', 'do not ask (needed without a terminal)')
    .option('--confirm-env <name>', 'with --yes on a protected environment: its name')
    .action(
      act(
        async () => async (opts: Record<string, unknown>) =>
          (await import('./commands/users-cli.js')).usersCommand('sync', undefined, opts),
      ),
    );
  users
    .command('ensure')
    .argument('<email>', 'the user an admin opened who is not in Cognito yet')
    .description('create one user from the export if missing, or say clearly why not')
    .requiredOption(...exportOption)
    .option('--dry-run', 'say what would be done; write nothing')
    .option('--invite', 'send a Cognito invitation email')
    .option('-y, --yes', 'do not ask (needed without a terminal)')
    .option('--confirm-env <name>', 'with --yes on a protected environment: its name')
    .action(
      act(
        async () => async (email: string, opts: Record<string, unknown>) =>
          (await import('./commands/users-cli.js')).usersCommand('ensure', email, opts),
      ),
    );
  users
    .command('export-since')
    .description('write the users a rollback would strand: created in Cognito since a step took effect (no credentials)')
    .requiredOption('--step <ref>', 'the step, e.g. mid.4 (Reval on the new pool)')
    .requiredOption('--out <file>', 'the JSON file to write')
    .option('--changed', 'also users changed since then (as cost counter cognito.usersChangedSince)')
    .option('--user-pool <pool>', 'the pool id or name (default: users.userPool)')
    .action(act(async () => async (opts: Record<string, unknown>) => (await import('./commands/users-cli.js')).usersExportSince(opts)));

  program
    .command('watch')
    .description("poll the runbook's health checks and act when a rollback's trigger holds (e.g. Reval failing for 1h -> rollback 4)")
    .option('--auto-rollback', 'run a due rollback by itself (locked, drift-checked and audited like "migrate rollback N")')
    .option('--for <duration>', 'stop after this long, e.g. 2h (plan time: divided by MIGRATE_TIME_SCALE); default: until Ctrl-C')
    .option(
      '--notify-command <cmd>',
      'run this (with /bin/sh -c) when a trigger comes due; details in MIGRATE_ROLLBACK_ID, MIGRATE_ROLLBACK_TITLE, MIGRATE_CHECK, MIGRATE_FAILING_SINCE, MIGRATE_ENV, MIGRATE_COMMAND',
    )
    .option('-y, --yes', 'arm --auto-rollback without asking (needed without a terminal)')
    .option('--confirm-env <name>', 'with --auto-rollback on a protected environment: its name')
    .option('--max-auto-rollbacks <n>', 'automatic rollbacks this watch may run before it only alerts (default 1)')
    .addHelpText(
      'after',
      `
Each check of the runbook's "checks:" runs at its interval, read-only (AWS writes are refused).
A rollback with "trigger: { check: reval, failingFor: 1h }" comes due once reval has failed
without a break for 1h; a check that recovers starts its clock again. Then, once per failing spell:
  without --auto-rollback   bell, a banner with the exact command, --notify-command, and on a
                            terminal "Run rollback N now?" (default no); nothing else changes
  with --auto-rollback      the watch takes the lock, runs rollback N, releases it, goes on
The watch holds the lock only while it runs a rollback, so status and the other read-only commands
keep working beside it. Failing-since times are kept in <state dir>/<env>/watch.json: a restarted
watch does not restart the clock. "migrate status" shows each trigger's countdown.
Examples:
  migrate watch --env prod --notify-command 'notify-send "$MIGRATE_COMMAND"'
  migrate watch --env prod --auto-rollback --yes --confirm-env prod
  migrate watch --env sandbox --auto-rollback --yes --for 2h   (at time scale 600: 12 seconds)
Exit codes: 0 when --for passes or on Ctrl-C; 1, 4 or 5 when a rollback it ran failed, was
interrupted or was refused for drift.`,
    )
    .action(act(async () => (await import('./commands/watch.js')).watchCommand));

  program
    .command('rehearse')
    .description('rehearse the whole plan against a fresh sandbox: validate, pre, mid, rollback 4 (chains 3), estate back, mid again, post')
    .option('--faults <spec>', 'inject faults, e.g. throttle=0.3,5xx=0.1,latency=50ms,insync=20s, or the incident reval-down')
    .option('--time-scale <n>', 'divide every wait and window by n (default 600)')
    .option('--seed <n>', 'seed of the fault injection: the same seed repeats a faulted rehearsal (default: a new one each time, printed)')
    .option('--keep', 'leave the sandbox running at the end and print its exports')
    .option(
      '--state-backend <kind>',
      "local (a temporary folder, the default) or s3 (the sandbox's versioned state bucket, as a team would share it)",
    )
    .addHelpText(
      'after',
      `
Runs with --yes and a temporary state dir of its own; prints a summary table and exits 0 only if
every gate passed. With --faults reval-down, mid stops at Reval's gate, and migrate watch
--auto-rollback fires rollback 4 once Reval has failed for the plan's hour (scaled), before mid runs again.
Examples:
  migrate rehearse
  migrate rehearse --faults throttle=0.3,5xx=0.1
  migrate rehearse --faults reval-down
  migrate rehearse --runbook my-runbook.yaml --keep`,
    )
    .action(act(async () => (await import('./commands/rehearse.js')).rehearseCommand));

  program
    .command('sandbox')
    .description(
      'start the sandbox (moto + front proxy + a seeded TIS estate + health endpoints) and print the env vars that point migrate at it',
    )
    .option('--time-scale <n>', 'divide every wait and window by n (default 600: a 1h wait takes 6s)')
    .option('--faults <spec>', 'inject faults at the proxy, e.g. throttle=0.3,5xx=0.1,latency=50ms,insync=20s,reval-down')
    .addHelpText(
      'after',
      `
It prints "export NAME=value" lines, then "# ready", and serves until Ctrl-C or SIGTERM.
In a second shell:
  eval "$(migrate sandbox | sed '/^# ready/q')"      (or run it in the background and source the lines)
  migrate run pre --env sandbox --yes
Needs Python's moto (pip install "moto[server]"); MIGRATE_PYTHON picks the Python.`,
    )
    .action(act(async () => (await import('./commands/sandbox.js')).sandboxCommand));

  return program;
}

export { Option };
