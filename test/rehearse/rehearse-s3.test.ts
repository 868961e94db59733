import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { rehearse } from './helpers.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** Issue 13: `rehearse --state-backend s3` runs every command of the plan on the sandbox's S3 state bucket. */
describe('migrate rehearse --state-backend s3', () => {
  it('passes every gate with checkpoints, lock and audit in the shared bucket', async () => {
    const { code, doc, stderr: err } = await rehearse('--state-backend', 's3');
    expect(
      doc.stages.filter((s) => !s.ok),
      err.slice(-2000),
    ).toEqual([]);
    expect(code).toBe(0);
    expect(err).toMatch(/^State: s3:\/\/migrate-sandbox-state\/cutover\/rehearsal-\d+$/m);
    // The step table was read back from S3.
    expect(Object.fromEntries(doc.steps.map((s) => [s.step, s.status]))).toMatchObject({ 'mid.4': 'applied', 'post.3': 'applied' });
  }, 120_000);

  it('refuses an unknown backend (exit 2)', async () => {
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['dist/bin.js', 'rehearse', '--state-backend', 'ftp'], {
        cwd: root,
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
        stdio: 'ignore',
      });
      child.on('exit', resolve);
    });
    expect(code).toBe(2);
  });
});
