import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { RUNBOOK, cli, tempDir } from '../e2e/helpers.js';

/**
 * The runbook's notify: section against the sandbox's webhook receiver: run sends phase start and
 * end (or failure), the watch sends trigger due, rollback fired and rollback done, and the secret
 * in the webhook URL (from the shell) is in none of them, nor in any output or state file.
 */
const SECRET = 'T0000000/B0000000/n0tify-s3cret-t0ken';
let sandbox: Sandbox;
let state: { path: string; remove(): void };
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  sandbox = await startSandbox({ timeScale: 600, faults: { incidents: ['reval-down'] } });
  state = tempDir('migrate-notify-');
  const runbook = join(state.path, 'notify.yaml');
  writeFileSync(
    runbook,
    readFileSync(RUNBOOK, 'utf8').replace(
      '    description: The built-in sandbox',
      '    notify: { webhook: "${env.MIGRATE_SANDBOX_WEBHOOK_URL}/services/${env.TIS_WEBHOOK_SECRET}" }\n    description: The built-in sandbox',
    ),
  );
  env = {
    ...process.env,
    NO_COLOR: '1',
    ...sandbox.exports,
    MIGRATE_STATE_DIR: state.path,
    MIGRATE_RUNBOOK: runbook,
    TIS_WEBHOOK_SECRET: SECRET,
  };
  delete env.CI;
}, 60_000);

afterAll(async () => {
  await sandbox?.stop();
  state?.remove();
});

describe('notifications in the sandbox', () => {
  it('phase start, phase end, trigger due, rollback fired, rollback done reach the webhook; none holds the secret', async () => {
    const outputs: string[] = [];
    const pre = await cli(['run', 'pre', '--yes'], env);
    expect(pre.code, pre.stderr).toBe(0);
    const mid = await cli(['run', 'mid', '--yes'], env);
    expect(mid.code).toBe(1);
    const watch = await cli(['watch', '--auto-rollback', '--yes', '--for', '120m'], env);
    expect(watch.code, watch.stderr).toBe(0);
    outputs.push(pre.stdout, pre.stderr, mid.stdout, mid.stderr, watch.stdout, watch.stderr);

    const messages = sandbox.webhook.messages();
    const texts = messages.map((m) => (m.body as { text: string }).text);
    expect(texts).toContainEqual(expect.stringMatching(/^migrate run pre started in sandbox/));
    expect(texts).toContainEqual('migrate run pre finished in sandbox');
    expect(texts).toContainEqual(expect.stringMatching(/^migrate run mid FAILED in sandbox at mid\.4/));
    expect(texts).toContainEqual(expect.stringMatching(/^\[sandbox\] rollback 4 is due: reval failing since/));
    expect(texts).toContainEqual(expect.stringMatching(/^\[sandbox\] rollback 4 started by the watch \(auto-rollback\)/));
    expect(texts).toContainEqual('[sandbox] rollback 4 done');
    // The receiver got them at the secret path; nothing else carries the secret.
    expect(messages.every((m) => m.path === `/services/${SECRET}`)).toBe(true);
    for (const m of messages) expect(m.raw).not.toContain('n0tify-s3cret');
    for (const text of outputs) expect(text).not.toContain('n0tify-s3cret');
    for (const file of readdirSync(join(state.path, 'sandbox'))) {
      if (file.endsWith('.json') || file.endsWith('.jsonl') || file.endsWith('.log'))
        expect(readFileSync(join(state.path, 'sandbox', file), 'utf8')).not.toContain('n0tify-s3cret');
    }
  }, 120_000);
});
