import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The CLI tests run dist/bin.js: compile (incrementally) so they never test a stale build. Each
 * vitest project runs its global setup; the first build marks the process so the others skip it.
 */
export default function setup(): void {
  if (process.env.MIGRATE_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { cwd: root, stdio: 'inherit' });
  process.env.MIGRATE_SKIP_BUILD = '1';
}
