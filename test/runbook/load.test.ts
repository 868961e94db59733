import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { loadRunbook, parseRunbookText } from '../../src/runbook/index.js';

const fixture = fileURLToPath(new URL('./fixtures/small.yaml', import.meta.url));

describe('loadRunbook', () => {
  it('loads a small valid runbook, flattening groups', async () => {
    const runbook = await loadRunbook(fixture);
    expect(runbook.name).toBe('small');
    expect(runbook.file).toBe(fixture);
    expect(runbook.digest).toBe(createHash('sha256').update(readFileSync(fixture)).digest('hex'));
    expect(Object.keys(runbook.environments)).toEqual(['sandbox', 'prod']);

    expect(runbook.phases.pre.map((s) => s.ref)).toEqual(['pre.1a', 'pre.1b', 'pre.6']);
    const [a, b, six] = runbook.phases.pre;
    expect(a).toMatchObject({
      ref: 'pre.1a',
      phase: 'pre',
      id: '1a',
      title: 'Password policy checked',
      group: 'Cognito user pool configured',
      type: 'manual',
      with: { instructions: 'Check the password policy' },
      timeoutMs: 600_000,
      verify: [],
      loc: { file: fixture, line: 17, col: 11, path: 'phases.pre[0].steps[0]' },
    });
    expect(b).toMatchObject({ group: 'Cognito user pool configured', verify: ['admins'], with: { url: '${vars.adminsUrl}/', retries: 1 } });
    expect(b!.timeoutMs).toBeUndefined();
    expect(six!.group).toBeUndefined();
    expect(runbook.phases.mid).toMatchObject([{ ref: 'mid.3', id: '3', type: 'wait', with: { duration: '90s', reason: 'TTL' } }]);
    expect(runbook.phases.post).toEqual([]);

    expect(runbook.rollback).toMatchObject([
      {
        id: '3',
        title: 'Switch Admins-UI DNS back',
        when: 'Admins-UI inaccessible',
        undo: [],
        then: [],
        trigger: { check: 'admins', failingForMs: 3_600_000 },
        steps: [{ ref: 'rollback.3.1', phase: 'rollback', id: '1', type: 'manual' }],
        loc: { line: 23, col: 5, path: 'rollback[0]' },
      },
      { id: '4', then: ['3'], steps: [{ ref: 'rollback.4.1' }] },
    ]);
    expect(runbook.checks).toEqual({
      admins: { name: 'admins', type: 'http.check', with: { url: '${vars.adminsUrl}/health' }, intervalMs: 15_000, description: undefined },
    });
  });

  it('gives each step a digest that changes with what it does, not with its title', async () => {
    const text = readFileSync(fixture, 'utf8');
    const digestOf = (t: string) => parseRunbookText(t, 'x.yaml').phases.mid[0]!.digest;
    const base = digestOf(text);
    expect(base).toMatch(/^[0-9a-f]{64}$/);
    expect(digestOf(text.replace('title: Let DNS settle', 'title: Let the DNS settle'))).toBe(base);
    expect(digestOf(text.replace('duration: 90s', 'duration: 2m'))).not.toBe(base);
    expect(digestOf(text.replace('{ duration: 90s, reason: TTL }', '{ reason: TTL, duration: 90s }'))).toBe(base);
  });

  it('says where to give the runbook when the file is missing', async () => {
    const error = await loadRunbook('/nonexistent/runbook.yaml').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunbookError);
    expect(error).toMatchObject({ code: 'RUNBOOK_NOT_FOUND', exitCode: 2, message: 'runbook not found: /nonexistent/runbook.yaml' });
    expect((error as RunbookError).hint).toMatch(/--runbook.*MIGRATE_RUNBOOK/);
  });

  it('reports problems with the path it was given', async () => {
    const error = await loadRunbook(fileURLToPath(new URL('./fixtures/broken.yaml', import.meta.url))).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'RUNBOOK_INVALID' });
    expect((error as RunbookError).details).toEqual([
      `${fileURLToPath(new URL('./fixtures/broken.yaml', import.meta.url))}:7:22  phases.pre[0].type  unknown step type "manul"; did you mean "manual"? (known types: apigateway.assertApi, apigateway.restrictMethods, apigateway.setAuthorizerPool, apigateway.setStageVariables, cloudfront.assertDistribution, cloudwatch.alarm, cognito.assertUserPool, http.check, manual, route53.switchRecord, wait)`,
    ]);
  });
});

describe('YAML conveniences', () => {
  it('accepts anchors, aliases and << merge keys', () => {
    const runbook = parseRunbookText(
      `version: 1
name: demo
environments:
  sandbox: { region: eu-west-2, account: "000000000000" }
phases:
  post:
    - { id: 1, title: Admins-UI, type: http.check, with: &check { url: "https://admin.test/", retries: 1 } }
    - { id: 2, title: Reval, type: http.check, with: { <<: *check, url: "https://reval.test/" } }
    - { id: 3, title: Admins-UI again, type: http.check, with: *check }
`,
      'rb.yaml',
    );
    expect(runbook.phases.post.map((s) => s.with)).toEqual([
      { url: 'https://admin.test/', retries: 1 },
      { url: 'https://reval.test/', retries: 1 },
      { url: 'https://admin.test/', retries: 1 },
    ]);
  });
});
