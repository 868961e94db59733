import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { z } from 'zod';
import { stepTypes } from '../steps/index.js';
import { runbookSchema } from './schema.js';
import { DEFAULT_CHECK_TYPE } from './walk.js';
import type { StepType } from '../steps/types.js';

/**
 * schema/runbook.schema.json, generated from the zod schema so editors (yaml-language-server) check
 * a runbook as it is typed. Draft-07 because that is what editors support best. Each step type's
 * parameters are attached to `with` by `type`, loosened so `${vars.x}` may stand for any value.
 */
type JsonObject = { [key: string]: unknown };

export const SCHEMA_FILE = fileURLToPath(new URL('../../schema/runbook.schema.json', import.meta.url));

const REFERENCE = { type: 'string', pattern: '\\$\\{(vars|env)\\.' };

function isObject(v: unknown): v is JsonObject {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** Applies `fn` to every schema object below `node`, children first. */
function mapSchemas(node: unknown, fn: (schema: JsonObject) => JsonObject): unknown {
  if (Array.isArray(node)) return node.map((n) => mapSchemas(n, fn));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'properties' || key === 'definitions' || key === '$defs') {
      out[key] = Object.fromEntries(Object.entries(value as JsonObject).map(([k, v]) => [k, mapSchemas(v, fn)]));
    } else if (['items', 'additionalProperties', 'anyOf', 'oneOf', 'allOf', 'not', 'if', 'then', 'else'].includes(key)) {
      out[key] = mapSchemas(value, fn);
    } else out[key] = value;
  }
  return fn(out);
}

/** A scalar with a type or constraints also accepts a string with a `${...}` reference. */
function allowReferences(schema: JsonObject): JsonObject {
  if ('$ref' in schema) return schema;
  const types = ([] as unknown[]).concat(schema.type ?? []);
  const constrained =
    types.some((t) => t !== 'string' && t !== 'object' && t !== 'array') ||
    ['enum', 'const', 'pattern', 'format', 'minLength', 'maxLength'].some((k) => k in schema);
  if (!constrained || types.includes('object') || types.includes('array')) return schema;
  const { description, default: fallback, ...rest } = schema;
  return {
    ...(description === undefined ? {} : { description }),
    ...(fallback === undefined ? {} : { default: fallback }),
    anyOf: [rest, REFERENCE],
  };
}

function rewriteRefs(node: unknown, from: string, to: string): unknown {
  if (Array.isArray(node)) return node.map((n) => rewriteRefs(n, from, to));
  if (!isObject(node)) return node;
  return Object.fromEntries(
    Object.entries(node).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith(from) ? to + v.slice(from.length) : rewriteRefs(v, from, to),
    ]),
  );
}

/**
 * One step type's parameters as JSON Schema, its definitions moved into `defs` under the type's
 * name. A type whose schema has no JSON Schema form keeps `with` an open map.
 */
function paramsSchema(type: StepType, defs: JsonObject): JsonObject {
  let json: JsonObject;
  try {
    json = z.toJSONSchema(type.params, { io: 'input', target: 'draft-07' }) as JsonObject;
  } catch {
    return { type: 'object', description: type.description };
  }
  const { $schema: _, definitions, ...rest } = json;
  let body: unknown = rest;
  for (const [name, def] of Object.entries((definitions ?? {}) as JsonObject)) {
    const id = `${type.name}.${name}`;
    body = rewriteRefs(body, `#/definitions/${name}`, `#/definitions/${id}`);
    defs[id] = mapSchemas(rewriteRefs(def, `#/definitions/${name}`, `#/definitions/${id}`), allowReferences);
  }
  return { description: type.description, ...(mapSchemas(body, allowReferences) as JsonObject) };
}

function withByType(types: StepType[], defs: JsonObject, defaultType?: string): JsonObject[] {
  return types.map((type) => {
    const params = paramsSchema(type, defs);
    const required = Array.isArray(params.required) && params.required.length > 0 ? { required: ['with'] } : {};
    const when =
      type.name === defaultType
        ? { anyOf: [{ required: ['type'], properties: { type: { const: type.name } } }, { not: { required: ['type'] } }] }
        : { required: ['type'], properties: { type: { const: type.name } } };
    return { if: when, then: { properties: { with: params }, ...required } };
  });
}

export function runbookJsonSchema(): object {
  const generated = z.toJSONSchema(runbookSchema, { io: 'input', target: 'draft-07' }) as JsonObject;
  const { $schema, definitions = {}, ...body } = generated;
  const phases = (body.properties as JsonObject).phases as JsonObject;
  const stepRef = (((phases.properties as JsonObject).pre as JsonObject).items as JsonObject).$ref as string;
  const defs: JsonObject = {};
  for (const [name, def] of Object.entries(definitions as JsonObject)) {
    if (`#/definitions/${name}` === stepRef) defs.step = def;
    else defs[name] = def;
  }
  const all = [...stepTypes.values()].sort((a, b) => a.name.localeCompare(b.name));
  const readOnly = all.filter((t) => !t.mutates);
  const step = defs.step as JsonObject;
  // An enum gives editors completion; the file is regenerated (and tested) when a type is added.
  ((step.properties as JsonObject).type as JsonObject).enum = all.map((t) => t.name);
  step.allOf = withByType(all, defs);
  const checks = ((body.properties as JsonObject).checks as JsonObject).additionalProperties as JsonObject;
  ((checks.properties as JsonObject).type as JsonObject).enum = readOnly.map((t) => t.name);
  checks.allOf = withByType(readOnly, defs, DEFAULT_CHECK_TYPE);
  return rewriteRefs(
    {
      $schema,
      title: 'migrate runbook',
      description:
        'A migration plan as a runbook for `migrate`: environments, variables, checks, the pre/mid/post phases and the rollback entries. Generated from the zod schema by `npm run schema`; do not edit.',
      ...body,
      definitions: defs,
    },
    stepRef,
    '#/definitions/step',
  ) as object;
}

export function runbookJsonSchemaText(): string {
  return `${JSON.stringify(runbookJsonSchema(), null, 2)}\n`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  mkdirSync(dirname(SCHEMA_FILE), { recursive: true });
  writeFileSync(SCHEMA_FILE, runbookJsonSchemaText());
  console.log(`wrote ${SCHEMA_FILE}`);
}
