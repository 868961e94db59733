import { z } from 'zod';

/**
 * The runbook document as written. Step parameters (`with`) are checked separately against each
 * step type's own schema, after interpolation, because `${vars.x}` may stand where a number goes.
 */
import { DEFAULT_CHECK_TYPE, DURATION, FAILURES, PHASES, durationField, type PhaseName } from './constants.js';
import { provideZod } from '../steps/support/zod.js';

// The step types build their parameters with this zod (they do not import it, see steps/support/zod.ts).
provideZod(z);

export { DURATION, FAILURES, PHASES, type PhaseName };
export const duration = durationField(z);

const id = z
  .union([
    z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { message: 'expected an id of letters, digits, "-" or "_" (such as "3" or "1a")' }),
    z.number().int().nonnegative(),
  ])
  .transform((v) => String(v));

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const varsSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), scalar);

export const terraformSchema = z
  .strictObject({
    outputs: z
      .string()
      .min(1)
      .optional()
      .describe('The JSON `terraform output -json` writes, relative to the runbook (${env.X} may stand in it).'),
    state: z
      .string()
      .regex(/^s3:\/\/[^/]+\/.+/, { message: 'expected s3://bucket/key of a terraform state' })
      .optional()
      .describe('A terraform state on S3, read with one read-only GetObject; its `outputs` answer ${tf.NAME}.'),
  })
  .refine((t) => (t.outputs === undefined) !== (t.state === undefined), {
    message: 'give exactly one of outputs: FILE or state: s3://bucket/key',
  })
  .describe('Where ${tf.NAME} is read from for this environment.');

export const environmentSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected an AWS region such as "eu-west-2"' }),
  account: z.string().regex(/^\d{12}$/, { message: 'expected a 12-digit AWS account id, quoted ("123456789012")' }),
  protected: z.boolean().optional().describe('Ask the operator to type the environment name before a mutating run.'),
  description: z.string().optional(),
  vars: varsSchema.optional(),
  notify: z
    .strictObject({
      webhook: z
        .string()
        .optional()
        .describe(
          'A Slack or Teams incoming webhook URL. Put its secret in the shell ("${env.TIS_TEAMS_WEBHOOK}"): migrate never prints it.',
        ),
      format: z
        .enum(['text', 'teams-card'])
        .default('text')
        .describe('text: a JSON body { "text": ... } (Slack, Teams); teams-card: Teams\' Adaptive Card form as well.'),
      command: z
        .string()
        .optional()
        .describe(
          'Run with /bin/sh -c, the message in MIGRATE_NOTIFY_TEXT and MIGRATE_NOTIFY_EVENT; killed with all it started after 30 s.',
        ),
    })
    .optional()
    .describe(
      'Who hears about it: watch sends on a trigger due, a rollback fired or done, a trigger inconclusive; run and rollback on phase start, end and failure, and a manual step waiting.',
    ),
  state: z
    .strictObject({
      s3: z.strictObject({
        bucket: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'expected an S3 bucket name' }),
        prefix: z.string().optional().describe('Key prefix; each environment keeps its state under PREFIX/<env>/.'),
        region: z.string().optional().describe("The bucket's region (default: AWS_REGION, then the environment's region)."),
        kmsKeyId: z.string().optional().describe('Encrypt every object with this KMS key (SSE-KMS); SSE-S3 when absent.'),
      }),
    })
    .optional()
    .describe('Keep checkpoints, lock and audit trail in S3, shared by the team (--state and MIGRATE_STATE override it).'),
  approvals: z
    .strictObject({
      required: z.number().int().min(0).max(5).describe("How many people other than the plan's author and its runner must approve it."),
    })
    .optional()
    .describe('A mutating run needs a saved plan (migrate plan --out) approved with migrate approve by this many other identities.'),
  terraform: terraformSchema.optional(),
  profile: z
    .string()
    .min(1)
    .optional()
    .describe(
      'The AWS config profile for this environment (SSO, credential_process, role chaining, MFA as in the AWS CLI); --profile overrides it.',
    ),
});

export interface StepNodeInput {
  id: string | number;
  title: string;
  type?: string | undefined;
  with?: Record<string, unknown> | undefined;
  steps?: StepNodeInput[] | undefined;
  timeout?: string | undefined;
  verify?: string[] | undefined;
  description?: string | undefined;
}

// biome-ignore lint/suspicious/noExplicitAny: a recursive zod schema needs an explicit annotation; its type is StepNode.
export const stepNodeSchema: z.ZodType<any> = z.lazy(() =>
  z.strictObject({
    id,
    title: z.string().min(1),
    description: z.string().optional(),
    type: z.string().optional().describe('The step type, such as "route53.switchRecord"; omit it for a group of sub-steps.'),
    with: z.record(z.string(), z.unknown()).optional().describe("The step type's parameters."),
    steps: z.array(stepNodeSchema).min(1).optional().describe('Sub-steps (1a, 1b ...) run in order.'),
    timeout: duration.optional().describe('Abort the step if it has not finished by then.'),
    verify: z.array(z.string()).optional().describe('Names of checks (from `checks:`) that must pass after the step.'),
  }),
);

const stepRef = z.string().regex(/^(pre|mid|post)\.[A-Za-z0-9_-]+$/, { message: 'expected a step reference such as "mid.3"' });

export const checkSchema = z.strictObject({
  type: z.string().default(DEFAULT_CHECK_TYPE).describe('A non-mutating step type; http.check by default, or cloudwatch.alarm.'),
  with: z.record(z.string(), z.unknown()),
  interval: duration.default('30s').describe("How often `migrate watch` runs the check (Argo Rollouts: a metric's interval)."),
  description: z.string().optional(),
  warmup: duration
    .optional()
    .describe(
      'No judgement for this long after the check becomes active (after activeAfter was applied, or after the watch started): results are shown but neither count toward nor break a trigger. Argo Rollouts: initialDelay.',
    ),
  activeAfter: stepRef
    .optional()
    .describe(
      'The check only holds once this step has been applied (e.g. mid.2); before that it is shown as "not active" and never fails or fires a trigger.',
    ),
  activeUntil: stepRef
    .optional()
    .describe('The check stops holding once this step has been applied (e.g. mid.5b), and holds again if that step is rolled back.'),
});

export const MISSING_DATA = ['error', 'breaching', 'notBreaching', 'ignore'] as const;

export const triggerSchema = z
  .strictObject({
    check: z.string().describe('The name of a check in `checks:`.'),
    failingFor: duration
      .optional()
      .describe(
        'Continuous: the check must fail for this long without one success before the rollback is due (CloudFormation rollback triggers: an alarm in ALARM for the monitoring time). Probe errors neither continue nor break the run; see errorLimit.',
      ),
    failures: z
      .string()
      .regex(FAILURES, { message: 'expected "N of M": N failures among the last M results ("3 of 5") or within a window ("3 of 10m")' })
      .optional()
      .describe(
        'Cumulative: "N of M" is due once N of the last M results are failures ("3 of 5", CloudWatch\'s datapoints to alarm), or N failures within a window ("3 of 10m", Argo Rollouts\' failureLimit over the analysis). Probe errors are not results.',
      ),
    errorLimit: z
      .number()
      .int()
      .nonnegative()
      .default(4)
      .describe(
        'Probe errors (the probe could not run: connection refused, DNS failure, its own timeout) in a row beyond which the trigger is inconclusive: the watch alerts the humans and never rolls back by itself. Argo Rollouts: consecutiveErrorLimit (4).',
      ),
    missingData: z
      .enum(MISSING_DATA)
      .default('error')
      .describe(
        'What a result without data counts as (a CloudWatch alarm in INSUFFICIENT_DATA): error (a probe error, toward errorLimit), breaching (a failure), notBreaching (a success) or ignore (not counted). CloudWatch: TreatMissingData.',
      ),
    activeAfter: stepRef.optional().describe('The trigger only fires once this step has been applied; before that it is "not active".'),
    activeUntil: stepRef
      .optional()
      .describe('The trigger stops firing once this step has been applied (and fires again if it is rolled back).'),
  })
  .refine((t) => (t.failingFor === undefined) !== (t.failures === undefined), {
    message: 'a trigger needs exactly one of failingFor (continuous) or failures ("N of M")',
  });

export const COST_COUNTERS = ['cognito.usersCreatedSince', 'cognito.usersChangedSince'] as const;

export const costSchema = z.strictObject({
  counter: z
    .enum(COST_COUNTERS)
    .describe(
      'What a rollback would strand: users created in the pool (cognito.usersCreatedSince) or created or changed (cognito.usersChangedSince) since the step was applied.',
    ),
  since: stepRef.describe('The step whose applied time starts the count, e.g. mid.4 (Reval on the new pool).'),
  userPool: z.string().optional().describe('The Cognito user pool id or name; users.userPool by default.'),
});

export const rollbackEntrySchema = z.strictObject({
  id,
  title: z.string().min(1),
  when: z.string().optional().describe("The plan's condition, in words."),
  undo: z.array(z.string().regex(/^(pre|mid|post)\.[A-Za-z0-9_-]+$/, { message: 'expected a step reference such as "mid.3"' })).default([]),
  steps: z.array(stepNodeSchema).optional().describe('Steps run after the undo (e.g. a manual step).'),
  then: z.array(id).default([]).describe('Rollback entries to run after this one.'),
  trigger: triggerSchema.optional(),
  cost: costSchema
    .optional()
    .describe(
      'What this rollback would cost: the number of people who already used the new side (shown by status, watch and rollback --dry-run).',
    ),
  maxCost: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe(
      'Point of no return: with a cost above this, watch --auto-rollback alerts instead of firing, and a manual rollback asks the operator to type the cost (or --accept-cost N with --yes).',
    ),
});

export const usersMappingSchema = z.strictObject({
  userPool: z.string().describe('The Cognito user pool id or name.'),
  attributes: z.record(z.string(), z.string()).default({}).describe('Keycloak attribute -> Cognito attribute (e.g. DBC: custom:dbc).'),
  groups: z.record(z.string(), z.string()).default({}).describe('Keycloak group or realm role -> Cognito group.'),
  rate: z.number().positive().default(40).describe('Requests per second, kept below the Cognito quota.'),
  concurrency: z.number().int().positive().default(8),
});

export const runbookSchema = z.strictObject({
  version: z.literal(1),
  name: z.string().min(1),
  description: z.string().optional(),
  environments: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), environmentSchema).refine((e) => Object.keys(e).length > 0, {
    message: 'at least one environment is needed',
  }),
  vars: varsSchema.default({}),
  checks: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/), checkSchema).default({}),
  users: usersMappingSchema.optional(),
  phases: z.strictObject({
    pre: z.array(stepNodeSchema).default([]),
    mid: z.array(stepNodeSchema).default([]),
    post: z.array(stepNodeSchema).default([]),
  }),
  rollback: z.array(rollbackEntrySchema).default([]),
});

export type RunbookDocument = z.output<typeof runbookSchema>;
export type EnvironmentDef = z.output<typeof environmentSchema>;
export type RollbackEntryDoc = z.output<typeof rollbackEntrySchema>;
export type CheckDoc = z.output<typeof checkSchema>;
export type UsersMapping = z.output<typeof usersMappingSchema>;
