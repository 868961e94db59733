import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, auditLines, inTerminal, localEnv, localRunbook, lockExists, readState, statePath, tempDir } from './helpers.js';

const ENTER = '\r';
const DOWN = '\x1b[B';
const CTRL_C = '\x03';

/**
 * Issue 3: the interactive path, through a real terminal: listr2 draws the steps, each change is
 * previewed and answered with Apply / Skip / Abort, and a protected environment wants its name typed.
 */
describe('in a terminal', () => {
  const dir = tempDir();
  afterAll(() => dir.remove());

  it('Apply, Skip, then Ctrl-C at the third prompt: exit 4, state and audit say so, lock released', async () => {
    const book = localRunbook(dir.path, { steps: 3 });
    const state = join(dir.path, 'state');
    const result = await inTerminal(['--runbook', book.file, 'run', 'mid'], localEnv(state), [
      { expect: String.raw`Apply mid\.1 \(Set a\)\?`, send: ENTER },
      { expect: String.raw`Apply mid\.2 \(Set b\)\?`, send: DOWN + ENTER },
      { expect: String.raw`Apply mid\.3 \(Set c\)\?`, send: CTRL_C },
    ]);
    expect(result.error, result.output).toBeNull();
    expect(result.matched).toBe(3);
    expect(result.exitCode, result.output).toBe(4);
    // The preview came before each question. A run's before is always live state, so (unlike a
    // dry run's) its preview names no source.
    expect(result.output).toMatch(/set a to 1\s+value: null -> "1"[\s\S]*Apply mid\.1/);
    expect(result.output).toMatch(/error: aborted by the operator at mid\.3/);

    expect(book.writes()).toEqual(['set a=1']);
    const steps = readState(state, 'local').steps;
    expect(steps['mid.1']?.status).toBe('applied');
    expect(steps['mid.2']?.status).toBe('skipped');
    expect(steps['mid.3']?.status ?? 'pending').toBe('pending');
    expect(lockExists(state, 'local')).toBe(false);
    const audit = auditLines(state, 'local');
    expect(audit.filter((l) => l.step === 'mid.1').map((l) => [l.event, l.result])).toEqual([
      ['apply-start', undefined],
      ['apply-end', 'applied'],
      ['step-end', 'applied'],
    ]);
    expect(audit.filter((l) => l.step === 'mid.2').map((l) => [l.event, l.result])).toEqual([
      ['skipped', 'skipped'],
      ['step-end', 'skipped'],
    ]);
    expect(audit.at(-1)).toMatchObject({ event: 'run-end', result: 'aborted', detail: 'aborted by the operator at mid.3' });

    // The last frame tells the three apart: applied, skipped, aborted (never a tick for the last two).
    const lastFrame = (ref: string) =>
      result.output
        .split('\n')
        .filter((line) => line.startsWith(`${line.split(' ')[0]} ${ref}  Set`))
        .at(-1) ?? '';
    expect(lastFrame('mid.1')).toMatch(/^✔ mid\.1 {2}Set a — applied/);
    expect(lastFrame('mid.2')).toMatch(/^\S+ mid\.2 {2}Set b — skipped by the operator/);
    expect(lastFrame('mid.2')).not.toMatch(/^✔/);
    expect(lastFrame('mid.3')).toMatch(/aborted by the operator at mid\.3/);
    expect(lastFrame('mid.3')).not.toMatch(/^✔/);
    // And the way on is printed, as without a terminal.
    expect(result.output).toMatch(/to resume: migrate run mid --runbook \S+ --env local --from 3/);
  }, 40_000);

  it('a protected environment wants its name typed; a wrong name aborts (exit 4) and nothing changes', async () => {
    const sub = join(dir.path, 'protected');
    mkdirSync(sub);
    const book = localRunbook(sub, { steps: 2 });
    const state = join(sub, 'state');
    const result = await inTerminal(['--runbook', book.file, '--env', 'prod', 'run', 'mid'], localEnv(state), [
      { expect: String.raw`Environment "prod" is protected\. Type its name to go on:`, send: `prd${ENTER}` },
    ]);
    expect(result.error, result.output).toBeNull();
    expect(result.exitCode, result.output).toBe(4);
    expect(result.output).toMatch(/environment "prod" is protected and its name was not confirmed/);
    expect(result.output).not.toMatch(/Apply mid\.1/);
    expect(book.writes()).toEqual([]);
    expect(existsSync(book.data)).toBe(false);
    const steps = existsSync(statePath(state, 'prod')) ? readState(state, 'prod').steps : {};
    expect(Object.values(steps).map((s) => s.status)).toEqual([]);
    expect(lockExists(state, 'prod')).toBe(false);

    // Typed right, the run goes on to the usual question for each step.
    const again = await inTerminal(['--runbook', book.file, '--env', 'prod', 'run', 'mid'], localEnv(state), [
      { expect: String.raw`Environment "prod" is protected\. Type its name to go on:`, send: `prod${ENTER}` },
      { expect: String.raw`Apply mid\.1 \(Set a\)\?`, send: ENTER },
      { expect: String.raw`Apply mid\.2 \(Set b\)\?`, send: ENTER },
    ]);
    expect(again.error, again.output).toBeNull();
    expect(again.exitCode, again.output).toBe(0);
    expect(again.output).toMatch(/done: 2 applied/);
    expect(book.writes()).toEqual(['set a=1', 'set b=2']);
  }, 40_000);

  it('stdout piped into tee: the prompts still come, on the terminal; the transcript tee writes is plain lines', async () => {
    const sub = join(dir.path, 'tee');
    mkdirSync(sub);
    const book = localRunbook(sub, { steps: 2 });
    const state = join(sub, 'state');
    const transcript = join(sub, 'cutover.log');
    const shell = `"${process.execPath}" "${BIN}" --runbook "${book.file}" run mid | tee "${transcript}"`;
    const result = await inTerminal(
      [],
      localEnv(state),
      [
        { expect: String.raw`Apply mid\.1 \(Set a\)\?`, send: ENTER },
        { expect: String.raw`Apply mid\.2 \(Set b\)\?`, send: DOWN + ENTER },
      ],
      { argv: ['/bin/sh', '-c', shell] },
    );
    expect(result.error, result.output).toBeNull();
    expect(result.exitCode, result.output).toBe(0);
    expect(result.output).not.toMatch(/no terminal to confirm/);
    expect(book.writes()).toEqual(['set a=1']);
    const log = readFileSync(transcript, 'utf8');
    // No cursor movement, no colour, no prompt in the file: the steps, their diffs and the outcome.
    expect(log.includes('\u001b')).toBe(false);
    expect(log).not.toMatch(/Apply mid\.1 \(Set a\)\?/);
    expect(log).toMatch(/^▸ mid\.1 {2}Set a/m);
    expect(log).toMatch(/^ {6}value: null -> "1"$/m);
    expect(log).toMatch(/^ {2}✔ mid\.1 applied/m);
    expect(log).toMatch(/^ {2}↷ mid\.2 skipped .*: skipped by the operator$/m);
    expect(log).toMatch(/^done: 1 applied, 1 skipped$/m);
  }, 40_000);
});
