import { z } from 'zod';

/**
 * The runbook document as written. Step parameters (`with`) are checked separately against each
 * step type's own schema, after interpolation, because `${vars.x}` may stand where a number goes.
 */
import { DURATION, PHASES, type PhaseName } from './constants.js';

export { DURATION, PHASES, type PhaseName };
export const duration = z
  .string()
  .regex(DURATION, { message: 'expected a duration such as "90s", "5m" or "1h"' })
  .describe('A duration: a number and one of ms, s, m, h, d ("90s", "5m", "1h").');

const id = z
  .union([z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, { message: 'expected an id of letters, digits, "-" or "_" (such as "3" or "1a")' }), z.number().int().nonnegative()])
  .transform((v) => String(v));

const scalar = z.union([z.string(), z.number(), z.boolean()]);
const varsSchema = z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/), scalar);

export const terraformSchema = z
  .strictObject({
    outputs: z.string().min(1).optional().describe('The JSON `terraform output -json` writes, relative to the runbook (${env.X} may stand in it).'),
    state: z
      .string()
      .regex(/^s3:\/\/[^/]+\/.+/, { message: 'expected s3://bucket/key of a terraform state' })
      .optional()
      .describe('A terraform state on S3, read with one read-only GetObject; its `outputs` answer ${tf.NAME}.'),
  })
  .refine((t) => (t.outputs === undefined) !== (t.state === undefined), { message: 'give exactly one of outputs: FILE or state: s3://bucket/key' })
  .describe('Where ${tf.NAME} is read from for this environment.');

export const environmentSchema = z.strictObject({
  region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, { message: 'expected an AWS region such as "eu-west-2"' }),
  account: z.string().regex(/^\d{12}$/, { message: 'expected a 12-digit AWS account id, quoted ("123456789012")' }),
  protected: z.boolean().optional().describe('Ask the operator to type the environment name before a mutating run.'),
  description: z.string().optional(),
  vars: varsSchema.optional(),
  terraform: terraformSchema.optional(),
  profile: z.string().min(1).optional().describe('The AWS config profile for this environment (SSO, credential_process, role chaining, MFA as in the AWS CLI); --profile overrides it.'),
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

export const checkSchema = z.strictObject({
  type: z.string().default('http.check').describe('A non-mutating step type; http.check by default.'),
  with: z.record(z.string(), z.unknown()),
  interval: duration.default('30s').describe('How often `migrate watch` runs the check.'),
  description: z.string().optional(),
});

export const triggerSchema = z.strictObject({
  check: z.string().describe('The name of a check in `checks:`.'),
  failingFor: duration.describe('How long the check must fail without recovering before the rollback is due.'),
});

export const rollbackEntrySchema = z.strictObject({
  id,
  title: z.string().min(1),
  when: z.string().optional().describe("The plan's condition, in words."),
  undo: z.array(z.string().regex(/^(pre|mid|post)\.[A-Za-z0-9_-]+$/, { message: 'expected a step reference such as "mid.3"' })).default([]),
  steps: z.array(stepNodeSchema).optional().describe('Steps run after the undo (e.g. a manual step).'),
  then: z.array(id).default([]).describe('Rollback entries to run after this one.'),
  trigger: triggerSchema.optional(),
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
