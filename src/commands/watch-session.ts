import { planRollback } from '../rollback/plan.js';
import { runRollback } from '../rollback/run.js';
import type { WatchSession } from '../watch/types.js';
import { openSession, operatorName, stepTypeOf } from './context.js';
import { checkAccountFirst } from './execute.js';
import type { GlobalOptions } from './options.js';

export interface OpenedWatchSession extends WatchSession {
  /** Aborted by the first Ctrl-C (the second leaves at once). */
  readonly signal: AbortSignal;
}

/**
 * The watch's two sides, both through openSession: a read-only session (dry-run guarded AWS
 * clients, no lock) for the checks, and, per rollback it fires, an ordinary locked session, the
 * one `migrate rollback N` opens, so the rollback is drift-checked, checkpointed and audited alike.
 */
export async function openWatchSession(opts: GlobalOptions, command = 'watch'): Promise<OpenedWatchSession> {
  const read = await openSession(opts, { command, dryRun: true, lock: false });
  // The read session's audit marks its lines as a dry run; the watch's own lines are not one.
  const audit = read.backend.audit({ user: operatorName(), command, env: read.env.name }, () => read.aws.identity?.arn);
  const flags = [
    `--env ${read.env.name}`,
    opts.runbook ? `--runbook ${opts.runbook}` : '',
    opts.stateDir ? `--state-dir ${opts.stateDir}` : '',
    opts.state ? `--state ${opts.state}` : '',
  ].filter(Boolean);
  return {
    resolved: read.resolved,
    env: read.env,
    envDir: read.envDir,
    documents: read.backend.documents,
    timeScale: read.timeScale,
    signal: read.signal,
    async verifyAccount() {
      await read.aws.ensureIdentity();
    },
    checkContext: (_check, signal, progress) => read.stepContext(undefined, signal, progress),
    stepType: stepTypeOf,
    readState: () => read.store.load(),
    audit: (event) => audit.append({ ...event }),
    rollbackCommand: (id) => `migrate rollback ${id} ${flags.join(' ')}`,
    async rollback(id, io) {
      const session = await openSession(opts, { command: `${command}: rollback ${id}`, dryRun: false, lock: true, signal: io.signal });
      try {
        // As `migrate rollback N` does: the account is checked before the first step.
        const stages = planRollback(session.resolved, id);
        await checkAccountFirst(
          session,
          stages.flatMap((s) => [...s.undo, ...s.steps].map((step) => session.state.steps[step.ref]?.type ?? step.type)),
        );
        await io.onStart?.();
        const deps = session.deps(io.prompter, io.emit);
        return await runRollback(deps, session.resolved, {
          id,
          force: false,
          command: `migrate rollback ${id} (fired by migrate ${command})`,
        });
      } finally {
        await session.close();
      }
    },
    async rollbackCost(id) {
      const entry = read.resolved.rollback.find((r) => r.id === id);
      if (!entry?.cost) return null;
      const { rollbackCosts } = await import('./cost.js');
      const state = await read.store.load();
      return (await rollbackCosts(read.runbook, read.env, state.steps, [id], read.aws))[id] ?? null;
    },
    close: () => read.close(),
  };
}
