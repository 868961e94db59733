import type { z as Zod } from 'zod';
import type { UserPoolType } from '@aws-sdk/client-cognito-identity-provider';
import { RunbookError } from '../../errors.js';
import type { StepContext } from '../types.js';
import { errorName } from './assert.js';
import { shared } from './lookups.js';

/** Fields a step spreads into its params to name a user pool. */
export const userPoolRefFields = (z: typeof Zod) => ({
  userPoolId: z
    .string()
    .regex(/^[\w-]+_[0-9a-zA-Z]+$/, { message: 'expected a user pool id such as "eu-west-2_6g9Rz2m0r"' })
    .optional()
    .describe('The user pool id ("eu-west-2_6g9Rz2m0r"). Give this or userPoolName.'),
  userPoolName: z.string().min(1).optional().describe('The user pool name; it must be unique in the region. Give this or userPoolId.'),
});

const POOL_ARN = /^arn:aws[\w-]*:cognito-idp:([a-z0-9-]+):\d{12}:userpool\/([\w-]+_[0-9a-zA-Z]+)$/;

export const userPoolArnField = (z: typeof Zod) =>
  z.string().regex(POOL_ARN, {
    message: 'expected a user pool ARN such as "arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_6g9Rz2m0r"',
  });

export interface UserPoolRef {
  userPoolId?: string | undefined;
  userPoolName?: string | undefined;
  userPoolArn?: string | undefined;
}

/** "eu-west-2_abc" from "arn:aws:cognito-idp:eu-west-2:123456789012:userpool/eu-west-2_abc". */
export function poolIdFromArn(arn: string): string | undefined {
  return POOL_ARN.exec(arn)?.[2];
}

export function describeRef(ref: UserPoolRef): string {
  if (ref.userPoolArn) return ref.userPoolArn;
  if (ref.userPoolId) return ref.userPoolId;
  return `"${ref.userPoolName ?? '?'}"`;
}

/** Every user pool of the region, by id and name: one listing per read pass, whichever pool a step names. */
function listUserPools(ctx: StepContext): Promise<{ id: string; name: string }[]> {
  return shared(ctx, 'cognito-idp', 'ListUserPools', { MaxResults: 60 }, async () => {
    const { CognitoIdentityProviderClient, paginateListUserPools } = await import('../../aws/sdk/cognito.js');
    const client = await ctx.aws.client(CognitoIdentityProviderClient);
    const all: { id: string; name: string }[] = [];
    for await (const page of paginateListUserPools({ client, pageSize: 60 }, { MaxResults: 60 })) {
      for (const pool of page.UserPools ?? []) if (pool.Id) all.push({ id: pool.Id, name: pool.Name ?? '' });
    }
    return all;
  });
}

/** The id of the pool a step names: given, in its ARN, or the one pool with that name. */
export async function userPoolIdOf(ctx: StepContext, ref: UserPoolRef): Promise<string> {
  const id = ref.userPoolId ?? (ref.userPoolArn ? poolIdFromArn(ref.userPoolArn) : undefined);
  if (id) return id;
  const name = ref.userPoolName ?? '';
  const ids = (await listUserPools(ctx)).filter((pool) => pool.name === name).map((pool) => pool.id);
  if (ids.length === 0) {
    throw new RunbookError('ASSERTION_FAILED', `no Cognito user pool named "${name}" in ${ctx.env.region}`, {
      hint: 'Check the name (it is case-sensitive) and the environment, or give userPoolId.',
    });
  }
  if (ids.length > 1) {
    throw new RunbookError('STEP_FAILED', `${ids.length} Cognito user pools are named "${name}" in ${ctx.env.region}: ${ids.join(', ')}`, {
      hint: 'Name the pool by userPoolId instead.',
    });
  }
  return ids[0] as string;
}

/** DescribeUserPool of a pool by id. */
export function describeUserPoolById(ctx: StepContext, id: string): Promise<UserPoolType> {
  return shared(ctx, 'cognito-idp', 'DescribeUserPool', { UserPoolId: id }, async () => {
    const { CognitoIdentityProviderClient, DescribeUserPoolCommand } = await import('../../aws/sdk/cognito.js');
    const client = await ctx.aws.client(CognitoIdentityProviderClient);
    try {
      const out = await client.send(new DescribeUserPoolCommand({ UserPoolId: id }));
      if (!out.UserPool) throw new RunbookError('AWS_ERROR', `DescribeUserPool answered without a user pool for ${id}`);
      return out.UserPool;
    } catch (error) {
      if (errorName(error) === 'ResourceNotFoundException') {
        throw new RunbookError('ASSERTION_FAILED', `Cognito user pool ${id} does not exist in ${ctx.env.region}`, {
          cause: error,
          hint: 'Check the pool id and the environment (--env); a pool id starts with its region.',
        });
      }
      throw error;
    }
  });
}

/** The pool a step names, through DescribeUserPool; a pool named by name is found with ListUserPools. */
export async function describeUserPool(ctx: StepContext, ref: UserPoolRef): Promise<UserPoolType> {
  return describeUserPoolById(ctx, await userPoolIdOf(ctx, ref));
}

/** The names of a pool's app clients, in the order Cognito lists them. */
export function appClientNames(ctx: StepContext, id: string): Promise<string[]> {
  return shared(ctx, 'cognito-idp', 'ListUserPoolClients', { UserPoolId: id }, async () => {
    const { CognitoIdentityProviderClient, paginateListUserPoolClients } = await import('../../aws/sdk/cognito.js');
    const client = await ctx.aws.client(CognitoIdentityProviderClient);
    const names: string[] = [];
    for await (const page of paginateListUserPoolClients({ client, pageSize: 60 }, { UserPoolId: id, MaxResults: 60 })) {
      for (const c of page.UserPoolClients ?? []) if (c.ClientName) names.push(c.ClientName);
    }
    return names;
  });
}

/** The ARN of the pool a step names; an ARN given outright is checked only when it is in this region. */
export async function resolveUserPoolArn(ctx: StepContext, ref: UserPoolRef): Promise<string> {
  // This environment's client cannot describe a pool in another region: such an ARN is taken as given.
  if (ref.userPoolArn && POOL_ARN.exec(ref.userPoolArn)?.[1] !== ctx.env.region) return ref.userPoolArn;
  const pool = await describeUserPool(ctx, ref);
  if (!pool.Arn) throw new RunbookError('AWS_ERROR', `DescribeUserPool returned no ARN for ${pool.Id ?? describeRef(ref)}`);
  return pool.Arn;
}
