import { MAX_RUNBOOK_BYTES } from '../../src/runbook/hostile.js';
import { HEAD } from './helpers.js';

/** Hostile runbooks, shared by the loader's tests and the CLI's (test/cli/hostile-runbooks.test.ts). */

export const STEPS = `phases:
  mid:
    - { id: "1", title: Wait, type: wait, with: { duration: 1s } }
`;

/** Nine anchors, each nine aliases of the one before: 9^9 strings once expanded. */
function aliasBomb(): string {
  const lines = ['  x0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 10; i++) lines.push(`  x${i}: &a${i} [${Array.from({ length: 9 }, () => `*a${i - 1}`).join(',')}]`);
  return `${HEAD}${STEPS}vars:\n${lines.join('\n')}\n`;
}

export const CASES: Record<string, string> = {
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
