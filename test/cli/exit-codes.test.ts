import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * Issue 10: the exit codes the README documents (0 done · 1 a step failed · 2 usage or runbook
 * invalid · 3 locked · 4 aborted or not confirmed · 5 drift), argv by argv, with no terminal.
 * Every usage error, commander's own included, exits 2 and says how to get usage.
 */

const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'dist/bin.js');
const plugin = join(root, 'test/fixtures/plugins/json-file.mjs');
const dir = mkdtempSync(join(tmpdir(), 'migrate-exit-'));
const book = join(dir, 'rb.yaml');
writeFileSync(
  book,
  `version: 1
name: demo
environments:
  local: { region: eu-west-2, account: "000000000000" }
phases:
  mid:
    - { id: "1", title: Set a, type: test.jsonFile, with: { file: "${join(dir, 'world.json')}", key: a, value: one } }
rollback:
  - { id: "3", title: Undo a, undo: [mid.1] }
`,
);
const env: NodeJS.ProcessEnv = {
  ...process.env,
  NO_COLOR: '1',
  MIGRATE_STEP_PLUGINS: plugin,
  MIGRATE_RUNBOOK: book,
  MIGRATE_STATE_DIR: join(dir, 'state'),
  MIGRATE_ENV: 'local',
};
delete env.CI;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function migrate(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: root, env, encoding: 'utf8', input: '' });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

const USAGE_HINT = /\(run "migrate --help" for usage\)|^hint: |^Usage: migrate /m;
const ROLLBACKS = /hint: Rollbacks: 3 \(Undo a\)\./;

const TABLE: { argv: string[]; code: number; stderr?: RegExp }[] = [
  { argv: ['--help'], code: 0 },
  { argv: ['-V'], code: 0 },
  { argv: ['run', '--help'], code: 0 },
  { argv: ['validate'], code: 0 },
  { argv: ['plan', 'mid'], code: 0 },
  // commander's own usage errors
  { argv: ['run'], code: 2, stderr: /missing required argument 'phase'/ },
  { argv: ['plan'], code: 2, stderr: /missing required argument 'phase'/ },
  { argv: ['run', 'mid', '--bogus'], code: 2, stderr: /unknown option '--bogus'/ },
  { argv: ['run', 'mid', '--from'], code: 2, stderr: /option '--from <id>' argument missing/ },
  { argv: ['users', 'diff'], code: 2, stderr: /required option '--export <file>' not specified/ },
  { argv: ['users'], code: 2, stderr: /Usage: migrate users/ },
  { argv: ['status', 'extra'], code: 2, stderr: /too many arguments for 'status'/ },
  { argv: ['bogus'], code: 2, stderr: /unknown command 'bogus'/ },
  { argv: ['--bogus'], code: 2, stderr: /unknown option '--bogus'/ },
  // migrate's own usage errors
  { argv: ['run', 'middle'], code: 2, stderr: /unknown phase "middle"/ },
  { argv: ['--env', 'nope', 'status'], code: 2 },
  // an unknown or malformed rollback id names the rollbacks there are, before any terminal check
  { argv: ['rollback', '99'], code: 2, stderr: ROLLBACKS },
  { argv: ['rollback', 'abc'], code: 2, stderr: ROLLBACKS },
  { argv: ['rollback', '3.5'], code: 2, stderr: ROLLBACKS },
  { argv: ['rollback', '99', '--yes'], code: 2, stderr: ROLLBACKS },
  // a change with no terminal to confirm it and no --yes
  { argv: ['run', 'mid'], code: 4, stderr: /no terminal to confirm/ },
  { argv: ['rollback', '3'], code: 4, stderr: /no terminal to confirm/ },
];

describe('exit codes, argv by argv', () => {
  it.each(TABLE)('migrate $argv -> $code', ({ argv, code, stderr }) => {
    const r = migrate(argv);
    expect(r.code, `${r.out}\n${r.err}`).toBe(code);
    expect(r.err).not.toMatch(/^\s+at |internal error|This is a bug/m);
    if (code === 2) expect(r.err).toMatch(USAGE_HINT);
    if (stderr) expect(r.err).toMatch(stderr);
  });
});

/** The child's stdout is a pipe whose reader has gone before it writes (`| head -1` that has its line). */
function withStdoutClosed(args: string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; err: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let err = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, err }));
  });
}

describe('a closed stdout (EPIPE)', () => {
  // Something for log and status to print.
  beforeAll(() => expect(migrate(['run', 'mid', '--yes']).code).toBe(0));

  it.each([[['--help']], [['log']], [['log', '--json']], [['status']], [['plan', 'mid']], [['validate']]])(
    'migrate %j | head: no stack trace, exit 0',
    async (args) => {
      const r = await withStdoutClosed(args);
      expect(r.err).toBe('');
      expect(r.signal).toBeNull();
      expect(r.code).toBe(0);
    },
  );

  it('through a real shell pipe: migrate --help | head -1 prints the usage line, exit 0', () => {
    const r = spawnSync('/bin/bash', ['-c', `"${process.execPath}" "${bin}" --help | head -1; exit \${PIPESTATUS[0]}`], {
      env,
      encoding: 'utf8',
    });
    expect(r.stdout).toBe('Usage: migrate [options] [command]\n');
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('a run that changes things stops cleanly: exit 4, lock released, the resume command on stderr', async () => {
    rmSync(join(dir, 'world.json'), { force: true });
    rmSync(join(dir, 'state'), { recursive: true, force: true });
    const r = await withStdoutClosed(['run', 'mid', '--yes']);
    expect(r.code, r.err).toBe(4);
    expect(r.err).toMatch(/^error: interrupted/m);
    expect(r.err).toMatch(/To resume: migrate run mid --env local --from 1/);
    expect(r.err).not.toMatch(/^\s+at /m);
    expect(migrate(['status']).out).not.toMatch(/locked by/);
    expect(migrate(['run', 'mid', '--yes']).code).toBe(0);
  });
});
