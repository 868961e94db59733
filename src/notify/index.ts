import { spawn } from 'node:child_process';
import { messageOf } from '../errors.js';
import type { EngineEvent } from '../engine/events.js';

/** The environment's `notify:` section, with `${vars.x}` and `${env.X}` filled in. */
export interface NotifyConfig {
  /** An incoming webhook (Slack or Teams); may hold a secret, so it is never printed. */
  webhook?: string | undefined;
  /** 'text' posts { "text": ... } (Slack, Teams); 'teams-card' adds Teams' Adaptive Card form. */
  format?: 'text' | 'teams-card' | undefined;
  /** Run with /bin/sh -c, the message in MIGRATE_NOTIFY_TEXT and MIGRATE_NOTIFY_EVENT. */
  command?: string | undefined;
}

export interface NotifyMessage {
  /** phase-start, phase-end, phase-failed, manual-waiting, trigger-due, rollback-fired, rollback-done, trigger-inconclusive ... */
  event: string;
  text: string;
  env: string;
  /** More variables for the command (MIGRATE_ROLLBACK_ID ...). */
  vars?: Record<string, string> | undefined;
}

/** A webhook or command that hangs must not hold a run or a watch up. */
export const NOTIFY_TIMEOUT_MS = 30_000;

/** Where a webhook goes, without its path or query (where the secret of an incoming webhook lives). */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}/…`;
  } catch {
    return '(a webhook URL)';
  }
}

/** The JSON a Slack or Teams incoming webhook takes: a text field, and with 'teams-card' the card form too. */
export function webhookBody(message: NotifyMessage, format: NotifyConfig['format'] = 'text'): unknown {
  if (format !== 'teams-card') return { text: message.text };
  return {
    type: 'message',
    text: message.text,
    attachments: [
      {
        contentType: 'application/vnd.microsoft.card.adaptive',
        content: {
          $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
          type: 'AdaptiveCard',
          version: '1.4',
          body: [{ type: 'TextBlock', text: message.text, wrap: true }],
        },
      },
    ],
  };
}

export interface Notifier {
  /** Sends to the webhook and runs the command; resolves with what went wrong (secrets left out), if anything. */
  send(message: NotifyMessage): Promise<string[]>;
}

export function createNotifier(config: NotifyConfig, options: { timeoutMs?: number | undefined } = {}): Notifier {
  const timeoutMs = options.timeoutMs ?? NOTIFY_TIMEOUT_MS;
  return {
    async send(message) {
      const problems: string[] = [];
      const jobs: Promise<void>[] = [];
      if (config.webhook) {
        const url = config.webhook;
        jobs.push(
          (async () => {
            try {
              const res = await fetch(url, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(webhookBody(message, config.format)),
                signal: AbortSignal.timeout(timeoutMs),
              });
              await res.text().catch(() => '');
              if (!res.ok) problems.push(`webhook ${redactUrl(url)} answered ${res.status}`);
            } catch (error) {
              // The error's message may quote the URL: say only where it went.
              const cause = (error as { cause?: { code?: string } }).cause?.code;
              problems.push(
                `webhook ${redactUrl(url)} could not be reached${cause ? ` (${cause})` : (error as Error).name === 'TimeoutError' ? ' (timeout)' : ''}`,
              );
            }
          })(),
        );
      }
      if (config.command) {
        const command = config.command;
        jobs.push(
          runCommand(
            command,
            { ...message.vars, MIGRATE_NOTIFY_EVENT: message.event, MIGRATE_NOTIFY_TEXT: message.text, MIGRATE_ENV: message.env },
            timeoutMs,
          ).then((problem) => {
            if (problem) problems.push(`notify command ${problem}`);
          }),
        );
      }
      await Promise.all(jobs);
      return problems;
    },
  };
}

/**
 * Runs a notify command in its own process group (detached), so a timeout stops all of it (the
 * curl it started, not only /bin/sh). Says what went wrong, if anything.
 */
export function runCommand(command: string, vars: Record<string, string>, timeoutMs = NOTIFY_TIMEOUT_MS): Promise<string | undefined> {
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', command], {
      env: { ...process.env, ...vars },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let output = '';
    let settled = false;
    const done = (value: string | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(value);
    };
    const keep = (chunk: Buffer) => (output = (output + chunk.toString('utf8')).slice(-2000));
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const timer = setTimeout(() => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
      done(`did not finish within ${Math.round(timeoutMs / 1000)}s and was stopped (with everything it started)`);
    }, timeoutMs);
    child.on('error', (error) => done(`could not start: ${messageOf(error)}`));
    child.on('close', (code, signal) => {
      if (code === 0) done(undefined);
      else done(`exited with ${signal ?? `code ${code}`}${output.trim() ? `: ${output.trim().split('\n').slice(-3).join(' | ')}` : ''}`);
    });
  });
}

/**
 * What `run` and `rollback` tell the team, from the engine's events: phase start, end and
 * failure, and a manual step waiting for a person. Dry runs say nothing.
 */
export function engineMessage(
  event: EngineEvent,
  env: string,
  state: { command?: string; dryRun?: boolean; unattended?: boolean },
): NotifyMessage | undefined {
  if (event.kind === 'run-start') {
    state.command = event.command;
    state.dryRun = event.dryRun;
    if (event.dryRun) return undefined;
    return {
      event: 'phase-start',
      env,
      text: `${event.command} started in ${env} (${event.refs.length} step${event.refs.length === 1 ? '' : 's'})`,
    };
  }
  if (state.dryRun) return undefined;
  // With --yes nobody is asked, so nobody is waited for.
  if (event.kind === 'step-start' && event.type === 'manual' && !state.unattended) {
    return { event: 'manual-waiting', env, text: `${state.command ?? 'migrate'} is waiting for a person: ${event.ref} ${event.title}` };
  }
  if (event.kind === 'run-end') {
    const failed = event.summary.failed;
    if (event.ok) return { event: 'phase-end', env, text: `${state.command ?? 'migrate'} finished in ${env}` };
    return {
      event: 'phase-failed',
      env,
      text: `${state.command ?? 'migrate'} FAILED in ${env}${failed.length ? ` at ${failed.join(', ')}` : ''}`,
    };
  }
  return undefined;
}
