import type { StepType } from './types.js';
import { manual } from './manual.js';
import { wait } from './wait.js';
import { httpCheck } from './http.check.js';
import { assertUserPool } from './cognito.assertUserPool.js';
import { assertApi } from './apigateway.assertApi.js';
import { assertDistribution } from './cloudfront.assertDistribution.js';
import { restrictMethods } from './apigateway.restrictMethods.js';
import { switchRecord } from './route53.switchRecord.js';
import { setAuthorizerPool } from './apigateway.setAuthorizerPool.js';
import { setStageVariables } from './apigateway.setStageVariables.js';

/**
 * Every step type the runbook may name. Step modules import only zod at load time; AWS SDK clients
 * are imported inside read/apply, so loading this registry stays cheap for validate and status.
 */
const all: StepType[] = [manual, wait, httpCheck, assertUserPool, assertApi, assertDistribution, restrictMethods, switchRecord, setAuthorizerPool, setStageVariables];

export const stepTypes: ReadonlyMap<string, StepType> = new Map(all.map((t) => [t.name, t]));

export function getStepType(name: string): StepType | undefined {
  return stepTypes.get(name);
}

export function stepTypeNames(): string[] {
  return [...stepTypes.keys()].sort();
}
