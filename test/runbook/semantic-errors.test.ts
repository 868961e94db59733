import { describe, expect, it } from 'vitest';
import { HEAD, expectProblem, problems } from './helpers.js';

describe('semantic errors, located', () => {
  it('suggests a registered step type for a misspelt one and lists the known types', () => {
    const details = problems(`${HEAD}phases:\n  pre:\n    - { id: 1, title: Check, type: http.chekc, with: { url: "https://x.test" } }\n`);
    expect(details).toEqual([
      'rb.yaml:7:36  phases.pre[0].type  unknown step type "http.chekc"; did you mean "http.check"? (known types: apigateway.assertApi, apigateway.restrictMethods, apigateway.setAuthorizerPool, apigateway.setStageVariables, cloudfront.assertDistribution, cloudwatch.alarm, cognito.assertUserPool, http.check, manual, route53.switchRecord, wait)',
    ]);
  });

  it('rejects a sub-step id used twice in a phase', () => {
    const details = problems(`${HEAD}phases:
  pre:
    - id: 1
      title: Cognito user pool configured
      steps:
        - { id: 1a, title: Password policy, type: wait, with: { duration: 1s } }
        - { id: 1a, title: Lambdas, type: wait, with: { duration: 1s } }
`);
    expect(details).toEqual([
      'rb.yaml:11:17  phases.pre[0].steps[1].id  duplicate step id "1a" in phase pre (first used at phases.pre[0].steps[0])',
    ]);
  });

  it('treats id 3 and id "3" as the same id', () => {
    const details = problems(`${HEAD}phases:
  mid:
    - { id: 3, title: a, type: wait, with: { duration: 1s } }
    - { id: "3", title: b, type: wait, with: { duration: 1s } }
`);
    expectProblem(details, 'rb.yaml:8:13  phases.mid[1].id', 'duplicate step id "3" in phase mid');
  });

  it('allows the same id in different phases', () => {
    expect(() =>
      problems(`${HEAD}phases:
  pre: [ { id: 1, title: a, type: wait, with: { duration: 1s } } ]
  mid: [ { id: 1, title: b, type: wait, with: { duration: 1s } } ]
`),
    ).toThrow('the runbook loaded');
  });

  it('rejects a group that also has a type', () => {
    const details = problems(`${HEAD}phases:
  pre:
    - id: 1
      title: Group
      type: manual
      steps:
        - { id: 1a, title: a, type: wait, with: { duration: 1s } }
`);
    expect(details).toEqual([
      'rb.yaml:9:7  phases.pre[0].type  a step has either "type" (one action) or "steps" (a group of sub-steps), not both',
    ]);
  });

  it('rejects a step with neither type nor steps, and a group with `with`', () => {
    const details = problems(`${HEAD}phases:
  pre:
    - { id: 1, title: Nothing }
    - id: 2
      title: Group
      with: { duration: 1s }
      steps: [ { id: 2a, title: a, type: wait, with: { duration: 1s } } ]
`);
    expect(details).toEqual([
      'rb.yaml:7:7  phases.pre[0]  a step needs "type" (one action) or "steps" (a group of sub-steps)',
      'rb.yaml:10:7  phases.pre[1].with  a group of sub-steps takes no "with"; put it on the sub-steps',
    ]);
  });

  it('rejects step params that are wrong: a URL that is not one, a misspelt key, a missing key', () => {
    const details = problems(`${HEAD}phases:
  pre:
    - { id: 1, title: Check, type: http.check, with: { url: not-a-url, sttaus: 200 } }
    - { id: 2, title: Notice, type: manual }
`);
    expect(details).toEqual([
      'rb.yaml:7:61  phases.pre[0].with.url  Invalid URL, got "not-a-url"',
      'rb.yaml:7:72  phases.pre[0].with.sttaus  unknown key "sttaus"; did you mean "status"?',
      'rb.yaml:8:7  phases.pre[1].with.instructions  missing required key "instructions"',
    ]);
  });

  it('says in which environment params are wrong when only some environments are', () => {
    const details = problems(`version: 1
name: demo
environments:
  sandbox: { region: eu-west-2, account: "000000000000", vars: { base: "localhost:8080" } }
  prod: { region: eu-west-2, account: "123456789012", vars: { base: "https://admin.tis.nhs.uk" } }
phases:
  post:
    - { id: 1, title: Admins-UI up, type: http.check, with: { url: "\${vars.base}/health" } }
`);
    expect(details).toEqual([
      'rb.yaml:8:68  phases.post[0].with.url  Invalid URL, got "localhost:8080/health" (from ${vars.base}/health) (in environment sandbox)',
    ]);
  });

  describe('rollback references', () => {
    const steps = `phases:
  pre:
    - id: 1
      title: Group
      steps:
        - { id: 1a, title: Wait, type: wait, with: { duration: 1s } }
        - { id: 1b, title: Check, type: http.check, with: { url: "https://x.test" } }
  mid:
    - { id: 3, title: Tell users, type: manual, with: { instructions: Tell them } }
`;
    // Lines 5-13 are the steps above; rollback entries start at line 14.

    it('rejects undo of an unknown step, listing the phase`s steps', () => {
      const details = problems(`${HEAD}${steps}rollback:\n  - { id: 3, title: Back, undo: [mid.4] }\n`);
      expect(details).toEqual(['rb.yaml:15:34  rollback[0].undo[0]  unknown step "mid.4" (steps in mid: 3)']);
    });

    it('rejects undo of a wait step and of an http.check step: they change nothing', () => {
      const details = problems(`${HEAD}${steps}rollback:\n  - { id: 3, title: Back, undo: [pre.1a, pre.1b] }\n`);
      expect(details).toEqual([
        'rb.yaml:15:34  rollback[0].undo[0]  "pre.1a" is a wait step, which changes nothing, so there is nothing to undo',
        'rb.yaml:15:42  rollback[0].undo[1]  "pre.1b" is a http.check step, which changes nothing, so there is nothing to undo',
      ]);
    });

    it('rejects undo of a manual step: it changes things but cannot be undone', () => {
      const details = problems(`${HEAD}${steps}rollback:\n  - { id: 3, title: Back, undo: [mid.3] }\n`);
      expectProblem(details, 'rb.yaml:15:34  rollback[0].undo[0]', 'manual steps cannot be undone');
    });

    it('rejects undo of a group, naming its sub-steps', () => {
      const details = problems(`${HEAD}${steps}rollback:\n  - { id: 3, title: Back, undo: [pre.1] }\n`);
      expectProblem(
        details,
        'rb.yaml:15:34  rollback[0].undo[0]',
        '"pre.1" is a group of sub-steps; name the ones to undo (pre.1a, pre.1b)',
      );
    });

    it('shows a `then` cycle', () => {
      const details = problems(`${HEAD}${steps}rollback:
  - { id: 3, title: DNS back, steps: [ { id: 1, title: x, type: manual, with: { instructions: x } } ], then: [5] }
  - { id: 4, title: Reval back, steps: [ { id: 1, title: x, type: manual, with: { instructions: x } } ], then: [3] }
  - { id: 5, title: UM back, steps: [ { id: 1, title: x, type: manual, with: { instructions: x } } ], then: [4] }
`);
      expect(details).toEqual(['rb.yaml:16:113  rollback[1].then[0]  rollback entries chain in a loop: 3 -> 5 -> 4 -> 3']);
    });

    it('shows an entry that chains to itself', () => {
      const details = problems(`${HEAD}${steps}rollback:\n  - { id: 4, title: Reval back, then: [4] }\n`);
      expect(details).toEqual(['rb.yaml:15:40  rollback[0].then[0]  rollback entries chain in a loop: 4 -> 4']);
    });

    it('rejects `then` naming an unknown rollback, and a duplicate rollback id', () => {
      const details = problems(`${HEAD}${steps}rollback:
  - { id: 3, title: DNS back, then: [9] }
  - { id: 3, title: Again, steps: [ { id: 1, title: x, type: manual, with: { instructions: x } } ] }
`);
      expect(details).toEqual([
        'rb.yaml:15:38  rollback[0].then[0]  unknown rollback "9" (rollback ids: 3)',
        'rb.yaml:16:11  rollback[1].id  duplicate rollback id "3" (first used at rollback[0])',
      ]);
    });

    it('rejects an entry that does nothing', () => {
      const details = problems(`${HEAD}${steps}rollback:\n  - { id: 5, title: Fix forward, when: UM cannot be set up }\n`);
      expect(details).toEqual(['rb.yaml:15:5  rollback[0]  rollback entry 5 does nothing: give it "undo", "steps" or "then"']);
    });
  });

  describe('checks', () => {
    const checks = `checks:
  admins: { with: { url: "https://admin.test/health" } }
`;

    it('rejects an unknown check in verify, with a suggestion', () => {
      const details = problems(
        `${HEAD}${checks}phases:\n  mid:\n    - { id: 3, title: x, type: wait, with: { duration: 1s }, verify: [admin] }\n`,
      );
      expect(details).toEqual(['rb.yaml:9:71  phases.mid[0].verify[0]  unknown check "admin"; did you mean "admins"? (checks: admins)']);
    });

    it('rejects an unknown check in a rollback trigger', () => {
      const details = problems(`${HEAD}${checks}phases: {}
rollback:
  - id: 4
    title: Reval back
    steps: [ { id: 1, title: x, type: manual, with: { instructions: x } } ]
    trigger: { check: reval, failingFor: 1h }
`);
      expect(details).toEqual(['rb.yaml:12:23  rollback[0].trigger.check  unknown check "reval" (checks: admins)']);
    });

    it('rejects a window or a cost that names no step, or a group', () => {
      const details = problems(`${HEAD}checks:
  admins: { with: { url: "https://x.test" }, activeAfter: mid.9 }
phases:
  mid:
    - { id: 1, title: g, steps: [ { id: 1a, title: x, type: wait, with: { duration: 1s } } ] }
rollback:
  - id: 4
    title: Back
    steps: [ { id: 1, title: x, type: manual, with: { instructions: x } } ]
    trigger: { check: admins, failingFor: 1h, activeUntil: mid.1 }
    cost: { counter: cognito.usersCreatedSince, since: mid.1a }
`);
      expect(details.map((d) => d.replace(/^rb\.yaml:\d+:\d+\s+/, ''))).toEqual([
        expect.stringMatching(/^checks\.admins\.activeAfter\s+unknown step "mid\.9"/),
        expect.stringMatching(/^rollback\[0\]\.trigger\.activeUntil\s+"mid\.1" is a group of sub-steps/),
      ]);
    });

    it('takes a trigger with exactly one of failingFor or failures', () => {
      const details = problems(`${HEAD}checks:
  admins: { with: { url: "https://x.test" } }
phases: {}
rollback:
  - id: 4
    title: Back
    steps: [ { id: 1, title: x, type: manual, with: { instructions: x } } ]
    trigger: { check: admins, failingFor: 1h, failures: "3 of 5" }
`);
      expect(details.join('\n')).toContain('exactly one of failingFor');
    });

    it('rejects a check whose type changes things, and one whose type is unknown', () => {
      const details = problems(`${HEAD}checks:
  people: { type: manual, with: { instructions: Look } }
  reval: { type: http.chek, with: { url: "https://x.test" } }
phases: {}
`);
      expect(details).toEqual([
        'rb.yaml:6:19  checks.people.type  check "people" uses "manual", which changes things; a check may only read (apigateway.assertApi, cloudfront.assertDistribution, cloudwatch.alarm, cognito.assertUserPool, http.check, wait)',
        'rb.yaml:7:18  checks.reval.type  unknown step type "http.chek"; did you mean "http.check"? (known types: apigateway.assertApi, apigateway.restrictMethods, apigateway.setAuthorizerPool, apigateway.setStageVariables, cloudfront.assertDistribution, cloudwatch.alarm, cognito.assertUserPool, http.check, manual, route53.switchRecord, wait)',
      ]);
    });

    it('checks the params of a check', () => {
      const details = problems(`${HEAD}checks:\n  admins: { with: { url: "https://x.test", status: 700 } }\nphases: {}\n`);
      expectProblem(details, 'rb.yaml:6:52  checks.admins.with.status', 'expected number to be <=599');
    });
  });

  describe('variables', () => {
    it('rejects an unknown ${vars.x} in step params, with a suggestion', () => {
      const details = problems(`${HEAD}vars: { zone: tis.nhs.uk }
phases:
  mid:
    - { id: 3, title: x, type: http.check, with: { url: "https://admin.\${vars.zon}/" } }
`);
      expect(details).toEqual(['rb.yaml:8:57  phases.mid[0].with.url  unknown variable ${vars.zon}; did you mean ${vars.zone}?']);
    });

    it('rejects an unknown ${vars.x} in a variable and in a title', () => {
      const details = problems(`${HEAD}vars: { host: "admin.\${vars.zone}" }
phases:
  mid:
    - { id: 3, title: "Switch \${vars.hots}", type: wait, with: { duration: 1s } }
`);
      expect(details).toEqual([
        'rb.yaml:5:15  vars.host  unknown variable ${vars.zone}',
        'rb.yaml:8:23  phases.mid[0].title  unknown variable ${vars.hots}',
      ]);
    });

    it('says which environment lacks a variable', () => {
      const details = problems(`version: 1
name: demo
environments:
  sandbox: { region: eu-west-2, account: "000000000000" }
  prod: { region: eu-west-2, account: "123456789012", vars: { zone: tis.nhs.uk } }
phases:
  mid: [ { id: 3, title: x, type: manual, with: { instructions: "Check \${vars.zone}" } } ]
`);
      expect(details).toEqual(['rb.yaml:7:65  phases.mid[0].with.instructions  unknown variable ${vars.zone} (in environment sandbox)']);
    });

    it('rejects variables that refer to each other in a loop', () => {
      const details = problems(`${HEAD}vars: { a: "\${vars.b}", b: "x\${vars.a}" }\nphases: {}\n`);
      expect(details).toEqual(['rb.yaml:5:12  vars.a  variables refer to each other in a loop: a -> b -> a']);
    });

    it('rejects a reference that is neither vars nor env', () => {
      const details = problems(`${HEAD}phases:\n  mid: [ { id: 3, title: x, type: manual, with: { instructions: "\${zone}" } } ]\n`);
      expect(details).toEqual([
        'rb.yaml:6:65  phases.mid[0].with.instructions  "${zone}" is not a reference: write ${vars.name}, ${env.NAME} or ${tf.output_name}',
      ]);
    });

    it('does not require ${env.X} to be set when validating', () => {
      expect(() =>
        problems(`${HEAD}vars: { base: "\${env.ADMINS_URL}" }
phases:
  mid: [ { id: 3, title: x, type: http.check, with: { url: "\${vars.base}/health", status: "\${env.STATUS}" } } ]
`),
      ).toThrow('the runbook loaded');
    });
  });

  it('reports every problem together, in document order', () => {
    const error = problems(`version: 1
name: demo
environments:
  sandbox: { region: eu-west-2, account: 123456789012 }
phases:
  pre:
    - { id: 1, title: a, type: wiat }
    - { id: 1, title: b, type: wait, with: { duration: soon } }
rollback:
  - { id: 3, title: Back, undo: [pre.1], then: [3] }
`);
    expect(error).toEqual([
      'rb.yaml:4:42  environments.sandbox.account  expected a string, got 123456789012; quote it: "123456789012"',
      'rb.yaml:7:32  phases.pre[0].type  unknown step type "wiat"; did you mean "wait"? (known types: apigateway.assertApi, apigateway.restrictMethods, apigateway.setAuthorizerPool, apigateway.setStageVariables, cloudfront.assertDistribution, cloudwatch.alarm, cognito.assertUserPool, http.check, manual, route53.switchRecord, wait)',
      'rb.yaml:8:13  phases.pre[1].id  duplicate step id "1" in phase pre (first used at phases.pre[0])',
      'rb.yaml:8:56  phases.pre[1].with.duration  expected a duration such as "90s", "5m" or "1h", got "soon"',
      // pre.1's type is unknown, so whether it can be undone is not judged (said once, at the type).
      'rb.yaml:10:49  rollback[0].then[0]  rollback entries chain in a loop: 3 -> 3',
    ]);
  });
});
