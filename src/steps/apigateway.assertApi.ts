import type { z } from 'zod';
import { lazySchema } from './support/zod.js';
import type { StepType } from './types.js';
import { assertionFailed, diffLine } from './support/assert.js';
import { findStage, knownRestApi, listAuthorizers, restApiRefFields, stageField } from './support/apigateway.js';
import { background, inOrder } from './support/lookups.js';
import { resolveUserPoolArn, userPoolArnField, userPoolRefFields } from './support/cognito.js';
import { atMostOne, exactlyOne, rule } from './support/params.js';

const params = lazySchema((z) => {
  const authorizerParams = z
    .strictObject({
      name: z.string().min(1).optional().describe("The authorizer's name; left out, any COGNITO_USER_POOLS authorizer of the API will do."),
      userPoolArn: userPoolArnField(z).optional().describe('The user pool the authorizer must name in its providerARNs, by ARN.'),
      ...userPoolRefFields(z),
    })
    .superRefine(...rule(atMostOne('userPoolArn', 'userPoolId', 'userPoolName')))
    .describe(
      'A Cognito authorizer that must exist, and optionally the user pool it must name (by userPoolArn, userPoolId or userPoolName).',
    );

  return z
    .strictObject({
      ...restApiRefFields(z),
      stage: stageField(z).optional().describe('A stage that must exist and be deployed, such as "prod".'),
      authorizer: authorizerParams.optional(),
    })
    .superRefine(...rule(exactlyOne('restApiId', 'restApiName')));
});
export type AssertApiParams = z.output<ReturnType<typeof params>>;

export interface AuthorizerSummary {
  id: string;
  name: string;
  type: string;
  providerARNs: string[];
}

export interface ApiState {
  restApiId: string;
  restApiName: string;
  /** The stage the params name; null when it is missing or none is named. */
  stage: { name: string; deploymentId: string | null } | null;
  authorizers: AuthorizerSummary[];
  /** The ARN of the user pool the params name, resolved through Cognito. */
  userPoolArn: string | null;
}

const COGNITO = 'COGNITO_USER_POOLS';

export function diffApi(current: ApiState, p: AssertApiParams): string[] {
  const lines: string[] = [];
  if (p.stage) {
    if (!current.stage) lines.push(diffLine('stage', `a stage named "${p.stage}"`, 'no such stage'));
    else if (!current.stage.deploymentId) lines.push(diffLine(`stage.${p.stage}.deploymentId`, 'a deployment', null));
  }
  if (p.authorizer) {
    const want = p.authorizer;
    const pool = want.userPoolArn || want.userPoolId || want.userPoolName ? current.userPoolArn : null;
    if (want.name !== undefined) {
      const auth = current.authorizers.find((a) => a.name === want.name);
      if (!auth)
        lines.push(diffLine('authorizers', `one named "${want.name}"`, current.authorizers.map((a) => a.name).join(', ') || '(none)'));
      else {
        if (auth.type !== COGNITO) lines.push(diffLine(`authorizer.${auth.name}.type`, COGNITO, auth.type));
        if (pool && !auth.providerARNs.includes(pool))
          lines.push(diffLine(`authorizer.${auth.name}.providerARNs`, `to include ${pool}`, auth.providerARNs.join(', ') || '(none)'));
      }
    } else {
      const cognito = current.authorizers.filter((a) => a.type === COGNITO);
      if (cognito.length === 0)
        lines.push(
          diffLine(
            'authorizers',
            `a ${COGNITO} authorizer`,
            current.authorizers.map((a) => `${a.name} (${a.type})`).join(', ') || '(none)',
          ),
        );
      else if (pool && !cognito.some((a) => a.providerARNs.includes(pool))) {
        lines.push(
          diffLine(
            'authorizers.providerARNs',
            `to include ${pool}`,
            cognito.map((a) => `${a.name}: ${a.providerARNs.join(', ') || '(none)'}`).join('; '),
          ),
        );
      }
    }
  }
  return lines;
}

export const assertApi: StepType<AssertApiParams, ApiState> = {
  name: 'apigateway.assertApi',
  description: 'Check a REST API: a deployed stage, and a Cognito authorizer that names a given user pool.',
  get params() {
    return params();
  },
  mutates: false,
  usesAws: true,
  async read(ctx, p) {
    const a = p.authorizer;
    // The pool does not depend on the API: looked up meanwhile, judged after it.
    const pool = background(a && (a.userPoolArn || a.userPoolId || a.userPoolName) ? resolveUserPoolArn(ctx, a) : Promise.resolve(null));
    const api = await knownRestApi(ctx, p);
    const [stage, authorizers, userPoolArn] = await inOrder([
      p.stage ? findStage(ctx, api.id, p.stage) : undefined,
      p.authorizer ? listAuthorizers(ctx, api.id) : [],
      pool,
    ]);
    return {
      restApiId: api.id,
      restApiName: api.name ?? '',
      stage: p.stage && stage ? { name: p.stage, deploymentId: stage.deploymentId ?? null } : null,
      authorizers: authorizers.map((x) => ({
        id: x.id ?? '',
        name: x.name ?? '',
        type: x.type ?? '',
        providerARNs: [...(x.providerARNs ?? [])].sort(),
      })),
      userPoolArn,
    };
  },
  plan(current, p) {
    const subject = `REST API "${current.restApiName}" (${current.restApiId})`;
    const lines = diffApi(current, p);
    if (lines.length)
      throw assertionFailed(
        subject,
        lines,
        'The API is terraformed: correct it in the Terraform and apply (and deploy the stage), then run this phase again.',
      );
    const bits = [
      p.stage ? `stage ${p.stage} deployed (${current.stage?.deploymentId ?? '?'})` : '',
      p.authorizer
        ? `Cognito authorizer${p.authorizer.name ? ` ${p.authorizer.name}` : ''}${current.userPoolArn ? ` names ${current.userPoolArn}` : ''}`
        : '',
    ].filter(Boolean);
    return { noop: true, current, summary: `${subject}: ${bits.join('; ') || 'exists'}` };
  },
  async apply(_ctx, change) {
    return change.after;
  },
};
