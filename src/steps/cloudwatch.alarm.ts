import type { z } from 'zod';
import { lazySchema } from './support/zod.js';
import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { RunbookError } from '../errors.js';
import type { StepType } from './types.js';

const params = lazySchema((z) => {
  return z.strictObject({
    alarmName: z.string().min(1).describe('The CloudWatch alarm (metric or composite) whose state is the check.'),
  });
});
export type AlarmParams = z.output<ReturnType<typeof params>>;

export interface AlarmState {
  alarmName: string;
  /** OK, ALARM or INSUFFICIENT_DATA; null when there is no such alarm. */
  state: string | null;
  reason: string | null;
  updatedAt: string | null;
}

/**
 * A CloudWatch alarm as a health check, as CloudFormation rollback triggers use them: ALARM is a
 * failure, OK a success, INSUFFICIENT_DATA missing data (the trigger's missingData decides). Teams
 * already alarm on their services; the watch uses those alarms rather than new probes.
 */
export const cloudwatchAlarm: StepType<AlarmParams, AlarmState> = {
  name: 'cloudwatch.alarm',
  description: 'Read a CloudWatch alarm: OK passes, ALARM fails, INSUFFICIENT_DATA has no data (for checks and triggers).',
  get params() {
    return params();
  },
  mutates: false,
  usesAws: true,
  async read(ctx, p) {
    const sdk = await import('../aws/sdk/cloudwatch.js');
    const client: CloudWatchClient = await ctx.aws.client(sdk.CloudWatchClient);
    const out = await client.send(
      new sdk.DescribeAlarmsCommand({ AlarmNames: [p.alarmName], AlarmTypes: ['MetricAlarm', 'CompositeAlarm'] }),
      { abortSignal: ctx.signal },
    );
    const alarm = [...(out.MetricAlarms ?? []), ...(out.CompositeAlarms ?? [])].find((a) => a.AlarmName === p.alarmName);
    if (!alarm) return { alarmName: p.alarmName, state: null, reason: null, updatedAt: null };
    return {
      alarmName: p.alarmName,
      state: alarm.StateValue ?? null,
      reason: alarm.StateReason ?? null,
      updatedAt: alarm.StateUpdatedTimestamp ? new Date(alarm.StateUpdatedTimestamp).toISOString() : null,
    };
  },
  probeOutcome: (current) => (current.state === 'INSUFFICIENT_DATA' ? 'missing' : current.state === null ? 'error' : undefined),
  plan(current, p) {
    if (current.state === 'OK') return { noop: true, current, summary: `alarm ${p.alarmName} is OK` };
    if (current.state === null)
      throw new RunbookError('ASSERTION_FAILED', `there is no CloudWatch alarm "${p.alarmName}"`, {
        hint: "Check the alarm name and the environment's region.",
      });
    throw new RunbookError('ASSERTION_FAILED', `alarm ${p.alarmName} is ${current.state}${current.reason ? `: ${current.reason}` : ''}`, {
      hint:
        current.state === 'ALARM'
          ? 'The service is not healthy by its own alarm: look at it, or run the rollback the plan gives for this.'
          : 'The alarm has no data to judge yet.',
    });
  },
  async apply(_ctx, change) {
    return change.after;
  },
  describe: (p) => `CloudWatch alarm ${p.alarmName} is OK`,
};
