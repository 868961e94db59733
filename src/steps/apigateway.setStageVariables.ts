import type { z } from 'zod';
import { lazySchema } from './support/zod.js';
import { RunbookError } from '../errors.js';
import type { PatchOperation } from '@aws-sdk/client-api-gateway';
import type { StepContext, StepType } from './types.js';
import {
  apiGatewayClient,
  apiKey,
  deployIfInterrupted,
  deployStage,
  describeApi,
  findRestApi,
  provenToExist,
  requireStage,
  restApiIdOf,
  restApiRefFields,
  stageField,
} from './support/apigateway.js';
import { recordedBefore } from './support/checkpoint.js';
import { inOrder } from './support/lookups.js';
import { show } from './support/assert.js';
import { exactlyOne, rule } from './support/params.js';

const params = lazySchema((z) => {
  const variableValue = z
    .string()
    .regex(/^[A-Za-z0-9\-._~:/?#&=,]{1,512}$/, {
      message: 'a stage variable value is 1-512 of the characters A-Z a-z 0-9 - . _ ~ : / ? # & = ,',
    })
    .nullable();

  return z
    .strictObject({
      ...restApiRefFields(z),
      stage: stageField(z),
      variables: z
        .record(
          z.string().regex(/^[A-Za-z0-9_]{1,64}$/, { message: 'a stage variable name is 1-64 letters, digits or "_"' }),
          variableValue,
        )
        .refine((v) => Object.keys(v).length > 0, { message: 'name at least one variable' })
        .describe(
          'Stage variables to set, such as { authProvider: COGNITO }; a value of null removes the variable. Values are strings: quote numbers.',
        ),
      deploy: z.boolean().default(false).describe('Deploy the API to the stage afterwards (stage variables take effect without a deploy).'),
    })
    .superRefine(...rule(exactlyOne('restApiId', 'restApiName')));
});
export type SetStageVariablesParams = z.output<ReturnType<typeof params>>;

export interface StageVariablesState {
  /** The variables the params name, with null for those the stage does not have. */
  variables: Record<string, string | null>;
  /** The stage's deployment, when the step deploys. */
  deploymentId?: string | null;
}

const NEW_DEPLOYMENT = '(new deployment)';
/** API Gateway's limit on stage variables per stage (developerguide/limits.html). */
export const STAGE_VARIABLES_MAX = 100;

/** The UpdateStage patch that takes the named variables from `live` to `desired` (null: remove). */
export function variableOps(live: Record<string, string>, desired: Record<string, string | null>): PatchOperation[] {
  const ops: PatchOperation[] = [];
  for (const [name, value] of Object.entries(desired)) {
    const path = `/variables/${name}`;
    if (value === null) {
      if (name in live) ops.push({ op: 'remove', path });
    } else if (live[name] !== value) {
      ops.push({ op: 'replace', path, value });
    }
  }
  return ops;
}

async function read(ctx: StepContext, p: SetStageVariablesParams): Promise<StageVariablesState> {
  const restApiId = await restApiIdOf(ctx, p);
  const [, stage] = await inOrder([provenToExist(ctx, p), requireStage(ctx, restApiId, p.stage)]);
  const live = stage.variables ?? {};
  const after = Object.keys({ ...live, ...p.variables }).filter((name) => (name in p.variables ? p.variables[name] !== null : true));
  if (after.length > STAGE_VARIABLES_MAX) {
    throw new RunbookError(
      'RUNBOOK_INVALID',
      `${describeApi(p)} stage ${p.stage} would have ${after.length} stage variables, above API Gateway's limit of ${STAGE_VARIABLES_MAX}`,
      {
        hint: `The stage has ${Object.keys(live).length}; remove some (a value of null removes one) in this step, or first, so the total stays at ${STAGE_VARIABLES_MAX} or fewer.`,
      },
    );
  }
  const state: StageVariablesState = { variables: Object.fromEntries(Object.keys(p.variables).map((name) => [name, live[name] ?? null])) };
  if (p.deploy) state.deploymentId = stage.deploymentId ?? null;
  return state;
}

async function setVariables(
  ctx: StepContext,
  p: SetStageVariablesParams,
  desired: Record<string, string | null>,
  why: string,
): Promise<StageVariablesState> {
  const { UpdateStageCommand } = await import('../aws/sdk/apigateway.js');
  const client = await apiGatewayClient(ctx);
  const api = await findRestApi(ctx, p);
  const stage = await requireStage(ctx, api.id, p.stage);
  const patchOperations = variableOps(stage.variables ?? {}, desired);
  if (patchOperations.length) await client.send(new UpdateStageCommand({ restApiId: api.id, stageName: p.stage, patchOperations }));
  if (p.deploy) await deployStage(ctx, api.id, p.stage, `migrate: ${why}`);
  return read(ctx, p);
}

function describeChanges(before: Record<string, string | null>, after: Record<string, string | null>): string {
  return Object.keys(after)
    .filter((name) => before[name] !== after[name])
    .map((name) => `${name}: ${show(before[name])} -> ${after[name] === null ? '(removed)' : show(after[name])}`)
    .join(', ');
}

const sameVariables = (a: Record<string, string | null>, b: Record<string, string | null>): boolean => {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].every((n) => (a[n] ?? null) === (b[n] ?? null));
};

export const setStageVariables: StepType<SetStageVariablesParams, StageVariablesState> = {
  name: 'apigateway.setStageVariables',
  description: 'Set (or remove) stage variables on a REST API stage, optionally deploying it; undo puts back the previous values.',
  get params() {
    return params();
  },
  mutates: true,
  usesAws: true,
  read,
  resources: (p) => [`${apiKey(p)}/${p.stage}/variables`],
  plan(current, p) {
    const scope = `${describeApi(p)} stage ${p.stage}`;
    if (sameVariables(current.variables, p.variables))
      return {
        noop: true,
        current,
        summary: `${scope} already has ${Object.entries(p.variables)
          .map(([n, v]) => (v === null ? `no ${n}` : `${n}=${v}`))
          .join(', ')}`,
      };
    const after: StageVariablesState = { variables: { ...p.variables } };
    if (p.deploy) after.deploymentId = NEW_DEPLOYMENT;
    return {
      noop: false,
      before: current,
      after,
      summary: `${scope}: ${describeChanges(current.variables, p.variables)}${p.deploy ? ', then deploy' : ''}`,
    };
  },
  async apply(ctx, change, p) {
    return setVariables(ctx, p, change.after.variables, `stage variables ${Object.keys(change.after.variables).join(', ')}`);
  },
  verify: (ctx, p, state) => deployIfInterrupted(ctx, p, p.deploy ? p.stage : undefined, state),
  async undo(ctx, checkpoint) {
    const before = recordedBefore(checkpoint);
    return setVariables(ctx, checkpoint.params, before.variables, `restore stage variables ${Object.keys(before.variables).join(', ')}`);
  },
  same(a, b) {
    return sameVariables(a.variables, b.variables);
  },
};
