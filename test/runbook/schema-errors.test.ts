import { describe, expect, it } from 'vitest';
import { HEAD, expectProblem, problems } from './helpers.js';

describe('schema errors, located', () => {
  it('rejects a version other than 1', () => {
    const details = problems(`${HEAD.replace('version: 1', 'version: 2')}phases: {}\n`);
    expect(details).toEqual(['rb.yaml:1:10  version  expected 1, got 2']);
  });

  it('points a missing key at the map that lacks it', () => {
    const details = problems('version: 1\nenvironments:\n  sandbox: { region: eu-west-2, account: "000000000000" }\nphases: {}\n');
    expect(details).toEqual(['rb.yaml:1:1  name  missing required key "name"']);
  });

  it('rejects a region that is not an AWS region', () => {
    const details = problems(`${HEAD.replace('eu-west-2', 'london')}phases: {}\n`);
    expect(details).toEqual(['rb.yaml:4:22  environments.sandbox.region  expected an AWS region such as "eu-west-2", got "london"']);
  });

  it('asks to quote an account id YAML read as a number, as written', () => {
    const details = problems(`${HEAD.replace('"000000000000"', '000000000000')}phases: {}\n`);
    expect(details).toEqual(['rb.yaml:4:42  environments.sandbox.account  expected a string, got 000000000000; quote it: "000000000000"']);
  });

  it('rejects an unknown top-level key, pointing at the key, with a suggestion', () => {
    const details = problems(`${HEAD}varz: { zone: x }\nphases: {}\n`);
    expect(details).toEqual(['rb.yaml:5:1  varz  unknown key "varz"; did you mean "vars"?']);
  });

  it('lists the allowed keys when nothing is close', () => {
    const details = problems(`${HEAD}phases: {}\nbanana: 1\n`);
    expectProblem(
      details,
      'rb.yaml:6:1  banana',
      'allowed here: version, name, description, environments, vars, checks, users, phases, rollback',
    );
  });

  it('suggests for an unknown key inside a step', () => {
    const details = problems(`${HEAD}phases:
  pre:
    - id: 1
      titel: Notice
      type: manual
      with: { instructions: x }
`);
    expect(details).toEqual([
      'rb.yaml:7:7  phases.pre[0].title  missing required key "title"',
      'rb.yaml:8:7  phases.pre[0].titel  unknown key "titel"; did you mean "title"?',
    ]);
  });

  it('rejects a malformed duration', () => {
    const details = problems(`${HEAD}phases:
  pre:
    - { id: 1, title: Pause, type: wait, with: { duration: 1m }, timeout: 5 min }
`);
    expect(details).toEqual(['rb.yaml:7:75  phases.pre[0].timeout  expected a duration such as "90s", "5m" or "1h", got "5 min"']);
  });

  it('rejects an id that is neither a name nor a number', () => {
    const details = problems(`${HEAD}phases:\n  pre:\n    - { id: true, title: x, type: wait, with: { duration: 1s } }\n`);
    expect(details).toEqual(['rb.yaml:7:13  phases.pre[0].id  expected a string or a number, got true']);
  });

  it('rejects a rollback undo that is not a step reference', () => {
    const details = problems(`${HEAD}phases: {}\nrollback:\n  - { id: 3, title: Back, undo: [3] }\n`);
    expectProblem(details, 'rb.yaml:7:34  rollback[0].undo[0]', 'expected a string, got 3; quote it');
  });

  it('rejects names that are not allowed, pointing at the name', () => {
    expect(problems('version: 1\nname: demo\nenvironments:\n  Prod: { region: eu-west-2, account: "000000000000" }\nphases: {}\n')).toEqual(
      ['rb.yaml:4:3  environments.Prod  invalid name "Prod": must match /^[a-z][a-z0-9-]*$/'],
    );
    expect(problems(`${HEAD}vars: { 1x: a, ok: [1] }\nphases: {}\n`)).toEqual([
      'rb.yaml:5:9  vars["1x"]  invalid name "1x": must match /^[A-Za-z_][A-Za-z0-9_]*$/',
      'rb.yaml:5:20  vars.ok  expected a string, a number or true/false, got a list',
    ]);
  });

  it('rejects a second YAML document', () => {
    expectProblem(problems(`${HEAD}phases: {}\n---\nversion: 1\n`), 'rb.yaml:6:1  (root)', 'a runbook is one document');
  });
});
