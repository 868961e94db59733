import { describe, expect, it } from 'vitest';
import { HEAD, expectProblem, loadError, problems } from './helpers.js';

describe('YAML syntax errors', () => {
  it('rejects a tab used for indentation', () => {
    const details = problems('version: 1\nname: x\nphases:\n\tpre: []\n');
    expectProblem(details, 'rb.yaml:4:1  (root)', 'Tabs are not allowed as indentation');
  });

  it('points an unclosed quote at where it opens', () => {
    const details = problems('version: 1\nname: "abc\nphases: {}\n');
    expect(details).toEqual(['rb.yaml:2:7  name  unclosed quote: this string runs on to line 4 (YAML)']);
  });

  it('points an unclosed flow map at its "{"', () => {
    const details = problems(`${HEAD}phases:
  pre:
    - { id: 1, title: x, type: wait, with: { duration: 1s }
    - { id: 2, title: y, type: wait, with: { duration: 1s } }
`);
    expect(details).toEqual(['rb.yaml:7:7  phases.pre[0]  this "{" is never closed with "}" (YAML)']);
  });

  it('points an unclosed flow sequence at its "["', () => {
    const details = problems(`${HEAD}phases:\n  pre: [ a, b\nrollback: []\n`);
    expectProblem(details, 'rb.yaml:6:8  phases.pre', 'never closed with "]"');
  });

  it('rejects a badly indented key', () => {
    const details = problems(`${HEAD}phases:\n  pre:\n    - id: 1\n      title: x\n     type: wait\n`);
    expectProblem(details, 'rb.yaml:9:1  phases.pre', 'Sequence item without - indicator');
  });

  it('rejects a duplicate key and still checks the rest of the document', () => {
    const details = problems(`${HEAD}name: other\nphases: {}\nrollbak: []\n`);
    expect(details).toEqual([
      'rb.yaml:5:1  name  duplicate key "name" (YAML keys must be unique)',
      'rb.yaml:7:1  rollbak  unknown key "rollbak"; did you mean "rollback"?',
    ]);
  });

  it('says an empty file is empty', () => {
    expect(problems('')).toEqual(['rb.yaml:1:1  (root)  the runbook is empty; it starts with "version: 1" and "name:"']);
  });

  it('names the file and the count in the message, with a hint', () => {
    const error = loadError('version: 1\nname: "abc\n', 'runbooks/x.yaml');
    expect(error.message).toBe('runbooks/x.yaml: 1 problem in the runbook');
    expect(error.exitCode).toBe(2);
    expect(error.hint).toContain('migrate validate');
  });
});
