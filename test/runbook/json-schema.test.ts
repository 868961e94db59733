import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { stepTypes } from '../../src/steps/index.js';
import { SCHEMA_FILE, runbookJsonSchema, runbookJsonSchemaText } from '../../src/runbook/write-schema.js';

// biome-ignore lint/suspicious/noExplicitAny: the generated JSON Schema is walked freely.
type Json = Record<string, any>;

describe('schema/runbook.schema.json', () => {
  it('is up to date with the zod schema and the step types', () => {
    const committed = readFileSync(SCHEMA_FILE, 'utf8');
    expect(
      committed === runbookJsonSchemaText(),
      'schema/runbook.schema.json is stale: run npm run schema (after npm run build) and commit it',
    ).toBe(true);
  });

  it('describes itself and keeps defaulted keys optional', () => {
    const schema = runbookJsonSchema() as Json;
    expect(schema.$schema).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema.title).toBe('migrate runbook');
    expect(schema.description).toContain('npm run schema');
    expect(schema.required).toEqual(['version', 'name', 'environments', 'phases']);
    expect(schema.additionalProperties).toBe(false);
  });

  it("checks each step type's `with` by the step's `type`", () => {
    const step = (runbookJsonSchema() as Json).definitions.step as Json;
    expect(step.properties.type.enum).toEqual([...stepTypes.keys()].sort());
    const byType = Object.fromEntries((step.allOf as Json[]).map((rule) => [rule.if.properties.type.const, rule.then.properties.with]));
    expect(Object.keys(byType).sort()).toEqual([...stepTypes.keys()].sort());
    expect(byType['http.check'].required).toEqual(['url']);
    expect(byType['http.check'].additionalProperties).toBe(false);
    // A reference may stand where a number goes.
    expect(byType['http.check'].properties.retries.anyOf[1]).toEqual({ type: 'string', pattern: '\\$\\{(vars|env)\\.' });
  });
});
