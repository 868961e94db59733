import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createNotifier, engineMessage, redactUrl, runCommand, webhookBody } from '../../src/notify/index.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/sandbox/webhook.js';
import { emptySummary } from '../../src/engine/events.js';

let dir: string;
let receiver: WebhookReceiver;
beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'migrate-notify-'));
  receiver = await startWebhookReceiver();
});
afterEach(async () => {
  await receiver.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Running, not a zombie waiting for a reaper (a container's PID 1 may never reap it). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
};

describe('notify', () => {
  it('kills the whole process group of a command that outlives its timeout (the curl it started, not only /bin/sh)', async () => {
    const pidFile = join(dir, 'child.pid');
    const problem = await runCommand(`sleep 30 & echo $! > '${pidFile}'; wait`, {}, 500);
    expect(problem).toMatch(/did not finish within/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    await new Promise((r) => setTimeout(r, 100));
    expect(alive(pid)).toBe(false);
  });

  it('posts { text } (Slack, Teams) or the Teams card form to the webhook, and reports problems without the secret', async () => {
    const secret = 'T000/B000/XXXXsecretXXXX';
    await createNotifier({ webhook: `${receiver.url}/services/${secret}` }).send({
      event: 'trigger-due',
      env: 'sandbox',
      text: 'rollback 4 is due',
    });
    await createNotifier({ webhook: `${receiver.url}/teams/${secret}`, format: 'teams-card' }).send({
      event: 'rollback-done',
      env: 'sandbox',
      text: 'rollback 4 done',
    });
    const [slack, teams] = receiver.messages();
    expect(slack?.body).toEqual({ text: 'rollback 4 is due' });
    expect(teams?.body).toMatchObject({
      text: 'rollback 4 done',
      attachments: [
        { contentType: 'application/vnd.microsoft.card.adaptive', content: { type: 'AdaptiveCard', body: [{ text: 'rollback 4 done' }] } },
      ],
    });
    expect(webhookBody({ event: 'x', env: 'e', text: 't' })).toEqual({ text: 't' });
    const problems = await createNotifier({ webhook: `http://127.0.0.1:1/hooks/${secret}` }).send({ event: 'x', env: 'e', text: 't' });
    expect(problems).toHaveLength(1);
    expect(problems.join(' ')).not.toContain(secret);
    expect(redactUrl(`https://hooks.slack.com/services/${secret}`)).toBe('https://hooks.slack.com/…');
  });

  it('tells phase start, end, failure and a manual step waiting from engine events; dry runs say nothing', () => {
    const state = {};
    expect(
      engineMessage({ kind: 'run-start', command: 'run mid', env: 'prod', refs: ['mid.1'], dryRun: false, timeScale: 1 }, 'prod', state),
    ).toMatchObject({ event: 'phase-start' });
    expect(engineMessage({ kind: 'step-start', ref: 'mid.1', title: 'Give notice', type: 'manual' }, 'prod', state)).toMatchObject({
      event: 'manual-waiting',
      text: expect.stringContaining('mid.1 Give notice'),
    });
    expect(engineMessage({ kind: 'run-end', ok: false, summary: { ...emptySummary(), failed: ['mid.4'] } }, 'prod', state)).toMatchObject({
      event: 'phase-failed',
      text: expect.stringContaining('mid.4'),
    });
    const dry = {};
    expect(
      engineMessage({ kind: 'run-start', command: 'run mid --dry-run', env: 'prod', refs: [], dryRun: true, timeScale: 1 }, 'prod', dry),
    ).toBeUndefined();
    expect(engineMessage({ kind: 'run-end', ok: true, summary: emptySummary() }, 'prod', dry)).toBeUndefined();
  });
});
