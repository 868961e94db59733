import type { EventSink } from '../engine/events.js';
import { messageOf } from '../errors.js';
import { createNotifier, engineMessage, type NotifyMessage } from '../notify/index.js';
import { resolveText } from '../runbook/resolve.js';
import type { Runbook } from '../runbook/types.js';

export interface NotifyHook {
  send(message: NotifyMessage): void;
  /** Engine events in, the team's messages out (run, rollback). */
  engine: EventSink;
  /** Waits for every message sent so far (before the process ends). */
  flush(): Promise<void>;
}

/**
 * The environment's `notify:` section as a hook, or undefined without one. Its URL is filled in
 * from the shell here and goes no further than the notifier: problems are reported without it.
 */
export function notifyHook(
  runbook: Runbook,
  envName: string,
  warn: (line: string) => void,
  options: { unattended?: boolean | undefined } = {},
): NotifyHook | undefined {
  const section = runbook.environments[envName]?.notify;
  if (!section || (!section.webhook && !section.command)) return undefined;
  let webhook: string | undefined;
  let command: string | undefined;
  try {
    webhook = section.webhook === undefined ? undefined : resolveText(runbook, envName, section.webhook, 'notify.webhook');
    command = section.command === undefined ? undefined : resolveText(runbook, envName, section.command, 'notify.command');
  } catch (error) {
    // The message quotes the template ("${env.X}"), never a value.
    warn(`! notify is off: ${messageOf(error)}`);
    return undefined;
  }
  const notifier = createNotifier({ webhook, command, format: section.format });
  const pending = new Set<Promise<void>>();
  const engineState = { unattended: !!options.unattended };
  const send = (message: NotifyMessage) => {
    const job = notifier
      .send(message)
      .then((problems) => {
        for (const p of problems) warn(`! notify (${message.event}): ${p}`);
      })
      .finally(() => pending.delete(job));
    pending.add(job);
  };
  return {
    send,
    engine(event) {
      const message = engineMessage(event, envName, engineState);
      if (message) send(message);
    },
    async flush() {
      await Promise.allSettled([...pending]);
    },
  };
}
