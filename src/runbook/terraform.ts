import { readFile } from 'node:fs/promises';
import { dirname, resolve as resolvePath } from 'node:path';
import { RunbookError } from '../errors.js';
import { envFrom, render, type EnvLookup, type Lookup } from './interpolate.js';
import { formatPath, locatorOf } from './locate.js';
import { didYouMean } from './suggest.js';
import type { Runbook } from './types.js';

/** One output as `terraform output -json` writes it (and as a state file's `outputs` holds it). */
export interface TerraformOutput {
  value: unknown;
  type?: unknown;
  sensitive?: boolean;
}

/** The outputs an environment's `${tf.NAME}` are answered from, and where they were read. */
export interface TerraformOutputs {
  source: string;
  outputs: Record<string, TerraformOutput>;
}

const SCALAR = new Set(['string', 'number', 'boolean']);

/**
 * How `${tf.NAME}` is answered. A sensitive output is refused rather than used: step parameters
 * are shown in plans and kept in the state and the audit, where a secret must never go; the
 * message names the output, never its value.
 */
export function tfLookup(envName: string, tf: TerraformOutputs | undefined): EnvLookup {
  return (name): Lookup => {
    if (!tf)
      return {
        kind: 'missing',
        message: `\${tf.${name}}: environment "${envName}" has no terraform: section (terraform: { outputs: FILE } or { state: s3://bucket/key })`,
      };
    if (!Object.hasOwn(tf.outputs, name)) {
      return {
        kind: 'missing',
        message: `terraform output "${name}" is not in ${tf.source}${didYouMean(name, Object.keys(tf.outputs), (s) => `\${tf.${s}}`)}`,
      };
    }
    const out = tf.outputs[name]!;
    if (out.sensitive)
      return {
        kind: 'missing',
        message: `terraform output "${name}" is sensitive: migrate does not put sensitive values into step parameters (they are shown in plans and kept in the state)`,
      };
    if (!SCALAR.has(typeof out.value)) {
      return {
        kind: 'missing',
        message: `terraform output "${name}" is ${Array.isArray(out.value) ? 'a list' : out.value === null ? 'null' : 'an object'}; \${tf.${name}} needs a string, number or bool (add a scalar output in terraform)`,
      };
    }
    return { kind: 'value', value: out.value as string | number | boolean };
  };
}

/** `terraform output -json` ({ name: { value, type, sensitive } }) or a state file (its `outputs`). */
export function parseOutputs(text: string, source: string): TerraformOutputs {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    throw new RunbookError('RUNBOOK_INVALID', `${source} is not JSON (${(error as Error).message})`, {
      hint: 'Write it with: terraform output -json > FILE',
    });
  }
  const root = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? (doc as Record<string, unknown>) : undefined;
  const map = root && 'terraform_version' in root ? root.outputs : root;
  if (!map || typeof map !== 'object' || Array.isArray(map)) {
    throw new RunbookError('RUNBOOK_INVALID', `${source} does not hold terraform outputs`, {
      hint: 'Expected the JSON of `terraform output -json` ({ "name": { "value": ..., "sensitive": false } }) or a terraform state.',
    });
  }
  const outputs: Record<string, TerraformOutput> = Object.create(null) as Record<string, TerraformOutput>;
  for (const [name, entry] of Object.entries(map)) {
    if (entry && typeof entry === 'object' && 'value' in entry) {
      const e = entry as TerraformOutput;
      outputs[name] = { value: e.value, type: e.type, sensitive: e.sensitive === true };
    }
  }
  return { source, outputs };
}

/** The environment's `terraform:` with `${env.X}` filled in (a path may come from the shell). */
function where(runbook: Runbook, envName: string, key: 'outputs' | 'state', processEnv: NodeJS.ProcessEnv): string | undefined {
  const text = runbook.environments[envName]?.terraform?.[key];
  if (text === undefined) return undefined;
  const out = render(text, (ref) =>
    ref.ns === 'env' ? envFrom(processEnv)(ref.name) : { kind: 'missing', message: `only \${env.X} can stand in terraform.${key}` },
  );
  if (out.problems.length || out.incomplete) {
    throw new RunbookError(
      'RUNBOOK_INVALID',
      `${runbook.file}: environments.${envName}.terraform.${key} "${text}": ${out.problems.join('; ') || 'cannot be filled in'}`,
      {
        hint: 'Export the environment variable it names, or write the path itself.',
      },
    );
  }
  return String(out.value);
}

/** "runbook.yaml:17:27  environments.prod.terraform.outputs  <message>", when the runbook came from a file. */
function located(runbook: Runbook, envName: string, key: string, message: string): string[] {
  const locator = locatorOf(runbook);
  const path = ['environments', envName, 'terraform', key];
  return locator ? locator.detailLines([{ path, message }]) : [`${runbook.file}  ${formatPath(path)}  ${message}`];
}

export type ReadObject = (url: string, options: { region: string; profile?: string | undefined }) => Promise<string>;

/**
 * The outputs an environment's `terraform:` names, or undefined when it names none. A file is read
 * relative to the runbook; a state on S3 with one read-only GetObject (`readObject`).
 */
export async function loadTerraformOutputs(
  runbook: Runbook,
  envName: string,
  options: { processEnv?: NodeJS.ProcessEnv; profile?: string | undefined; readObject?: ReadObject } = {},
): Promise<TerraformOutputs | undefined> {
  const processEnv = options.processEnv ?? process.env;
  const file = where(runbook, envName, 'outputs', processEnv);
  if (file !== undefined) {
    const path = resolvePath(dirname(runbook.file), file);
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new RunbookError(
        'RUNBOOK_INVALID',
        `the terraform outputs of environment "${envName}" cannot be read: ${path} (${code ?? (error as Error).message})`,
        {
          hint: `Write them where the runbook says: terraform output -json > ${path}`,
          details: located(runbook, envName, 'outputs', 'the file it names cannot be read'),
        },
      );
    }
    return parseOutputs(text, path);
  }
  const state = where(runbook, envName, 'state', processEnv);
  if (state === undefined) return undefined;
  const readObject = options.readObject ?? (await import('../aws/s3-object.js')).readS3Object;
  const region = runbook.environments[envName]!.region;
  let text: string;
  try {
    text = await readObject(state, { region, profile: options.profile });
  } catch (error) {
    if (error instanceof RunbookError) throw error;
    throw new RunbookError(
      'RUNBOOK_INVALID',
      `the terraform state of environment "${envName}" cannot be read: ${state} (${(error as Error).name}: ${(error as Error).message})`,
      {
        hint: 'Check the bucket and key, and that the profile may s3:GetObject it.',
        details: located(runbook, envName, 'state', 'the object it names cannot be read'),
        cause: error,
      },
    );
  }
  return parseOutputs(text, state);
}
