import type { z } from 'zod';
import { lazySchema } from './support/zod.js';
import { RunbookError } from '../errors.js';
import type { StepContext, StepType } from './types.js';
import {
  apiGatewayClient,
  apiKey,
  deployIfInterrupted,
  deployStage,
  describeApi,
  findRestApi,
  requireStage,
  restApiIdOf,
  restApiRefFields,
  stageField,
} from './support/apigateway.js';
import { recordedBefore } from './support/checkpoint.js';
import { inOrder } from './support/lookups.js';
import { exactlyOne, rule } from './support/params.js';
import { HTTP_METHODS, deniedMethods, normalizePolicy, policyToSend, restrictedPolicy } from './support/policy.js';

const params = lazySchema((z) => {
  return z
    .strictObject({
      ...restApiRefFields(z),
      stage: stageField(z),
      allow: z
        .array(z.enum(HTTP_METHODS))
        .min(1)
        .default(['GET', 'HEAD', 'OPTIONS'])
        .describe(
          "The HTTP methods that keep working on the stage; every other method is denied (403) by the REST API's resource policy. Allowing every method lifts a restriction this step made.",
        ),
    })
    .superRefine(...rule(exactlyOne('restApiId', 'restApiName')));
});
export type RestrictMethodsParams = z.output<ReturnType<typeof params>>;

export interface RestrictMethodsState {
  /** The REST API's resource policy exactly as GetRestApi returns it; null when it has none. */
  policy: string | null;
  /** The stage's deployment, which changes with every deploy. */
  deploymentId: string | null;
}

const NEW_DEPLOYMENT = '(new deployment)';
/** API Gateway's limit on a REST API resource policy (developerguide/limits.html). */
export const POLICY_MAX_CHARS = 8192;

async function read(ctx: StepContext, p: RestrictMethodsParams): Promise<RestrictMethodsState> {
  const restApiId = await restApiIdOf(ctx, p);
  const [api, stage] = await inOrder([findRestApi(ctx, { restApiId }), requireStage(ctx, restApiId, p.stage)]);
  return { policy: api.policy ? api.policy : null, deploymentId: stage.deploymentId ?? null };
}

/** Puts a resource policy on the API (or removes it) and deploys the stage, so it takes effect. */
async function putPolicy(ctx: StepContext, p: RestrictMethodsParams, policy: string | null, why: string): Promise<RestrictMethodsState> {
  const { UpdateRestApiCommand } = await import('../aws/sdk/apigateway.js');
  const client = await apiGatewayClient(ctx);
  const api = await findRestApi(ctx, p);
  await requireStage(ctx, api.id, p.stage);
  // Removing a policy is a replace with an empty value, as Terraform's provider does.
  await client.send(
    new UpdateRestApiCommand({ restApiId: api.id, patchOperations: [{ op: 'replace', path: '/policy', value: policy ?? '' }] }),
  );
  await deployStage(ctx, api.id, p.stage, `migrate: ${why}`);
  return read(ctx, p);
}

export const restrictMethods: StepType<RestrictMethodsParams, RestrictMethodsState> = {
  name: 'apigateway.restrictMethods',
  description: "Allow only some HTTP methods on a REST API stage (the rest answer 403) through the API's resource policy, then deploy.",
  get params() {
    return params();
  },
  mutates: true,
  usesAws: true,
  read,
  // The policy is the API's, whichever stage a step restricts; the stage's deployment id is
  // volatile (every deploy makes a new one) and kept out of `same`.
  resources: (p) => [`${apiKey(p)}/policy`],
  plan(current, p) {
    const deny = deniedMethods(p.allow);
    const desired = restrictedPolicy(current.policy, p.stage, deny);
    const scope = `${describeApi(p)} stage ${p.stage}`;
    const lifting = deny.length === 0;
    if (normalizePolicy(current.policy) === normalizePolicy(desired)) {
      return {
        noop: true,
        current,
        summary: lifting ? `${scope} has no restriction to lift` : `${scope} already allows only ${p.allow.join(', ')}`,
      };
    }
    if (desired !== null && desired.length > POLICY_MAX_CHARS) {
      throw new RunbookError(
        'RUNBOOK_INVALID',
        `${scope}: the resource policy would be ${desired.length} characters with this step's statements, above API Gateway's limit of ${POLICY_MAX_CHARS}`,
        {
          hint: 'Shorten the existing policy (merge statements, use wildcards in Resource) so the Deny fits, then plan again; AWS would refuse the update.',
        },
      );
    }
    return {
      noop: false,
      before: current,
      after: { policy: desired, deploymentId: NEW_DEPLOYMENT },
      summary: lifting
        ? `${scope}: lift the restriction, every method allowed again (resource policy, then deploy)`
        : `${scope}: allow only ${p.allow.join(', ')}; ${deny.join(', ')} answer 403 (resource policy, then deploy)`,
    };
  },
  async apply(ctx, change, p) {
    return putPolicy(ctx, p, change.after.policy, `allow only ${p.allow.join(', ')}`);
  },
  verify: (ctx, p, state) => deployIfInterrupted(ctx, p, p.stage, state),
  async undo(ctx, checkpoint) {
    const before = recordedBefore(checkpoint);
    return putPolicy(
      ctx,
      checkpoint.params,
      before.policy === null ? null : policyToSend(before.policy),
      'restore the resource policy from before the restriction',
    );
  },
  same(a, b) {
    return normalizePolicy(a.policy) === normalizePolicy(b.policy);
  },
};
