import { beforeEach, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-vitest/extend';
import {
  CognitoIdentityProviderClient,
  DescribeUserPoolCommand,
  ListUserPoolClientsCommand,
  ListUserPoolsCommand,
  ResourceNotFoundException,
} from '@aws-sdk/client-cognito-identity-provider';
import { assertUserPool, type UserPoolState } from '../../src/steps/cognito.assertUserPool.js';
import { RunbookError } from '../../src/errors.js';
import { mockedContext } from './helpers/context.js';

const idp = mockClient(CognitoIdentityProviderClient);
const MIG = 'arn:aws:lambda:eu-west-2:123456789012:function:tis-user-migration';
const PRE = 'arn:aws:lambda:eu-west-2:123456789012:function:tis-pre-token';

const params = (extra: Record<string, unknown> = {}) => assertUserPool.params.parse({ userPoolName: 'tis', ...extra });

const good: UserPoolState = {
  userPoolId: 'eu-west-2_Tis',
  userPoolName: 'tis',
  arn: 'arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_Tis',
  passwordPolicy: {
    minimumLength: 8,
    requireUppercase: true,
    requireLowercase: true,
    requireNumbers: true,
    requireSymbols: true,
    temporaryPasswordValidityDays: 7,
  },
  triggers: { userMigration: MIG, preTokenGeneration: PRE },
  appClients: ['admins-ui', 'reval'],
  emailFrom: 'TIS <no-reply@tis.nhs.uk>',
  emailSendingAccount: 'DEVELOPER',
};

function failure(fn: () => unknown): RunbookError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RunbookError) return error;
    throw error;
  }
  throw new Error('expected a RunbookError');
}

beforeEach(() => idp.reset());

describe('cognito.assertUserPool plan', () => {
  const all = {
    passwordPolicy: 'default',
    triggers: { userMigration: true, preTokenGeneration: PRE },
    appClients: ['admins-ui'],
    emailFrom: 'no-reply@tis.nhs.uk',
  };

  it('is a noop when every assertion holds', () => {
    const change = assertUserPool.plan(good, params(all));
    expect(change).toMatchObject({ noop: true });
    expect(change.summary).toBe(
      'user pool "tis" (eu-west-2_Tis): password policy default; triggers userMigration, preTokenGeneration; app client admins-ui; FROM no-reply@tis.nhs.uk',
    );
  });

  it('throws ASSERTION_FAILED with one diff line per field that differs', () => {
    const bad: UserPoolState = {
      ...good,
      passwordPolicy: { ...good.passwordPolicy!, minimumLength: 6, requireSymbols: false },
      triggers: { preTokenGeneration: 'arn:aws:lambda:eu-west-2:123456789012:function:other' },
      appClients: ['reval'],
      emailFrom: null,
      emailSendingAccount: 'COGNITO_DEFAULT',
    };
    const error = failure(() => assertUserPool.plan(bad, params(all)));
    expect(error.code).toBe('ASSERTION_FAILED');
    expect(error.message).toBe('user pool "tis" (eu-west-2_Tis) does not match the runbook (6 differences)');
    expect(error.details).toEqual([
      '  passwordPolicy.minimumLength: expected 8, found 6',
      '  passwordPolicy.requireSymbols: expected true, found false',
      '  triggers.userMigration: expected a Lambda, found (not set)',
      `  triggers.preTokenGeneration: expected ${PRE}, found arn:aws:lambda:eu-west-2:123456789012:function:other`,
      '  appClients: expected a client named "admins-ui", found reval',
      "  emailFrom: expected an address containing no-reply@tis.nhs.uk, found (not set: Cognito's own address, COGNITO_DEFAULT)",
    ]);
    expect(error.hint).toMatch(/Terraform/);
  });

  it('checks only the password fields given, and accepts a Lambda by function name', () => {
    const state = { ...good, passwordPolicy: { ...good.passwordPolicy!, minimumLength: 12 } };
    expect(assertUserPool.plan(state, params({ passwordPolicy: { minimumLength: 12 } })).noop).toBe(true);
    expect(assertUserPool.plan(good, params({ triggers: { userMigration: 'tis-user-migration' } })).noop).toBe(true);
    expect(failure(() => assertUserPool.plan(good, params({ triggers: { userMigration: 'other-fn' } }))).details).toEqual([
      `  triggers.userMigration: expected other-fn, found ${MIG}`,
    ]);
  });

  it('reports a pool without any password policy', () => {
    expect(
      failure(() => assertUserPool.plan({ ...good, passwordPolicy: null }, params({ passwordPolicy: { minimumLength: 8 } }))).details,
    ).toEqual(['  passwordPolicy.minimumLength: expected 8, found (not set)']);
  });

  it('takes the pool by id or by name, not both', () => {
    expect(assertUserPool.params.safeParse({}).success).toBe(false);
    expect(assertUserPool.params.safeParse({ userPoolId: 'eu-west-2_Tis', userPoolName: 'tis' }).success).toBe(false);
    expect(assertUserPool.params.safeParse({ userPoolId: 'eu-west-2_Tis', passwordPolicy: 'strong' }).success).toBe(false);
  });
});

describe('cognito.assertUserPool read', () => {
  it('finds the pool by name across pages and returns the fields it checks', async () => {
    idp
      .on(ListUserPoolsCommand)
      .resolvesOnce({ UserPools: [{ Id: 'eu-west-2_Other', Name: 'other' }], NextToken: 't1' })
      .resolves({ UserPools: [{ Id: 'eu-west-2_Tis', Name: 'tis' }] });
    idp.on(DescribeUserPoolCommand).resolves({
      UserPool: {
        Id: 'eu-west-2_Tis',
        Name: 'tis',
        Arn: good.arn,
        Policies: {
          PasswordPolicy: {
            MinimumLength: 8,
            RequireUppercase: true,
            RequireLowercase: true,
            RequireNumbers: true,
            RequireSymbols: true,
            TemporaryPasswordValidityDays: 7,
          },
        },
        LambdaConfig: { UserMigration: MIG, PreTokenGenerationConfig: { LambdaArn: PRE, LambdaVersion: 'V2_0' } },
        EmailConfiguration: { EmailSendingAccount: 'DEVELOPER', From: 'TIS <no-reply@tis.nhs.uk>' },
      },
    });
    idp
      .on(ListUserPoolClientsCommand)
      .resolvesOnce({ UserPoolClients: [{ ClientName: 'reval' }], NextToken: 'c1' })
      .resolves({ UserPoolClients: [{ ClientName: 'admins-ui' }] });
    expect(await assertUserPool.read(mockedContext(), params())).toEqual(good);
    expect(idp).toHaveReceivedCommandWith(ListUserPoolsCommand, { NextToken: 't1' });
    expect(idp).toHaveReceivedCommandWith(DescribeUserPoolCommand, { UserPoolId: 'eu-west-2_Tis' });
  });

  it('says so when no pool, or more than one, has the name', async () => {
    idp.on(ListUserPoolsCommand).resolves({ UserPools: [{ Id: 'eu-west-2_Other', Name: 'other' }] });
    await expect(assertUserPool.read(mockedContext(), params())).rejects.toMatchObject({
      code: 'ASSERTION_FAILED',
      message: 'no Cognito user pool named "tis" in eu-west-2',
    });
    idp.on(ListUserPoolsCommand).resolves({
      UserPools: [
        { Id: 'eu-west-2_A', Name: 'tis' },
        { Id: 'eu-west-2_B', Name: 'tis' },
      ],
    });
    await expect(assertUserPool.read(mockedContext(), params())).rejects.toMatchObject({
      code: 'STEP_FAILED',
      hint: 'Name the pool by userPoolId instead.',
    });
  });

  it('turns a missing pool id into an assertion failure that keeps the SDK error as cause', async () => {
    const sdkError = new ResourceNotFoundException({
      message: 'User pool eu-west-2_Gone does not exist.',
      $metadata: { httpStatusCode: 400, requestId: 'r1' },
    });
    idp.on(DescribeUserPoolCommand).rejects(sdkError);
    const error = await assertUserPool.read(mockedContext(), assertUserPool.params.parse({ userPoolId: 'eu-west-2_Gone' })).then(
      () => undefined,
      (e: unknown) => e as RunbookError,
    );
    expect(error).toMatchObject({ code: 'ASSERTION_FAILED', message: 'Cognito user pool eu-west-2_Gone does not exist in eu-west-2' });
    expect(error?.cause).toBe(sdkError);
  });
});
