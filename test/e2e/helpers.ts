import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { SANDBOX_ACCOUNT_ID, startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/sandbox.js';
import { startMoto, type MotoServer } from '../../src/sandbox/moto.js';
import type { EstateIds } from '../../src/sandbox/estate.js';
import type { RequestLogEntry } from '../../src/sandbox/proxy.js';
import type { StateFile } from '../../src/state/types.js';

/** The end-to-end tests drive the compiled CLI exactly as an operator's shell or a pipeline would. */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = join(ROOT, 'dist/bin.js');
export const RUNBOOK = join(ROOT, 'runbooks/cognito-migration.yaml');
export const JSON_FILE_PLUGIN = join(ROOT, 'test/fixtures/plugins/json-file.mjs');
/** The real interpreter the global setup resolved (a pyenv shim costs every pty driver a bash script). */
export const PYTHON = process.env.MIGRATE_PYTHON ?? 'python3';

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child process's environment without the CI marker (so isInteractive is decided by the streams alone). */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete env.CI;
  return env;
}

/** The environment a person gets after sourcing `migrate sandbox`, with a private state dir. */
export function sandboxEnv(sandbox: Sandbox, stateDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  return baseEnv({ ...sandbox.exports, MIGRATE_STATE_DIR: stateDir, ...extra });
}

export interface Spawned {
  child: ChildProcess;
  /** Everything printed so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching, as soon as it is printed. */
  waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
  done: Promise<CliResult>;
}

/** `migrate <args>` with stdin a closed pipe (no terminal), as in a pipeline. */
export function spawnCli(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; bin?: string } = {}): Spawned {
  const child = spawn(process.execPath, [options.bin ?? BIN, ...args], { cwd: options.cwd ?? ROOT, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin?.end();
  let out = '';
  let err = '';
  const waiters: { pattern: RegExp; resolve(line: string): void }[] = [];
  let partial = '';
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      for (const w of [...waiters]) {
        if (w.pattern.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      }
    }
  });
  child.stderr?.on('data', (chunk: string) => (err += chunk));
  const done = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout: out, stderr: err }));
  });
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    waitForLine(pattern, timeoutMs = 20_000) {
      const seen = out.split('\n').find((line) => pattern.test(line));
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise<string>((resolve, reject) => {
        const timer = setTimeout(
          () => reject(new Error(`no line matching ${pattern} within ${timeoutMs}ms; stdout so far:\n${out}\nstderr:\n${err}`)),
          timeoutMs,
        );
        waiters.push({
          pattern,
          resolve: (line) => {
            clearTimeout(timer);
            resolve(line);
          },
        });
        void done.then(() => {
          clearTimeout(timer);
          reject(new Error(`the process ended before printing a line matching ${pattern}; stdout:\n${out}\nstderr:\n${err}`));
        });
      });
    },
    done,
  };
}

export function cli(args: string[], env: NodeJS.ProcessEnv, options: { cwd?: string; bin?: string } = {}): Promise<CliResult> {
  return spawnCli(args, env, options).done;
}

/** A fresh private directory, removed by the returned function. */
export function tempDir(prefix = 'migrate-e2e-'): { path: string; remove(): void } {
  const path = mkdtempSync(join(tmpdir(), prefix));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

export function statePath(stateDir: string, env: string): string {
  return join(stateDir, env, 'state.json');
}

export function readState(stateDir: string, env = 'sandbox'): StateFile {
  return JSON.parse(readFileSync(statePath(stateDir, env), 'utf8')) as StateFile;
}

export function lockExists(stateDir: string, env = 'sandbox'): boolean {
  return existsSync(join(stateDir, env, 'lock'));
}

export function auditLines(stateDir: string, env = 'sandbox'): Record<string, unknown>[] {
  const file = join(stateDir, env, 'audit.jsonl');
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Requests moto actually received and applied as writes (not the ones the proxy answered with a fault). */
export function appliedWrites(requests: readonly RequestLogEntry[]): RequestLogEntry[] {
  return requests.filter((r) => r.write && !r.injected);
}

/** Writes a runbook file and returns its path. */
export function writeRunbook(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** The seeded runbook with some text replaced (a copy in `dir`); fails loudly if the text is not found. */
export function runbookCopy(dir: string, replacements: [string | RegExp, string][], name = 'cognito-migration.yaml'): string {
  let text = readFileSync(RUNBOOK, 'utf8');
  for (const [from, to] of replacements) {
    const next = text.replace(from, to);
    if (next === text) throw new Error(`runbookCopy: ${String(from)} not found in the runbook`);
    text = next;
  }
  return writeRunbook(dir, name, text);
}

/** moto makes new ids in every sandbox: this replaces them by their names (`<newPoolArn>`), so two sandboxes' states compare. */
export function withIdsNamed(ids: EstateIds): (value: unknown) => unknown {
  const named = Object.entries(ids)
    .filter(([key, value]) => typeof value === 'string' && value.length >= 6 && key !== 'accountId')
    .sort((a, b) => b[1].length - a[1].length);
  return (value) => {
    let text = JSON.stringify(value);
    for (const [key, id] of named) text = text.split(id).join(`<${key}>`);
    return JSON.parse(text) as unknown;
  };
}

export interface LocalRunbook {
  file: string;
  /** The JSON file the steps write, and `<data>.writes`, the log of every write the plugin made. */
  data: string;
  writes(): string[];
}

/**
 * A runbook with no AWS in it: mid steps 1..n of the json-file plugin (each sets one key), with an
 * unprotected environment "local" and a protected one "prod". `slow` gives a step's slowMs; `hold`
 * a file whose existence lets that step's apply finish (the test creates it when it has acted);
 * `slowUnless` a file whose existence makes that step's slow write not wait (for the run after the test has acted).
 */
export function localRunbook(
  dir: string,
  options: { steps?: number; slow?: Record<number, number>; hold?: Record<number, string>; slowUnless?: Record<number, string> } = {},
): LocalRunbook {
  const data = join(dir, 'data.json');
  const keys = 'abcdefgh'.slice(0, options.steps ?? 3).split('');
  const steps = keys
    .map((key, i) => {
      const slowMs = options.slow?.[i + 1] ?? 0;
      const hold = options.hold?.[i + 1];
      const holdUntil = hold ? `, holdUntil: ${JSON.stringify(hold)}` : '';
      const unless = options.slowUnless?.[i + 1];
      const slowUnless = unless ? `, slowUnless: ${JSON.stringify(unless)}` : '';
      return `    - { id: "${i + 1}", title: Set ${key}, type: test.jsonFile, with: { file: ${JSON.stringify(data)}, key: ${key}, value: "${i + 1}", slowMs: ${slowMs}${slowUnless}${holdUntil} } }`;
    })
    .join('\n');
  const file = writeRunbook(
    dir,
    'local.yaml',
    `version: 1
name: e2e-local
environments:
  local: { region: eu-west-2, account: "000000000000" }
  prod: { region: eu-west-2, account: "123456789012", protected: true }
phases:
  mid:
${steps}
`,
  );
  return {
    file,
    data,
    writes: () => (existsSync(`${data}.writes`) ? readFileSync(`${data}.writes`, 'utf8').split('\n').filter(Boolean) : []),
  };
}

/** The environment for a run of a local runbook: the json-file plugin loaded, no AWS, no sandbox. */
export function localEnv(stateDir: string, extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env = baseEnv({
    MIGRATE_STEP_PLUGINS: JSON_FILE_PLUGIN,
    MIGRATE_STATE_DIR: stateDir,
    MIGRATE_ENV: 'local',
    MIGRATE_TIME_SCALE: '1',
    ...extra,
  });
  delete env.AWS_ENDPOINT_URL;
  return env;
}

export interface PtyResult {
  exitCode: number | null;
  signal: number | null;
  /** Everything the terminal showed, escape sequences removed (frames follow one another). */
  output: string;
  matched: number;
  error: string | null;
}

/**
 * What the pty driver does when `expect` shows: type `send`, send the process `signal`, or close
 * the terminal (`hangup`, as a lost SSH session does).
 */
export type PtyAction = { expect: string; delay?: number } & (
  | { send: string }
  | { signal: 'SIGINT' | 'SIGTERM' | 'SIGHUP' }
  | { hangup: true }
);

/**
 * Runs migrate in a real pseudo-terminal (40x120) and acts on `script` as its output shows.
 * `argv` replaces `node dist/bin.js ARGS` (e.g. a shell that pipes migrate's stdout into tee).
 */
export async function inTerminal(
  args: string[],
  env: NodeJS.ProcessEnv,
  script: PtyAction[],
  options: { argv?: string[]; timeout?: number; cwd?: string } = {},
): Promise<PtyResult> {
  const spec = {
    argv: options.argv ?? [process.execPath, BIN, ...args],
    env: { ...env, TERM: 'xterm-256color', CI: '' },
    cwd: options.cwd ?? ROOT,
    timeout: options.timeout ?? 25,
    script,
  };
  const { stdout } = await promisify(execFile)(PYTHON, [join(ROOT, 'test/e2e/fixtures/pty_driver.py'), JSON.stringify(spec)], {
    maxBuffer: 64 * 1024 * 1024,
  });
  return JSON.parse(stdout) as PtyResult;
}

/**
 * Sandboxes of their own, each on a moto server reset for it: a file that starts many, two at a time,
 * pays moto's start-up (a Python process importing moto, about a second of CPU) about twice instead
 * of once per sandbox. Everything else (proxy, request log, health server, seeded estate) is new.
 */
export function sandboxPool(): { start(options?: Omit<SandboxOptions, 'moto'>): Promise<Sandbox>; stop(): Promise<void> } {
  const all: MotoServer[] = [];
  const idle: MotoServer[] = [];
  return {
    async start(options = {}) {
      let moto = idle.pop();
      if (!moto) {
        moto = await startMoto({ accountId: SANDBOX_ACCOUNT_ID });
        all.push(moto);
      }
      const server = moto;
      const sandbox = await startSandbox({ ...options, moto: server }).catch((error: unknown) => {
        idle.push(server);
        throw error;
      });
      let stopping: Promise<void> | undefined;
      const stop = () => {
        stopping ??= sandbox.stop().then(() => void idle.push(server));
        return stopping;
      };
      return { ...sandbox, stop };
    },
    async stop() {
      await Promise.allSettled(all.map((m) => m.stop()));
    },
  };
}
