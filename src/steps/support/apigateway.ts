import type { z as Zod } from 'zod';
import type { APIGatewayClient, Authorizer, RestApi, Stage } from '@aws-sdk/client-api-gateway';
import { RunbookError } from '../../errors.js';
import type { StepContext } from '../types.js';
import { errorName } from './assert.js';
import { shared } from './lookups.js';

/** Fields a step spreads into its params to name a REST API. */
export const restApiRefFields = (z: typeof Zod) => ({
  restApiId: z
    .string()
    .regex(/^[a-z0-9]+$/, { message: 'expected a REST API id such as "a1b2c3d4e5"' })
    .optional()
    .describe('The REST API id. Give this or restApiName.'),
  restApiName: z.string().min(1).optional().describe('The REST API name; it must be unique in the region. Give this or restApiId.'),
});

export const stageField = (z: typeof Zod) =>
  z
    .string()
    .regex(/^[A-Za-z0-9_-]+$/, { message: 'expected a stage name of letters, digits, "-" or "_"' })
    .describe('The stage name, such as "prod".');

export interface RestApiRef {
  restApiId?: string | undefined;
  restApiName?: string | undefined;
}

export async function apiGatewayClient(ctx: StepContext): Promise<APIGatewayClient> {
  const { APIGatewayClient } = await import('../../aws/sdk/apigateway.js');
  return ctx.aws.client(APIGatewayClient);
}

/** The API part of a resource key: its id when the runbook gives one, else its (unique) name. */
export function apiKey(ref: RestApiRef): string {
  return ref.restApiId ? `apigateway:${ref.restApiId}` : `apigateway:name=${ref.restApiName ?? '?'}`;
}

export function describeApi(ref: RestApiRef): string {
  return ref.restApiId ? `REST API ${ref.restApiId}` : `REST API "${ref.restApiName ?? '?'}"`;
}

interface RestApiSummary {
  id: string;
  name: string;
}

/** Every REST API of the region, by id and name: one listing per read pass, whichever API a step names. */
function listRestApis(ctx: StepContext): Promise<RestApiSummary[]> {
  return shared(ctx, 'apigateway', 'GetRestApis', { limit: 500 }, async () => {
    const { paginateGetRestApis } = await import('../../aws/sdk/apigateway.js');
    const client = await apiGatewayClient(ctx);
    const all: RestApiSummary[] = [];
    for await (const page of paginateGetRestApis({ client, pageSize: 500 }, { limit: 500 })) {
      for (const api of page.items ?? []) if (api.id) all.push({ id: api.id, name: api.name ?? '' });
    }
    return all;
  });
}

/** The one REST API with this name. */
async function apiNamed(ctx: StepContext, name: string): Promise<RestApiSummary> {
  const found = (await listRestApis(ctx)).filter((api) => api.name === name);
  if (found.length === 0) {
    throw new RunbookError('ASSERTION_FAILED', `no REST API named "${name}" in ${ctx.env.region}`, {
      hint: 'Check the name (it is case-sensitive) and the environment, or give restApiId.',
    });
  }
  if (found.length > 1) {
    throw new RunbookError(
      'STEP_FAILED',
      `${found.length} REST APIs are named "${name}" in ${ctx.env.region}: ${found.map((a) => a.id).join(', ')}`,
      {
        hint: 'Name the API by restApiId instead.',
      },
    );
  }
  return found[0] as RestApiSummary;
}

/** The id of the REST API a step names: as given, or the one API with that name. */
export async function restApiIdOf(ctx: StepContext, ref: RestApiRef): Promise<string> {
  return ref.restApiId ?? (await apiNamed(ctx, ref.restApiName ?? '')).id;
}

/** Id and name of the REST API a step names: by name from the listing, by id from GetRestApi (so it is known to exist). */
export async function knownRestApi(ctx: StepContext, ref: RestApiRef): Promise<RestApiSummary> {
  if (!ref.restApiId) return apiNamed(ctx, ref.restApiName ?? '');
  const api = await findRestApi(ctx, ref);
  return { id: api.id, name: api.name ?? '' };
}

/**
 * For an API named by id: GetRestApi, so that a wrong id fails as "does not exist" rather than as
 * a missing stage or authorizer (an API named by name was found in the listing).
 */
export function provenToExist(ctx: StepContext, ref: RestApiRef): Promise<unknown> | undefined {
  return ref.restApiId ? findRestApi(ctx, ref) : undefined;
}

/** The REST API a step names: GetRestApi by id, or the one API with that name. */
export async function findRestApi(ctx: StepContext, ref: RestApiRef): Promise<RestApi & { id: string }> {
  // The listing is a summary; GetRestApi is the API's own answer (its resource policy included).
  const restApiId = await restApiIdOf(ctx, ref);
  return shared(ctx, 'apigateway', 'GetRestApi', { restApiId }, async () => {
    const { GetRestApiCommand } = await import('../../aws/sdk/apigateway.js');
    const client = await apiGatewayClient(ctx);
    try {
      const api = await client.send(new GetRestApiCommand({ restApiId }));
      return { ...api, id: api.id ?? restApiId };
    } catch (error) {
      if (errorName(error) === 'NotFoundException') {
        throw new RunbookError('ASSERTION_FAILED', `REST API ${restApiId} does not exist in ${ctx.env.region}`, {
          cause: error,
          hint: 'Check the id and the environment (--env), or name the API by restApiName.',
        });
      }
      throw error;
    }
  });
}

/** The stage, or undefined when the API has no stage of that name. */
export async function findStage(ctx: StepContext, restApiId: string, stageName: string): Promise<Stage | undefined> {
  return shared(ctx, 'apigateway', 'GetStage', { restApiId, stageName }, async () => {
    const { GetStageCommand } = await import('../../aws/sdk/apigateway.js');
    const client = await apiGatewayClient(ctx);
    try {
      return await client.send(new GetStageCommand({ restApiId, stageName }));
    } catch (error) {
      if (errorName(error) === 'NotFoundException') return undefined;
      throw error;
    }
  });
}

export async function requireStage(ctx: StepContext, restApiId: string, stageName: string): Promise<Stage> {
  const stage = await findStage(ctx, restApiId, stageName);
  if (!stage) {
    throw new RunbookError('ASSERTION_FAILED', `REST API ${restApiId} has no stage "${stageName}"`, {
      hint: 'Check the stage name; a stage exists once the API has been deployed to it.',
    });
  }
  return stage;
}

export async function listAuthorizers(ctx: StepContext, restApiId: string): Promise<Authorizer[]> {
  return shared(ctx, 'apigateway', 'GetAuthorizers', { restApiId }, async () => {
    const { GetAuthorizersCommand } = await import('../../aws/sdk/apigateway.js');
    const client = await apiGatewayClient(ctx);
    const all: Authorizer[] = [];
    let position: string | undefined;
    do {
      const page = await client.send(new GetAuthorizersCommand({ restApiId, limit: 500, position }));
      all.push(...(page.items ?? []));
      position = page.position;
    } while (position);
    return all;
  });
}

/** Deploys the API to the stage, so a change to the API takes effect; returns the deployment id. */
export async function deployStage(ctx: StepContext, restApiId: string, stageName: string, description: string): Promise<string> {
  const { CreateDeploymentCommand } = await import('../../aws/sdk/apigateway.js');
  const client = await apiGatewayClient(ctx);
  ctx.progress(`deploying REST API ${restApiId} to stage ${stageName}`);
  const out = await client.send(new CreateDeploymentCommand({ restApiId, stageName, description }));
  if (!out.id) throw new RunbookError('AWS_ERROR', `CreateDeployment on ${restApiId}/${stageName} returned no deployment id`);
  return out.id;
}

/**
 * A run stopped between a change and the deploy that makes it take effect leaves the API changed
 * and the stage still serving the old deployment; the resumed run finds the change in place and
 * would call the step done. When the checkpoint of that stopped run shows the stage still on the
 * deployment it had before the change, deploy now (a step's verify, so it runs on reconciliation).
 */
export async function deployIfInterrupted(
  ctx: StepContext,
  ref: RestApiRef,
  stage: string | undefined,
  live: { deploymentId?: string | null | undefined },
): Promise<void> {
  const prev = ctx.previous;
  if (!stage || !prev || (prev.status !== 'applying' && prev.status !== 'failed' && prev.status !== 'interrupted')) return;
  const before = prev.before as { deploymentId?: string | null } | null | undefined;
  if (!before?.deploymentId || before.deploymentId !== live.deploymentId) return;
  const api = await findRestApi(ctx, ref);
  await deployStage(ctx, api.id, stage, 'migrate: deploy the change a stopped run made');
}
