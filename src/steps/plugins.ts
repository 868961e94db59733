import { delimiter, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { RunbookError, messageOf } from '../errors.js';
import type { StepType } from './types.js';

function isStepType(value: unknown): value is StepType {
  const v = value as Partial<StepType> | null;
  return (
    !!v &&
    typeof v === 'object' &&
    typeof v.name === 'string' &&
    typeof v.read === 'function' &&
    typeof v.plan === 'function' &&
    typeof v.apply === 'function' &&
    !!v.params
  );
}

/**
 * The one import() of a module outside the bundle. In dist/chunks/main.cjs every import() is a
 * require(), which cannot load an ES module on Node 20; startup/code-cache.ts then provides this.
 */
function importModule(url: string): Promise<unknown> {
  const provided = (globalThis as { __migrateImport?: (specifier: string) => Promise<unknown> }).__migrateImport;
  return provided ? provided(url) : import(url);
}

/**
 * MIGRATE_STEP_PLUGINS: a list of ES modules (separated like PATH) whose exported StepType objects
 * join the registry, so a team can add its own step types without forking, and the CLI's tests
 * can run a mutating step that needs no AWS.
 */

export async function loadStepPlugins(spec = process.env.MIGRATE_STEP_PLUGINS): Promise<string[]> {
  if (!spec) return [];
  // Only now: the registry loads every built-in step type (and zod), which validate does without.
  const { registerStepType } = await import('./index.js');
  const loaded: string[] = [];
  for (const entry of spec.split(delimiter).filter(Boolean)) {
    let mod: Record<string, unknown>;
    try {
      mod = (await importModule(pathToFileURL(resolve(entry)).href)) as Record<string, unknown>;
    } catch (error) {
      throw new RunbookError('USAGE', `cannot load step plugin ${entry}: ${messageOf(error)}`, {
        hint: 'Check MIGRATE_STEP_PLUGINS: a list of .js modules separated by ":".',
      });
    }
    for (const value of Object.values(mod)) {
      if (isStepType(value)) {
        registerStepType(value);
        loaded.push(value.name);
      }
    }
  }
  return loaded;
}
