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
import { cloudwatchAlarm } from './cloudwatch.alarm.js';

/**
 * Every step type the runbook may name. Step modules import only zod at load time; AWS SDK clients
 * are imported inside read/apply, so loading this registry stays cheap for validate and status.
 */
const builtIn: StepType[] = [
  manual,
  wait,
  httpCheck,
  assertUserPool,
  assertApi,
  assertDistribution,
  restrictMethods,
  switchRecord,
  setAuthorizerPool,
  setStageVariables,
  cloudwatchAlarm,
];

const registry = new Map<string, StepType>(builtIn.map((t) => [t.name, t]));

export const stepTypes: ReadonlyMap<string, StepType> = registry;

export function getStepType(name: string): StepType | undefined {
  return registry.get(name);
}

export function stepTypeNames(): string[] {
  return [...registry.keys()].sort();
}

/** For step types from MIGRATE_STEP_PLUGINS (see plugins.ts); a built-in name cannot be replaced. */
export function registerStepType(type: StepType): void {
  if (builtIn.some((t) => t.name === type.name)) throw new Error(`step type "${type.name}" is built in and cannot be replaced by a plugin`);
  registry.set(type.name, type);
}
