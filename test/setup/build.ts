import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The CLI tests run dist/bin.js: bundle (npm run build, a second or two) so they never test a stale build. Each
 * vitest project runs its global setup; the first build marks the process so the others skip it.
 * Also resolves python3 once to the real interpreter: a pyenv shim costs every moto start a
 * bash script, and the suite starts moto dozens of times. Workers inherit both variables.
 */
export default function setup(): void {
  if (!process.env.MIGRATE_PYTHON) {
    try {
      const real = execFileSync('python3', ['-c', 'import sys; print(sys.executable)'], { encoding: 'utf8' }).trim();
      if (real) process.env.MIGRATE_PYTHON = real;
    } catch {
      // No python3: the sandbox tests will say how to install moto.
    }
  }
  if (process.env.MIGRATE_SKIP_BUILD === '1') return;
  const root = fileURLToPath(new URL('../..', import.meta.url));
  execFileSync(process.execPath, ['scripts/build.mjs'], { cwd: root, stdio: 'inherit' });
  process.env.MIGRATE_SKIP_BUILD = '1';
}
