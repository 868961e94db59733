import { RunbookError } from '../../errors.js';

/** How a value reads in a diff line: strings bare, absent values as "(not set)", the rest as JSON. */
export function show(value: unknown): string {
  if (value === undefined || value === null) return '(not set)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** One line of an assertion diff, in the form every assert step prints. */
export function diffLine(path: string, expected: unknown, found: unknown): string {
  return `  ${path}: expected ${show(expected)}, found ${show(found)}`;
}

/**
 * The failure of an assert step: what was checked, and one line per field that differs. Asserts
 * cannot fix what they find, so the hint points at where the resource is really managed.
 */
export function assertionFailed(subject: string, lines: string[], hint: string): RunbookError {
  const n = lines.length;
  return new RunbookError('ASSERTION_FAILED', `${subject} does not match the runbook (${n} difference${n === 1 ? '' : 's'})`, {
    details: lines,
    hint,
  });
}

/** The SDK's error name, without depending on the service's exception classes. */
export function errorName(error: unknown): string | undefined {
  return error && typeof error === 'object' && 'name' in error ? String((error as { name: unknown }).name) : undefined;
}
