import type { z } from 'zod';
import { lazySchema } from './support/zod.js';
import type { LambdaConfigType, UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import type { StepType } from './types.js';
import { assertionFailed, diffLine } from './support/assert.js';
import { appClientNames, describeUserPoolById, userPoolIdOf, userPoolRefFields } from './support/cognito.js';
import { inOrder } from './support/lookups.js';
import { exactlyOne, rule } from './support/params.js';

/** Cognito's password policy when a pool is created without one (and what "default" asserts). */
export const DEFAULT_PASSWORD_POLICY = {
  minimumLength: 8,
  requireUppercase: true,
  requireLowercase: true,
  requireNumbers: true,
  requireSymbols: true,
  temporaryPasswordValidityDays: 7,
} as const;
type PasswordPolicyKey = keyof typeof DEFAULT_PASSWORD_POLICY;
const POLICY_KEYS = Object.keys(DEFAULT_PASSWORD_POLICY) as PasswordPolicyKey[];

/** Runbook name -> LambdaConfig field, for the triggers that name one Lambda. */
const TRIGGERS = {
  userMigration: 'UserMigration',
  preTokenGeneration: 'PreTokenGeneration',
  preSignUp: 'PreSignUp',
  postConfirmation: 'PostConfirmation',
  preAuthentication: 'PreAuthentication',
  postAuthentication: 'PostAuthentication',
  customMessage: 'CustomMessage',
  defineAuthChallenge: 'DefineAuthChallenge',
  createAuthChallenge: 'CreateAuthChallenge',
  verifyAuthChallengeResponse: 'VerifyAuthChallengeResponse',
} as const satisfies Record<string, keyof LambdaConfigType>;
type TriggerKey = keyof typeof TRIGGERS;
const TRIGGER_KEYS = Object.keys(TRIGGERS) as TriggerKey[];

const params = lazySchema((z) => {
  const triggerExpectation = z
    .union([z.literal(true), z.string().min(1)])
    .describe('true: the trigger names some Lambda. A string: the Lambda it must name, as an ARN or a function name.');

  const passwordPolicy = z.strictObject({
    minimumLength: z.coerce.number().int().min(6).max(99).optional(),
    requireUppercase: z.boolean().optional(),
    requireLowercase: z.boolean().optional(),
    requireNumbers: z.boolean().optional(),
    requireSymbols: z.boolean().optional(),
    temporaryPasswordValidityDays: z.coerce.number().int().min(0).max(365).optional(),
  });

  return z
    .strictObject({
      ...userPoolRefFields(z),
      passwordPolicy: z
        .union([z.literal('default'), passwordPolicy])
        .optional()
        .describe(
          '"default": Cognito\'s default policy (length 8, upper, lower, numbers and symbols required, temporary passwords valid 7 days). Or the fields to check; fields left out are not checked.',
        ),
      triggers: z
        .strictObject(
          Object.fromEntries(TRIGGER_KEYS.map((k) => [k, triggerExpectation.optional()])) as Record<
            TriggerKey,
            z.ZodOptional<typeof triggerExpectation>
          >,
        )
        .optional()
        .describe(
          'Lambda triggers that must be set, such as { userMigration: true, preTokenGeneration: "arn:aws:lambda:...:function:tis-pre-token" }.',
        ),
      appClients: z
        .array(z.string().min(1))
        .min(1)
        .optional()
        .describe('Names of app clients that must exist in the pool, such as ["admins-ui"].'),
      emailFrom: z
        .string()
        .min(1)
        .optional()
        .describe('Text the pool\'s FROM email address must contain (case-insensitive), such as "no-reply@tis.nhs.uk".'),
    })
    .superRefine(...rule(exactlyOne('userPoolId', 'userPoolName')));
});
export type AssertUserPoolParams = z.output<ReturnType<typeof params>>;

export interface UserPoolState {
  userPoolId: string;
  userPoolName: string;
  arn: string;
  passwordPolicy: Record<PasswordPolicyKey, number | boolean | null> | null;
  /** Only the triggers that are set, as their Lambda ARNs. */
  triggers: Partial<Record<TriggerKey, string>>;
  /** App client names, sorted. */
  appClients: string[];
  emailFrom: string | null;
  emailSendingAccount: string | null;
}

function stateOf(pool: UserPoolType, appClients: string[]): UserPoolState {
  const policy = pool.Policies?.PasswordPolicy;
  const lambda = pool.LambdaConfig ?? {};
  const triggers: Partial<Record<TriggerKey, string>> = {};
  for (const key of TRIGGER_KEYS) {
    // A pool on the V2 pre-token-generation event names its Lambda in PreTokenGenerationConfig only.
    const arn =
      key === 'preTokenGeneration' ? (lambda.PreTokenGeneration ?? lambda.PreTokenGenerationConfig?.LambdaArn) : lambda[TRIGGERS[key]];
    if (typeof arn === 'string' && arn) triggers[key] = arn;
  }
  return {
    userPoolId: pool.Id ?? '',
    userPoolName: pool.Name ?? '',
    arn: pool.Arn ?? '',
    passwordPolicy: policy
      ? {
          minimumLength: policy.MinimumLength ?? null,
          requireUppercase: policy.RequireUppercase ?? null,
          requireLowercase: policy.RequireLowercase ?? null,
          requireNumbers: policy.RequireNumbers ?? null,
          requireSymbols: policy.RequireSymbols ?? null,
          temporaryPasswordValidityDays: policy.TemporaryPasswordValidityDays ?? null,
        }
      : null,
    triggers,
    appClients: [...appClients].sort(),
    emailFrom: pool.EmailConfiguration?.From ?? null,
    emailSendingAccount: pool.EmailConfiguration?.EmailSendingAccount ?? null,
  };
}

/** An ARN matches itself; a bare name matches the function name inside an ARN. */
function lambdaMatches(expected: string, arn: string): boolean {
  if (expected.startsWith('arn:')) return expected === arn;
  return arn.split(':')[6] === expected;
}

export function diffUserPool(current: UserPoolState, p: AssertUserPoolParams): string[] {
  const lines: string[] = [];
  if (p.passwordPolicy) {
    const expected: Partial<Record<PasswordPolicyKey, number | boolean>> =
      p.passwordPolicy === 'default' ? DEFAULT_PASSWORD_POLICY : p.passwordPolicy;
    for (const key of POLICY_KEYS) {
      const want = expected[key];
      const found = current.passwordPolicy?.[key] ?? null;
      if (want !== undefined && want !== found) lines.push(diffLine(`passwordPolicy.${key}`, want, found));
    }
  }
  for (const key of TRIGGER_KEYS) {
    const want = p.triggers?.[key];
    if (want === undefined) continue;
    const found = current.triggers[key];
    if (want === true ? !found : !found || !lambdaMatches(want, found))
      lines.push(diffLine(`triggers.${key}`, want === true ? 'a Lambda' : want, found));
  }
  for (const name of p.appClients ?? []) {
    if (!current.appClients.includes(name))
      lines.push(diffLine('appClients', `a client named "${name}"`, current.appClients.length ? current.appClients.join(', ') : '(none)'));
  }
  if (p.emailFrom !== undefined && !(current.emailFrom ?? '').toLowerCase().includes(p.emailFrom.toLowerCase())) {
    lines.push(
      diffLine(
        'emailFrom',
        `an address containing ${p.emailFrom}`,
        current.emailFrom ?? `(not set: Cognito's own address, ${current.emailSendingAccount ?? 'COGNITO_DEFAULT'})`,
      ),
    );
  }
  return lines;
}

function checked(p: AssertUserPoolParams): string {
  const bits = [
    p.passwordPolicy ? `password policy ${p.passwordPolicy === 'default' ? 'default' : 'as given'}` : '',
    p.triggers ? `triggers ${Object.keys(p.triggers).join(', ')}` : '',
    p.appClients ? `app client${p.appClients.length > 1 ? 's' : ''} ${p.appClients.join(', ')}` : '',
    p.emailFrom ? `FROM ${p.emailFrom}` : '',
  ].filter(Boolean);
  return bits.length ? bits.join('; ') : 'exists';
}

export const assertUserPool: StepType<AssertUserPoolParams, UserPoolState> = {
  name: 'cognito.assertUserPool',
  description: 'Check a Cognito user pool: password policy, Lambda triggers, app clients, FROM email address.',
  get params() {
    return params();
  },
  mutates: false,
  usesAws: true,
  async read(ctx, p) {
    const id = await userPoolIdOf(ctx, p);
    const [pool, names] = await inOrder([describeUserPoolById(ctx, id), appClientNames(ctx, id)]);
    return stateOf(pool, names);
  },
  plan(current, p) {
    const subject = `user pool "${current.userPoolName}" (${current.userPoolId})`;
    const lines = diffUserPool(current, p);
    if (lines.length)
      throw assertionFailed(
        subject,
        lines,
        'The pool is terraformed: correct it in the Terraform (TIS-OPS) and apply, then run this phase again.',
      );
    return { noop: true, current, summary: `${subject}: ${checked(p)}` };
  },
  async apply(_ctx, change) {
    return change.after;
  },
};
