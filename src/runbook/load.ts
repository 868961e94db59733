import { sha256 } from '../util/json.js';
import { getStepType, stepTypeNames, stepTypes } from '../steps/index.js';
import { buildRunbook } from './build.js';
import { rememberLocator } from './locate.js';
import { runbookSchema } from './schema.js';
import { invalid, parseYaml, readRunbookBytes, tooBig, type ParsedYaml } from './source.js';
import { MAX_RUNBOOK_BYTES } from './hostile.js';
import { validateRunbook } from './validate.js';
import { issuesToProblems } from './zod-issues.js';
import type { StepCatalogue } from './catalogue.js';
import type { Runbook } from './types.js';

/** Every registered step type, plugins included, with its zod parameters. */
const registry: StepCatalogue = { get: getStepType, names: stepTypeNames, all: () => stepTypes.values() };

export async function loadRunbook(file: string): Promise<Runbook> {
  const bytes = await readRunbookBytes(file);
  return parse(bytes.toString('utf8'), file, sha256(bytes));
}

/** The same as loadRunbook, from text already in memory. */
export function parseRunbookText(text: string, file: string): Runbook {
  const size = Buffer.byteLength(text);
  if (size > MAX_RUNBOOK_BYTES) throw tooBig(file, size);
  return parse(text, file, sha256(text));
}

function parse(text: string, file: string, digest: string): Runbook {
  return checkRunbook(parseYaml(text, file), file, digest);
}

/** The schema, the references and every step's parameters, with zod: each problem located. */
export function checkRunbook(yaml: ParsedYaml, file: string, digest: string): Runbook {
  const { data, locator } = yaml;
  const problems = [...yaml.problems];
  const source = (path: readonly (string | number)[]) => locator.source(path);
  const parsed = runbookSchema.safeParse(data);
  if (!parsed.success) problems.push(...issuesToProblems(parsed.error.issues, { schema: runbookSchema, data, base: [], source }));
  problems.push(...validateRunbook(data, source, registry));
  if (problems.length > 0 || !parsed.success) throw invalid(file, locator, problems);

  const runbook = buildRunbook(parsed.data, file, digest, locator);
  rememberLocator(runbook, locator);
  return runbook;
}
