import { backendFor, loadEnvironment, operatorName } from './context.js';
import type { GlobalOptions } from './options.js';

export async function unlockCommand(opts: GlobalOptions & { force?: boolean | undefined; lockId?: string | undefined }): Promise<number> {
  const loaded = await loadEnvironment(opts);
  const backend = await backendFor(loaded);
  const released = await backend.releaseLock({ force: !!opts.force, lockId: opts.lockId });
  if (!released) {
    process.stdout.write(`environment "${loaded.env.name}" was not locked\n`);
    return 0;
  }
  const what = released.info ? backend.describeHolder(released.info) : `an unreadable lock file (${released.unreadable})`;
  await backend.audit({ user: operatorName(), command: 'unlock', env: loaded.env.name }).append({
    event: 'unlock',
    detail: `${released.file}: ${what}`,
    result: opts.force ? 'forced' : 'released',
  });
  process.stdout.write(
    `released the lock on "${loaded.env.name}" (was ${what}): removed ${released.file}\nCheck "migrate status --env ${loaded.env.name}" for a step left half-done before running again.\n`,
  );
  return 0;
}
