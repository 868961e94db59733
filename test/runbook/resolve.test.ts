import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { parseRunbookText, resolveRunbook } from '../../src/runbook/index.js';

const twoEnvs = `version: 1
name: demo
environments:
  sandbox: { region: eu-west-2, account: "000000000000", vars: { zone: sandbox.test } }
  prod: { region: eu-west-2, account: "123456789012", protected: true }
vars:
  zone: tis.nhs.uk
  host: admin.\${vars.zone}
  base: https://\${vars.host}
  retries: 2
  strict: true
phases:
  post:
    - id: 1
      title: Admins-UI up
      type: http.check
      with: { url: "\${vars.base}/health?try=\${vars.retries}", retries: "\${vars.retries}", contains: "strict=\${vars.strict}", body: "$\${not.a.ref}" }
`;

function usageError(fn: () => unknown): RunbookError {
  try {
    fn();
  } catch (error) {
    if (error instanceof RunbookError) return error;
    throw error;
  }
  throw new Error('expected a RunbookError');
}

describe('resolveRunbook: choosing the environment', () => {
  const runbook = parseRunbookText(twoEnvs, 'rb.yaml');

  it('takes the only environment when there is one', () => {
    const one = parseRunbookText(twoEnvs.replace(/^ {2}prod:.*\n/m, ''), 'rb.yaml');
    expect(resolveRunbook(one, undefined, {}).env).toMatchObject({
      name: 'sandbox',
      region: 'eu-west-2',
      account: '000000000000',
      protected: false,
    });
  });

  it('asks which one when there are several, listing them', () => {
    const error = usageError(() => resolveRunbook(runbook, undefined, {}));
    expect(error.code).toBe('USAGE');
    expect(error.exitCode).toBe(2);
    expect(error.message).toBe('rb.yaml defines 2 environments (sandbox, prod); say which one');
    expect(error.hint).toBe('Pass --env NAME or set MIGRATE_ENV.');
  });

  it('suggests the closest name for an unknown one', () => {
    const error = usageError(() => resolveRunbook(runbook, 'prdo', {}));
    expect(error.code).toBe('USAGE');
    expect(error.message).toBe('unknown environment "prdo"; did you mean "prod"? (rb.yaml defines: sandbox, prod)');
  });

  it('falls back to MIGRATE_ENV, and names it when it is wrong', () => {
    expect(resolveRunbook(runbook, undefined, { MIGRATE_ENV: 'prod' }).env.name).toBe('prod');
    expect(resolveRunbook(runbook, 'sandbox', { MIGRATE_ENV: 'prod' }).env.name).toBe('sandbox');
    expect(usageError(() => resolveRunbook(runbook, undefined, { MIGRATE_ENV: 'staging' })).message).toContain(
      '"staging" (from MIGRATE_ENV)',
    );
  });

  it('does not take inherited object keys for environments', () => {
    expect(usageError(() => resolveRunbook(runbook, 'constructor', {})).code).toBe('USAGE');
  });
});

describe('resolveRunbook: variables', () => {
  const runbook = parseRunbookText(twoEnvs, 'rb.yaml');

  it('follows chains of vars, the environment overriding the runbook', () => {
    const prod = resolveRunbook(runbook, 'prod', {});
    expect(prod.env.vars).toMatchObject({ zone: 'tis.nhs.uk', host: 'admin.tis.nhs.uk', base: 'https://admin.tis.nhs.uk' });
    expect(prod.env.protected).toBe(true);
    const sandbox = resolveRunbook(runbook, 'sandbox', {});
    expect(sandbox.env.vars.base).toBe('https://admin.sandbox.test');
  });

  it('keeps the type of a value that is exactly one reference, and concatenates otherwise', () => {
    const step = resolveRunbook(runbook, 'prod', {}).phases.post[0]!;
    expect(step.params).toEqual({
      url: 'https://admin.tis.nhs.uk/health?try=2',
      method: 'GET',
      retries: 2,
      status: 200,
      timeout: '10s',
      retryDelay: '2s',
      contains: 'strict=true',
      body: '${not.a.ref}',
    });
    // The step as written is kept beside the resolved params.
    expect(step.with.url).toBe('${vars.base}/health?try=${vars.retries}');
  });

  it('rejects a lone reference whose type does not fit, saying where the value came from', () => {
    const text = twoEnvs.replace('contains: "strict=${vars.strict}"', 'contains: "${vars.strict}"');
    const error = usageError(() => parseRunbookText(text, 'rb.yaml'));
    expect(error.details).toEqual([
      'rb.yaml:17:101  phases.post[0].with.contains  expected a string, got true (from ${vars.strict} = true)',
    ]);
  });

  it('fills in ${env.X} from the process environment', () => {
    const text = twoEnvs.replace('base: https://${vars.host}', 'base: "${env.ADMINS_URL}"');
    const resolved = resolveRunbook(parseRunbookText(text, 'rb.yaml'), 'prod', { ADMINS_URL: 'https://preview.example' });
    expect(resolved.phases.post[0]!.params).toMatchObject({ url: 'https://preview.example/health?try=2' });
  });

  it('rejects an unset ${env.X}, located, with a hint', () => {
    const text = twoEnvs.replace('retries: "${vars.retries}"', 'retries: "${env.RETRIES}"');
    const error = usageError(() => resolveRunbook(parseRunbookText(text, 'rb.yaml'), 'prod', {}));
    expect(error.code).toBe('RUNBOOK_INVALID');
    expect(error.message).toBe('rb.yaml: 1 problem for environment "prod"');
    expect(error.details).toEqual(['rb.yaml:17:72  phases.post[0].with.retries  environment variable RETRIES is not set (${env.RETRIES})']);
    expect(error.hint).toContain('Export the environment variables');
  });

  it('checks params against the value from the environment', () => {
    const text = twoEnvs.replace('retries: "${vars.retries}"', 'retries: "${env.RETRIES}"');
    const error = usageError(() => resolveRunbook(parseRunbookText(text, 'rb.yaml'), 'prod', { RETRIES: 'many' }));
    expect(error.details).toEqual(['rb.yaml:17:72  phases.post[0].with.retries  expected a number, got "many" (from ${env.RETRIES})']);
  });

  it('resolves check and rollback step params too', () => {
    const text = `${twoEnvs}checks:
  admins: { with: { url: "\${vars.base}/" } }
rollback:
  - { id: 3, title: Back, steps: [ { id: 1, title: Do, type: manual, with: { instructions: "Repoint \${vars.host}" } } ] }
`;
    const resolved = resolveRunbook(parseRunbookText(text, 'rb.yaml'), 'prod', {});
    expect(resolved.checks.admins!.params).toMatchObject({ url: 'https://admin.tis.nhs.uk/', status: 200 });
    expect(resolved.rollback[0]!.steps[0]).toMatchObject({ ref: 'rollback.3.1', params: { instructions: 'Repoint admin.tis.nhs.uk' } });
  });
});
