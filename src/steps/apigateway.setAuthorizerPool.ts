import type { z } from 'zod';
import { lazySchema } from './support/zod.js';
import type { Authorizer, PatchOperation } from '@aws-sdk/client-api-gateway';
import { RunbookError, isRunbookError } from '../errors.js';
import type { StepContext, StepType } from './types.js';
import {
  apiGatewayClient,
  apiKey,
  deployIfInterrupted,
  deployStage,
  describeApi,
  findRestApi,
  listAuthorizers,
  provenToExist,
  requireStage,
  restApiIdOf,
  restApiRefFields,
  stageField,
} from './support/apigateway.js';
import { recordedBefore } from './support/checkpoint.js';
import { background, inOrder } from './support/lookups.js';
import { describeRef, resolveUserPoolArn, userPoolArnField, userPoolRefFields } from './support/cognito.js';
import { exactlyOne, rule } from './support/params.js';

const params = lazySchema((z) => {
  return z
    .strictObject({
      ...restApiRefFields(z),
      authorizerName: z
        .string()
        .min(1)
        .optional()
        .describe('The authorizer to repoint; left out, the API must have exactly one COGNITO_USER_POOLS authorizer.'),
      userPoolArn: userPoolArnField(z)
        .optional()
        .describe('The user pool the authorizer must name afterwards, by ARN. Give this, userPoolId or userPoolName.'),
      ...userPoolRefFields(z),
      stage: stageField(z)
        .optional()
        .describe('The stage to deploy after the change so it takes effect, such as "prod". Leave out only if a later step deploys.'),
    })
    .superRefine(...rule(exactlyOne('restApiId', 'restApiName')))
    .superRefine(...rule(exactlyOne('userPoolArn', 'userPoolId', 'userPoolName')));
});
export type SetAuthorizerPoolParams = z.output<ReturnType<typeof params>>;

export interface AuthorizerPoolState {
  authorizerId: string;
  authorizerName: string;
  /** The user pools the authorizer accepts tokens from, sorted. */
  providerARNs: string[];
  /** The stage's deployment, when the params name a stage. */
  deploymentId?: string | null;
  /** The ARN of the pool the params name; null (with the reason) when it cannot be found. */
  targetPoolArn: string | null;
  targetPoolProblem?: string;
}

const COGNITO = 'COGNITO_USER_POOLS';
const NEW_DEPLOYMENT = '(new deployment)';

async function findAuthorizer(ctx: StepContext, restApiId: string, p: SetAuthorizerPoolParams): Promise<Authorizer & { id: string }> {
  const all = await listAuthorizers(ctx, restApiId);
  const matches = p.authorizerName !== undefined ? all.filter((a) => a.name === p.authorizerName) : all.filter((a) => a.type === COGNITO);
  const names = all.map((a) => `${a.name ?? '?'} (${a.type ?? '?'})`).join(', ') || 'none';
  if (matches.length !== 1 || !matches[0]?.id) {
    const wanted = p.authorizerName !== undefined ? `an authorizer named "${p.authorizerName}"` : `exactly one ${COGNITO} authorizer`;
    throw new RunbookError(
      matches.length === 0 ? 'ASSERTION_FAILED' : 'STEP_FAILED',
      `${describeApi(p)} does not have ${wanted}; it has: ${names}`,
      {
        hint: p.authorizerName !== undefined ? 'Check authorizerName against the API.' : 'Name the authorizer with authorizerName.',
      },
    );
  }
  const found = matches[0] as Authorizer & { id: string };
  if (found.type !== COGNITO) {
    throw new RunbookError(
      'ASSERTION_FAILED',
      `authorizer "${found.name ?? found.id}" of ${describeApi(p)} is of type ${found.type ?? '?'}, not ${COGNITO}`,
      {
        hint: 'Only a Cognito user pool authorizer names user pools; check authorizerName.',
      },
    );
  }
  return found;
}

/**
 * The patch that turns `live` into `desired`: every add before any remove, because AWS refuses a
 * providerARNs list that becomes empty at any point (Terraform's provider orders them the same way).
 */
export function providerArnOps(live: readonly string[], desired: readonly string[]): PatchOperation[] {
  return [
    ...desired.filter((arn) => !live.includes(arn)).map((arn): PatchOperation => ({ op: 'add', path: '/providerARNs', value: arn })),
    ...live.filter((arn) => !desired.includes(arn)).map((arn): PatchOperation => ({ op: 'remove', path: '/providerARNs', value: arn })),
  ];
}

async function readAuthorizer(ctx: StepContext, p: SetAuthorizerPoolParams): Promise<Omit<AuthorizerPoolState, 'targetPoolArn'>> {
  const restApiId = await restApiIdOf(ctx, p);
  const [, auth, stage] = await inOrder([
    provenToExist(ctx, p),
    findAuthorizer(ctx, restApiId, p),
    p.stage ? requireStage(ctx, restApiId, p.stage) : undefined,
  ]);
  const state: Omit<AuthorizerPoolState, 'targetPoolArn'> = {
    authorizerId: auth.id,
    authorizerName: auth.name ?? '',
    providerARNs: [...(auth.providerARNs ?? [])].sort(),
  };
  if (stage) state.deploymentId = stage.deploymentId ?? null;
  return state;
}

async function setProviderArns(ctx: StepContext, p: SetAuthorizerPoolParams, desired: readonly string[], why: string): Promise<void> {
  const { UpdateAuthorizerCommand } = await import('../aws/sdk/apigateway.js');
  const client = await apiGatewayClient(ctx);
  const api = await findRestApi(ctx, p);
  const auth = await findAuthorizer(ctx, api.id, p);
  if (p.stage) await requireStage(ctx, api.id, p.stage);
  const patchOperations = providerArnOps(auth.providerARNs ?? [], desired);
  if (patchOperations.length) await client.send(new UpdateAuthorizerCommand({ restApiId: api.id, authorizerId: auth.id, patchOperations }));
  if (p.stage) await deployStage(ctx, api.id, p.stage, `migrate: ${why}`);
}

async function read(ctx: StepContext, p: SetAuthorizerPoolParams): Promise<AuthorizerPoolState> {
  // The target pool does not depend on the API: looked up meanwhile, judged after the authorizer.
  const target = background(resolveUserPoolArn(ctx, p));
  const state = await readAuthorizer(ctx, p);
  try {
    return { ...state, targetPoolArn: await target };
  } catch (error) {
    // A missing target pool is the plan's to refuse; reading (and the drift check before an undo) still works.
    if (isRunbookError(error) && error.code === 'ASSERTION_FAILED')
      return { ...state, targetPoolArn: null, targetPoolProblem: error.message };
    throw error;
  }
}

const sameArns = (a: readonly string[], b: readonly string[]): boolean =>
  a.length === b.length && [...a].sort().every((x, i) => x === [...b].sort()[i]);

export const setAuthorizerPool: StepType<SetAuthorizerPoolParams, AuthorizerPoolState> = {
  name: 'apigateway.setAuthorizerPool',
  description:
    "Repoint a REST API's Cognito authorizer to another user pool (add the new pool, then remove the old), then deploy the stage.",
  get params() {
    return params();
  },
  mutates: true,
  usesAws: true,
  read,
  // Without authorizerName the step acts on the API's one Cognito authorizer.
  resources: (p) => [`${apiKey(p)}/authorizer/${p.authorizerName ?? '(cognito)'}`],
  plan(current, p) {
    const target = current.targetPoolArn;
    if (target === null) {
      throw new RunbookError('ASSERTION_FAILED', current.targetPoolProblem ?? `the user pool ${describeRef(p)} cannot be found`, {
        hint: 'The authorizer would name a pool that does not exist and every request would fail: create the pool first, or check the runbook.',
      });
    }
    const scope = `authorizer "${current.authorizerName}" of ${describeApi(p)}`;
    if (sameArns(current.providerARNs, [target])) return { noop: true, current, summary: `${scope} already names ${target}` };
    const after: AuthorizerPoolState = { ...current, providerARNs: [target] };
    if (p.stage) after.deploymentId = NEW_DEPLOYMENT;
    // Without a deployment callers keep the stage's old snapshot of the authorizer: say so.
    const deploy = p.stage
      ? `, then deploy ${p.stage}`
      : '; NO deployment is made (no stage given): callers see the change only once a later step or someone deploys the API';
    return {
      noop: false,
      before: current,
      after,
      summary: `${scope}: user pool ${current.providerARNs.join(', ') || '(none)'} -> ${target}${deploy}`,
    };
  },
  async apply(ctx, change, p) {
    const target = change.after.providerARNs;
    await setProviderArns(ctx, p, target, `authorizer -> ${target.join(', ')}`);
    return read(ctx, p);
  },
  verify: (ctx, p, state) => deployIfInterrupted(ctx, p, p.stage, state),
  async undo(ctx, checkpoint) {
    const before = recordedBefore(checkpoint);
    if (before.providerARNs.length === 0) {
      throw new RunbookError(
        'STATE_CORRUPT',
        `the checkpoint of ${checkpoint.ref} records an authorizer without user pools, which AWS does not allow`,
      );
    }
    await setProviderArns(ctx, checkpoint.params, before.providerARNs, `restore authorizer -> ${before.providerARNs.join(', ')}`);
    return read(ctx, checkpoint.params);
  },
  same(a, b) {
    return sameArns(a.providerARNs, b.providerARNs);
  },
};
