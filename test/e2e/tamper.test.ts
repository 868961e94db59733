import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditLines, cli, localEnv, localRunbook, tempDir, type LocalRunbook } from './helpers.js';

/** A state file as JSON, to be broken on purpose. */
type StateDoc = Record<string, unknown> & { steps: Record<string, unknown> };

/**
 * Issue 11: state that cannot lie. Each tampering the adversarial run tried on an environment's
 * files (state.json, audit.jsonl, lock, the directory itself) gives a clear message naming the
 * file, the documented exit code, no stack trace, and leaves the tampered file as it was.
 */
describe('tampered state files', () => {
  const root = tempDir('migrate-tamper-');
  let book: LocalRunbook;
  let good: string;
  let n = 0;

  /** A fresh copy of a state dir after one real `run mid`; `tamper` edits its env dir. */
  function copy(tamper: (envDir: string, stateDir: string) => void = () => undefined): {
    state: string;
    envDir: string;
    env: NodeJS.ProcessEnv;
  } {
    const state = join(root.path, `copy-${n++}`);
    cpSync(good, state, { recursive: true });
    const envDir = join(state, 'local');
    tamper(envDir, state);
    return { state, envDir, env: localEnv(state) };
  }
  const migrate = (env: NodeJS.ProcessEnv, ...args: string[]) => cli(['--runbook', book.file, ...args], env);
  const editState = (envDir: string, edit: (doc: StateDoc) => void) => {
    const file = join(envDir, 'state.json');
    const doc = JSON.parse(readFileSync(file, 'utf8')) as StateDoc;
    edit(doc);
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
  };
  const noStack = (stderr: string) => {
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(stderr).not.toMatch(/internal error|This is a bug/);
  };

  beforeAll(async () => {
    book = localRunbook(root.path, { steps: 2 });
    good = join(root.path, 'good');
    const run = await migrate(localEnv(good), 'run', 'mid', '--yes');
    expect(run.code, run.stderr).toBe(0);
  });
  afterAll(() => root.remove());

  describe('state.json validated as a whole', () => {
    const cases: [string, (doc: StateDoc) => void, RegExp][] = [
      ['version 0', (d) => (d.version = 0), /state\.json:2:\d+: version is 0, not a state version \(1 for this migrate\)/],
      ['version -1', (d) => (d.version = -1), /state\.json:2:\d+: version is -1, not a state version/],
      [
        'another environment',
        (d) => (d.env = 'prod'),
        /state\.json:4:\d+: env is "prod": this state belongs to another environment than "local"/,
      ],
      [
        'another runbook',
        (d) => (d.runbook = 'other-book'),
        /state\.json:3:\d+: runbook is "other-book": this state belongs to another runbook than "e2e-local"/,
      ],
      [
        'a checkpoint "garbage"',
        (d) => (d.steps['mid.1'] = 'garbage'),
        /state\.json:7:\d+: steps\["mid\.1"\] is "garbage", not a checkpoint/,
      ],
      ['a checkpoint null', (d) => (d.steps['mid.1'] = null), /steps\["mid\.1"\] is null, not a checkpoint/],
      ['a checkpoint []', (d) => (d.steps['mid.2'] = []), /state\.json:\d+:\d+: steps\["mid\.2"\] is \[\], not a checkpoint/],
      [
        'an unknown status',
        (d) => ((d.steps['mid.1'] as Record<string, unknown>).status = 'done'),
        /steps\["mid\.1"\]\.status is "done", not one of pending, applying, applied, noop, skipped, failed, undoing, interrupted, rolled-back/,
      ],
    ];
    it.each(cases)('%s: exit 2, a located refusal naming the file, the file untouched', async (_name, edit, message) => {
      const { envDir, env } = copy((dir) => editState(dir, edit));
      const before = readFileSync(join(envDir, 'state.json'));
      for (const args of [['status'], ['run', 'mid', '--yes']]) {
        const result = await migrate(env, ...args);
        expect(result.code, `${args.join(' ')}: ${result.stderr}`).toBe(2);
        expect(result.stderr).toMatch(message);
        expect(result.stderr).toContain(join(envDir, 'state.json'));
        noStack(result.stderr);
      }
      expect(readFileSync(join(envDir, 'state.json')).equals(before)).toBe(true);
      expect(existsSync(join(envDir, 'lock'))).toBe(false);
    });
  });

  it('a symlinked state.json is refused (exit 2), not replaced by a regular file', async () => {
    const { envDir, state, env } = copy((dir, base) => {
      renameSync(join(dir, 'state.json'), join(base, 'elsewhere.json'));
      symlinkSync(join(base, 'elsewhere.json'), join(dir, 'state.json'));
    });
    for (const args of [['status'], ['run', 'mid', '--yes']]) {
      const result = await migrate(env, ...args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(
        `error: ${join(envDir, 'state.json')} is a symbolic link; migrate does not follow links for its state file`,
      );
      noStack(result.stderr);
    }
    expect(lstatSync(join(envDir, 'state.json')).isSymbolicLink()).toBe(true);
    expect(existsSync(join(state, 'elsewhere.json'))).toBe(true);
  });

  it('a symlinked audit.jsonl is refused and its target not written', async () => {
    const { envDir, state, env } = copy((dir, base) => {
      writeFileSync(join(base, 'target.log'), 'precious\n');
      renameSync(join(dir, 'audit.jsonl'), join(base, 'old-audit.jsonl'));
      symlinkSync(join(base, 'target.log'), join(dir, 'audit.jsonl'));
    });
    const run = await migrate(env, 'run', 'mid', '--yes');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toContain(`${join(envDir, 'audit.jsonl')} is a symbolic link`);
    noStack(run.stderr);
    const log = await migrate(env, 'log');
    expect(log.code).toBe(2);
    expect(log.stderr).toContain(`${join(envDir, 'audit.jsonl')} is a symbolic link`);
    expect(readFileSync(join(state, 'target.log'), 'utf8')).toBe('precious\n');
    expect(existsSync(join(envDir, 'lock'))).toBe(false);
  });

  it('a symlinked environment directory is refused and its target not chmod-ed', async () => {
    const { envDir, state, env } = copy((dir, base) => {
      renameSync(dir, join(base, 'real-local'));
      chmodSync(join(base, 'real-local'), 0o755);
      symlinkSync(join(base, 'real-local'), dir);
    });
    for (const args of [['status'], ['run', 'mid', '--yes'], ['log']]) {
      const result = await migrate(env, ...args);
      expect(result.code, result.stderr).toBe(2);
      expect(result.stderr).toContain(`error: ${envDir} is a symbolic link; migrate does not follow links for its state directory`);
      noStack(result.stderr);
    }
    expect(statSync(join(state, 'real-local')).mode & 0o777).toBe(0o755);
  });

  it('group- or world-readable files are made 0600 (the directory 0700) with a warning', async () => {
    const { envDir, env } = copy((dir) => {
      chmodSync(join(dir, 'audit.jsonl'), 0o644);
      chmodSync(join(dir, 'state.json'), 0o666);
      chmodSync(dir, 0o755);
    });
    const status = await migrate(env, 'status');
    expect(status.code, status.stderr).toBe(0);
    expect(status.stderr).toContain(`warning: ${envDir} was open to other users (mode 0755); made it 0700`);
    expect(status.stderr).toContain(`warning: ${join(envDir, 'state.json')} was readable by other users (mode 0666); made it 0600`);
    // status reads the audit trail too (the saved plans' approvals), so it is the one that mends it.
    expect(status.stderr).toContain(`warning: ${join(envDir, 'audit.jsonl')} was readable by other users (mode 0644); made it 0600`);
    const log = await migrate(env, 'log');
    expect(log.code, log.stderr).toBe(0);
    for (const f of ['state.json', 'audit.jsonl']) expect(statSync(join(envDir, f)).mode & 0o777).toBe(0o600);
    expect(statSync(envDir).mode & 0o777).toBe(0o700);
    // Once private, nothing more is said.
    const again = await migrate(env, 'status');
    expect(again.stderr).toBe('');
  });

  it('a torn last audit line: kept aside and reported, the next event starts a fresh line, log shows all with the bad line marked', async () => {
    const { envDir, env } = copy((dir) => appendFileSync(join(dir, 'audit.jsonl'), '{"time":"2026-01-01T00:00:00Z","user":"ops","comm'));
    const audit = join(envDir, 'audit.jsonl');
    const linesBefore = readFileSync(audit, 'utf8').split('\n').length;
    const run = await migrate(env, 'run', 'mid', '--yes');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      new RegExp(
        `warning: ${audit.replace(/[.]/g, '\\.')} ended in a partial line \\(\\d+ bytes, from an append cut short\\); a copy was kept in ${audit.replace(/[.]/g, '\\.')}\\.torn-`,
      ),
    );
    const aside = readdirSync(envDir).filter((f) => f.startsWith('audit.jsonl.torn-'));
    expect(aside).toHaveLength(1);
    expect(readFileSync(join(envDir, aside[0]!), 'utf8')).toBe('{"time":"2026-01-01T00:00:00Z","user":"ops","comm');
    const lines = readFileSync(audit, 'utf8').split('\n');
    expect(lines[linesBefore - 1]).toBe('{"time":"2026-01-01T00:00:00Z","user":"ops","comm');
    expect(JSON.parse(lines[linesBefore]!)).toMatchObject({ event: 'audit-torn-tail', detail: expect.stringContaining(aside[0]!) });
    expect(JSON.parse(lines[linesBefore + 1]!)).toMatchObject({ event: 'run-start', command: 'run mid' });

    const log = await migrate(env, 'log');
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(
      new RegExp(`^!! line ${linesBefore}: not a JSON line  \\{"time":"2026-01-01T00:00:00Z","user":"ops","comm$`, 'm'),
    );
    expect(log.stdout.match(/run-start/g)).toHaveLength(2);
    expect(log.stdout).toMatch(/run-end ok/);
    expect(log.stderr).toContain(`warning: 1 line(s) of ${envDir}/audit.jsonl are not audit events (line ${linesBefore})`);
    const json = await migrate(env, 'log', '--json');
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout) as { events: unknown[]; badLines: { line: number }[] };
    expect(doc.badLines).toEqual([
      { line: linesBefore, problem: 'not a JSON line', text: '{"time":"2026-01-01T00:00:00Z","user":"ops","comm' },
    ]);
    expect(doc.events).toHaveLength(lines.filter(Boolean).length - 1);
  });

  it('a torn line at the very end is marked as cut short, and log still shows everything before it', async () => {
    const { envDir, env } = copy((dir) => appendFileSync(join(dir, 'audit.jsonl'), '{"time":"2026'));
    const log = await migrate(env, 'log');
    expect(log.code, log.stderr).toBe(0);
    expect(log.stdout).toMatch(/^!! line \d+: not a JSON line \(the last line, cut short\)/m);
    expect(log.stdout).toMatch(/run-end ok/);
    expect(existsSync(join(envDir, 'lock'))).toBe(false);
  });

  describe('a lock of {}', () => {
    it('is reported as unreadable by status and run (exit 3), refused by plain unlock, removed and named by unlock --force', async () => {
      const { envDir, env } = copy((dir) => writeFileSync(join(dir, 'lock'), '{}', { mode: 0o600 }));
      const lock = join(envDir, 'lock');
      const status = await migrate(env, 'status');
      expect(status.code).toBe(0);
      expect(status.stdout).toContain('locked by a lock file that cannot be read (it names no process (pid and host))');
      const run = await migrate(env, 'run', 'mid', '--yes');
      expect(run.code).toBe(3);
      expect(run.stderr).toContain(
        `error: environment "local" is locked by a lock file that cannot be read: ${lock} (it names no process (pid and host))`,
      );
      expect(run.stderr).not.toContain('undefined');
      const unlock = await migrate(env, 'unlock');
      expect(unlock.code).toBe(3);
      expect(unlock.stderr).toContain(`error: the lock on "local" cannot be read: ${lock} (it names no process (pid and host))`);
      expect(existsSync(lock)).toBe(true);
      const forced = await migrate(env, 'unlock', '--force');
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.stdout).toContain(
        `released the lock on "local" (was an unreadable lock file (it names no process (pid and host))): removed ${lock}`,
      );
      expect(existsSync(lock)).toBe(false);
      expect(auditLines(join(envDir, '..'), 'local').at(-1)).toMatchObject({
        event: 'unlock',
        result: 'forced',
        detail: expect.stringContaining(lock),
      });
    });

    it('an empty lock too', async () => {
      const { env } = copy((dir) => writeFileSync(join(dir, 'lock'), '', { mode: 0o600 }));
      const unlock = await migrate(env, 'unlock');
      expect(unlock.code).toBe(3);
      expect(unlock.stderr).toMatch(/cannot be read: .*lock \(it is empty\)/);
    });
  });

  it('a state path of the wrong kind (a file where the state directory goes) exits 2 naming it', async () => {
    const state = join(root.path, 'not-a-dir');
    writeFileSync(state, 'x');
    const run = await migrate(localEnv(state), 'run', 'mid', '--yes');
    expect(run.code, run.stderr).toBe(2);
    expect(run.stderr).toMatch(/^error: cannot .* not a directory \(ENOTDIR\)$/m);
    noStack(run.stderr);
    const dirAsState = join(root.path, 'state-is-dir');
    mkdirSync(join(dirAsState, 'local', 'state.json'), { recursive: true });
    const status = await migrate(localEnv(dirAsState), 'status');
    expect(status.code, status.stderr).toBe(2);
    expect(status.stderr).toContain(
      `error: cannot read the state file ${join(dirAsState, 'local', 'state.json')}: it is a directory, not a file (EISDIR)`,
    );
    noStack(status.stderr);
  });
});
