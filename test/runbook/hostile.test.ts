import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_DEPTH, MAX_RUNBOOK_BYTES } from '../../src/runbook/hostile.js';
import { parseRunbookText } from '../../src/runbook/load.js';
import { HEAD, expectProblem, loadError, problems } from './helpers.js';

/**
 * Issues 10 and 11: runbooks built to exhaust the loader or to mean something other than they
 * show. Each is refused with a located error (exit 2 from the CLI), never an internal error, a
 * hang, a string that was a tag, or a key that reaches a prototype.
 */

const STEPS = `phases:
  mid:
    - { id: "1", title: Wait, type: wait, with: { duration: 1s } }
`;

/** Nine anchors, each nine aliases of the one before: 9^9 strings once expanded. */
function aliasBomb(): string {
  const lines = ['  x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) lines.push(`  x${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]`);
  return `${HEAD}${STEPS}vars:\n${lines.join('\n')}\n`;
}

const CASES: Record<string, string> = {
  'alias bomb': aliasBomb(),
  'flow nesting 100000 deep': `${HEAD}${STEPS}vars: { deep: ${'['.repeat(100_000)}${']'.repeat(100_000)} }\n`,
  'block nesting 200 deep': `${HEAD}${STEPS}vars:\n${Array.from({ length: 200 }, (_, i) => `${' '.repeat(i + 2)}a:\n`).join('')}${' '.repeat(202)}b: 1\n`,
  'a !!js/function tag': `${HEAD}vars:\n  team: !!js/function "function () { return 1 }"\n${STEPS}`,
  'an !evil tag': `${HEAD}vars:\n  team: !evil tis\n${STEPS}`,
  'a scalar vars.__proto__': `${HEAD}vars:\n  __proto__: polluted\n${STEPS}`,
  'a map under __proto__': `${HEAD}${STEPS}checks:\n  __proto__: { polluted: true }\n`,
  'constructor and prototype keys': `${HEAD}phases:\n  mid:\n    - { id: "1", title: Wait, type: wait, with: { duration: 1s, constructor: { prototype: 1 } } }\n`,
  'a right-to-left override in a title': `${HEAD}phases:\n  mid:\n    - { id: "1", title: "Wait \u202Eredaolpu\u202C", type: wait, with: { duration: 1s } }\n`,
  'an isolate in an id': `${HEAD}phases:\n  mid:\n    - { id: "1\u2066", title: Wait, type: wait, with: { duration: 1s } }\n`,
  'an unclosed ${ in a title': `${HEAD}vars: { team: tis }\nphases:\n  mid:\n    - { id: "1", title: "Tell \${vars.team", type: wait, with: { duration: 1s } }\n`,
  'over the size limit': `${HEAD}${STEPS}description: |\n${`  ${'x'.repeat(99)}\n`.repeat(Math.ceil(MAX_RUNBOOK_BYTES / 100) + 10)}`,
};

describe('hostile runbooks: located errors', () => {
  it('an alias bomb is a runbook error at its first alias, not "internal error"', () => {
    const error = loadError(CASES['alias bomb']!);
    expect(error.code).toBe('RUNBOOK_INVALID');
    expectProblem(error.details, 'rb.yaml:10:12  vars.x1[0]', 'expand to an enormous document (a YAML alias bomb)');
  });

  it('flow nesting past the limit is refused before the parser, at the bracket that goes too deep', () => {
    const details = problems(CASES['flow nesting 100000 deep']!);
    // `{` at column 7 is the first level, so the 65th is the 64th `[`.
    expect(details).toEqual([`rb.yaml:8:${14 + MAX_DEPTH}  nested more than ${MAX_DEPTH} levels deep; a runbook needs far fewer`]);
  });

  it('block nesting past the limit is refused, with the path cut short', () => {
    const details = problems(CASES['block nesting 200 deep']!);
    expect(details).toHaveLength(1);
    expect(details[0]).toMatch(new RegExp(`^rb\\.yaml:${9 + MAX_DEPTH}:\\d+  vars(\\.a){${MAX_DEPTH - 1}}  nested more than ${MAX_DEPTH} levels deep`));
  });

  it('tags outside the core schema are refused, not read as strings', () => {
    expect(problems(CASES['a !!js/function tag']!)).toEqual([
      'rb.yaml:6:23  vars.team  the YAML tag "!!js/function" is not allowed: a runbook is plain data (strings, numbers, booleans, lists, maps)',
    ]);
    expectProblem(problems(CASES['an !evil tag']!), 'rb.yaml:6:15  vars.team', 'the YAML tag "!evil" is not allowed');
  });

  it('core tags (!!str) and merge keys still load', () => {
    const rb = parseRunbookText(`${HEAD}vars: { zone: !!str 123 }\nchecks:\n  base: &base { type: http.check, with: { url: "http://x" } }\n  other: { <<: *base }\n${STEPS}`, 'rb.yaml');
    expect(rb.name).toBe('demo');
  });

  it('__proto__, constructor and prototype are refused as keys anywhere, scalar or map', () => {
    expect(problems(CASES['a scalar vars.__proto__']!)).toEqual([`rb.yaml:6:3  vars.__proto__  "__proto__" cannot be a key: it names a JavaScript object's prototype; rename it`]);
    expectProblem(problems(CASES['a map under __proto__']!), 'rb.yaml:9:3  checks.__proto__', '"__proto__" cannot be a key');
    const details = problems(CASES['constructor and prototype keys']!);
    expectProblem(details, 'rb.yaml:7:65  phases.mid[0].with.constructor', '"constructor" cannot be a key');
    expectProblem(details, 'rb.yaml:7:80  phases.mid[0].with.constructor.prototype', '"prototype" cannot be a key');
  });

  it('bidirectional controls are refused where they stand', () => {
    expect(problems(CASES['a right-to-left override in a title']!)).toEqual([
      'rb.yaml:7:31  bidirectional control character U+202E: it makes the text display differently from what it is (ids, titles and instructions must read as written); remove it',
      'rb.yaml:7:40  bidirectional control character U+202C: it makes the text display differently from what it is (ids, titles and instructions must read as written); remove it',
    ]);
    expect(problems(CASES['an isolate in an id']!)[0]).toMatch(/^rb\.yaml:7:15 {2}bidirectional control character U\+2066/);
  });

  it('an unclosed ${ in a title is an error, as it is in step parameters', () => {
    expect(problems(CASES['an unclosed ${ in a title']!)).toEqual(['rb.yaml:8:25  phases.mid[0].title  unclosed "${" in "Tell ${vars.team"']);
  });

  it('a runbook over the size limit is refused unread', () => {
    const error = loadError(CASES['over the size limit']!);
    expect(error.code).toBe('RUNBOOK_INVALID');
    expect(error.message).toMatch(/^rb\.yaml: the runbook is 1\.0 MB, over the limit of 1\.0 MB; it was not read$/);
  });
});

describe('hostile runbooks from the command line', () => {
  const root = fileURLToPath(new URL('../..', import.meta.url));
  const dir = mkdtempSync(join(tmpdir(), 'migrate-hostile-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(Object.keys(CASES))('%s: validate exits 2 with a located message, no stack trace', (name) => {
    const file = join(dir, `${name.replace(/\W+/g, '-')}.yaml`);
    writeFileSync(file, CASES[name]!);
    const r = spawnSync(process.execPath, [join(root, 'dist/bin.js'), '--runbook', file, 'validate'], { encoding: 'utf8', timeout: 20_000, env: { ...process.env, NO_COLOR: '1' } });
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: `, 'm'));
    expect(r.stderr).not.toMatch(/internal error|This is a bug|^\s+at /m);
    if (name !== 'over the size limit') expect(r.stderr).toMatch(new RegExp(`^ {2}${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:\\d+:\\d+ `, 'm'));
  });
});
