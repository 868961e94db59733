import { describe, expect, it } from 'vitest';
import { MAX_DEPTH } from '../../src/runbook/hostile.js';
import { parseRunbookText } from '../../src/runbook/load.js';
import { CASES, STEPS } from './hostile-cases.js';
import { HEAD, expectProblem, loadError, problems } from './helpers.js';

/**
 * Issues 10 and 11: runbooks built to exhaust the loader or to mean something other than they
 * show. Each is refused with a located error (exit 2 from the CLI: test/cli/hostile-runbooks.test.ts),
 * never an internal error, a hang, a string that was a tag, or a key that reaches a prototype.
 */

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
    expect(details[0]).toMatch(
      new RegExp(`^rb\\.yaml:${9 + MAX_DEPTH}:\\d+  vars(\\.a){${MAX_DEPTH - 1}}  nested more than ${MAX_DEPTH} levels deep`),
    );
  });

  it('tags outside the core schema are refused, not read as strings', () => {
    expect(problems(CASES['a !!js/function tag']!)).toEqual([
      'rb.yaml:6:23  vars.team  the YAML tag "!!js/function" is not allowed: a runbook is plain data (strings, numbers, booleans, lists, maps)',
    ]);
    expectProblem(problems(CASES['an !evil tag']!), 'rb.yaml:6:15  vars.team', 'the YAML tag "!evil" is not allowed');
  });

  it('core tags (!!str) and merge keys still load', () => {
    const rb = parseRunbookText(
      `${HEAD}vars: { zone: !!str 123 }\nchecks:\n  base: &base { type: http.check, with: { url: "http://x" } }\n  other: { <<: *base }\n${STEPS}`,
      'rb.yaml',
    );
    expect(rb.name).toBe('demo');
  });

  it('__proto__, constructor and prototype are refused as keys anywhere, scalar or map', () => {
    expect(problems(CASES['a scalar vars.__proto__']!)).toEqual([
      `rb.yaml:6:3  vars.__proto__  "__proto__" cannot be a key: it names a JavaScript object's prototype; rename it`,
    ]);
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
    expect(problems(CASES['an unclosed ${ in a title']!)).toEqual([
      'rb.yaml:8:25  phases.mid[0].title  unclosed "${" in "Tell ${vars.team"',
    ]);
  });

  it('a runbook over the size limit is refused unread', () => {
    const error = loadError(CASES['over the size limit']!);
    expect(error.code).toBe('RUNBOOK_INVALID');
    expect(error.message).toMatch(/^rb\.yaml: the runbook is 1\.0 MB, over the limit of 1\.0 MB; it was not read$/);
  });
});
