import { expect } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { parseRunbookText } from '../../src/runbook/load.js';

/** Four lines every case starts with, so line numbers in the cases below count from 5. */
export const HEAD = `version: 1
name: demo
environments:
  sandbox: { region: eu-west-2, account: "000000000000" }
`;

/** The RunbookError a text raises (fails the test when it loads). */
export function loadError(text: string, file = 'rb.yaml'): RunbookError {
  try {
    parseRunbookText(text, file);
  } catch (error) {
    if (error instanceof RunbookError) return error;
    throw error;
  }
  throw new Error('the runbook loaded, but a problem was expected');
}

export function problems(text: string): string[] {
  const error = loadError(text);
  expect(error.code).toBe('RUNBOOK_INVALID');
  return error.details;
}

/** Asserts one detail line: exactly `file:line:col  path  ` and a fragment of the message. */
export function expectProblem(details: string[], where: string, fragment: string): void {
  const matching = details.filter((d) => d.startsWith(`${where}  `));
  expect(matching, `no problem at "${where}" in:\n${details.join('\n')}`).not.toEqual([]);
  expect(
    matching.some((d) => d.includes(fragment)),
    `"${fragment}" not in:\n${matching.join('\n')}`,
  ).toBe(true);
}
