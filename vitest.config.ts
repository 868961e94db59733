import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defineConfig } from 'vitest/config';

/** Tests that start moto (directly or through the sandbox) but do not drive the compiled CLI end to end. */
const moto = ['test/**/*.moto.test.ts', 'test/sandbox/**/*.test.ts', 'test/users/resume.test.ts', 'test/users/secrets.test.ts'];
/** Tests that drive the compiled CLI as an operator would: sandbox, processes, pseudo-terminals. */
const e2e = [
  'test/e2e/**/*.test.ts',
  'test/rehearse/**/*.test.ts',
  'test/cli/**/*.test.ts',
  // judgement and notify start a sandbox and drive the CLI too: in the unit project they made
  // `npm run test:unit` wait on moto, and ran last in `npm test`, one long file alone at the end.
  'test/watch/*.sandbox.test.ts',
  'test/watch/watch.tty.test.ts',
  'test/plan/*.sandbox.test.ts',
  'test/record/*.sandbox.test.ts',
];

export default defineConfig({
  test: {
    // The CLI tests run the compiled bin, so build once before any test file loads.
    globalSetup: ['test/setup/build.ts'],
    // Step types' parameter schemas need zod loaded (the CLI loads it only where it needs it).
    setupFiles: ['test/setup/zod.ts'],
    testTimeout: 30_000,
    // Most tests wait on moto, the sandbox or a child CLI rather than on this process's CPU: two
    // workers on a 2-core machine (vitest's default would be one) keep npm test well inside ten minutes.
    maxWorkers: 2,
    // The few files that run independent sandboxes side by side (it.concurrent) fill each other's
    // waits; two at a time keeps a loaded 2-core machine from starving them past their timeouts.
    maxConcurrency: 2,
    hookTimeout: 60_000,
    // The runbook summary cache goes to a folder of the tests' own, never the developer's ~/.cache.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', NO_COLOR: '1', XDG_CACHE_HOME: join(tmpdir(), 'migrate-test-cache') },
    // `npm test` runs all three; `npm run test:unit` is the inner loop (no moto, seconds).
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: [...moto, ...e2e] } },
      { extends: true, test: { name: 'moto', include: moto } },
      { extends: true, test: { name: 'e2e', include: e2e } },
    ],
  },
});
