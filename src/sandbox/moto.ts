import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { RunbookError } from '../errors.js';

export interface MotoServer {
  url: string;
  port: number;
  pid: number;
  /** SIGTERM, then SIGKILL if moto has not gone within a few seconds. Safe to call twice. */
  stop(): Promise<void>;
}

export interface StartMotoOptions {
  /** Python with moto installed; default MIGRATE_PYTHON, then python3 on PATH. */
  python?: string;
  /** Port on 127.0.0.1; default 0 (any free port). */
  port?: number;
  /** Extra environment for moto, over process.env. */
  env?: NodeJS.ProcessEnv;
  /** The account id moto reports and stores resources under (MOTO_ACCOUNT_ID); moto's default is 123456789012. */
  accountId?: string;
  /**
   * Turns on the strict layer's rate limits (CreateDeployment one per 5 s, AdminCreateUser 50/s),
   * their windows divided by this time scale as every other wait is. Unset: no rate limits.
   */
  timeScale?: number;
  /** How long to wait for moto to listen; default 20 s. */
  timeoutMs?: number;
  /** Kill moto when this Node process exits (default true). A kill -9 is covered regardless: moto exits when its stdin pipe closes. */
  killOnExit?: boolean;
}

const PORT_LINE = /^MOTO_PORT=(\d+)$/m;
const STDERR_TAIL = 4000;
const NOT_INSTALLED_HINT =
  'pip install "moto[server]" (5.2.1 is what this project is tested with), or set MIGRATE_PYTHON to a Python that has it';

/**
 * moto_patch.py is not bundled, so it is not in dist/. From src/sandbox/moto.ts it is a sibling;
 * from the bundle it is src/sandbox/moto_patch.py of the package, and this code may end up in
 * dist/bin.js (one level down) or in dist/chunks/ or dist/sandbox/ (two levels down).
 */
export function motoPatchPath(): string {
  const candidates = [
    new URL('./moto_patch.py', import.meta.url),
    new URL('../../src/sandbox/moto_patch.py', import.meta.url),
    new URL('../src/sandbox/moto_patch.py', import.meta.url),
  ];
  for (const candidate of candidates) {
    const path = fileURLToPath(candidate);
    if (existsSync(path)) return path;
  }
  throw new RunbookError('SANDBOX', 'moto_patch.py is missing from this installation of migrate', {
    hint: 'Reinstall migrate; the package must include src/sandbox/moto_patch.py.',
  });
}

/** Turns on the strict layer's rate limits in a running moto, their windows divided by this time scale. */
export async function setMotoTimeScale(url: string, timeScale: number): Promise<void> {
  const response = await fetch(`${url}/moto-api/migrate/time-scale?scale=${encodeURIComponent(String(timeScale))}`, { method: 'POST' });
  await response.arrayBuffer();
  if (!response.ok) throw new RunbookError('SANDBOX', `moto refused the time scale ${timeScale} (HTTP ${response.status})`);
}

/**
 * Empties a running moto for another sandbox (tests that start many reuse a few servers): every
 * backend reset, and the strict layer's rate limits off until the next setMotoTimeScale, so the
 * new estate is seeded as fast as on a fresh server.
 */
export async function resetMoto(url: string): Promise<void> {
  const response = await fetch(`${url}/moto-api/reset`, { method: 'POST' });
  await response.arrayBuffer();
  if (!response.ok) throw new RunbookError('SANDBOX', `moto refused to reset (HTTP ${response.status})`);
  await setMotoTimeScale(url, 0);
}

export async function startMoto(options: StartMotoOptions = {}): Promise<MotoServer> {
  const python = options.python ?? options.env?.MIGRATE_PYTHON ?? process.env.MIGRATE_PYTHON ?? 'python3';
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, PYTHONUNBUFFERED: '1' };
  if (options.accountId !== undefined) env.MOTO_ACCOUNT_ID = options.accountId;
  if (options.timeScale !== undefined) env.MIGRATE_SANDBOX_TIME_SCALE = String(options.timeScale);
  const args = [motoPatchPath(), '--host', '127.0.0.1', '--port', String(options.port ?? 0)];

  // stdin stays an open pipe we never write to: its EOF is how moto learns that we are gone.
  const child = spawn(python, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL);
  });
  // A child that dies early must not crash us with EPIPE on its stdin.
  child.stdin.on('error', () => {});

  const port = await new Promise<number>((resolve, reject) => {
    let stdout = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      fail(
        new RunbookError('SANDBOX', `moto did not start listening within ${Math.round((options.timeoutMs ?? 20_000) / 1000)} s`, {
          hint: 'Check that the Python running moto works on its own: moto_server -H 127.0.0.1 -p 0',
          details: tail(stderr),
        }),
      );
    }, options.timeoutMs ?? 20_000);
    const onData = (chunk: Buffer): void => {
      stdout += chunk.toString('utf8');
      const match = PORT_LINE.exec(stdout);
      if (!match) return;
      cleanup();
      resolve(Number(match[1]));
    };
    const onError = (error: NodeJS.ErrnoException): void => {
      fail(notInstalled(python, error));
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
      cleanup();
      void explainEarlyExit(python, env, code, signal, stderr).then(reject, reject);
    };
    function cleanup(): void {
      clearTimeout(timer);
      child.stdout.off('data', onData);
      child.off('error', onError);
      child.off('exit', onExit);
    }
    function fail(error: RunbookError): void {
      cleanup();
      reject(error);
    }
    child.stdout.on('data', onData);
    child.once('error', onError);
    child.once('exit', onExit);
  });

  // Keep draining stdout so moto never blocks on a full pipe.
  child.stdout.resume();
  return track(child, port, options.killOnExit ?? true);
}

function track(child: ChildProcess, port: number, killOnExit: boolean): MotoServer {
  let exited = child.exitCode !== null || child.signalCode !== null;
  const gone = new Promise<void>((resolve) => {
    if (exited) resolve();
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });
  const killNow = (): void => {
    if (!exited) child.kill('SIGKILL');
  };
  if (killOnExit) process.once('exit', killNow);
  // moto's lifetime follows ours through the stdin pipe, so it need not keep the event loop alive.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) (stream as { unref?: () => void } | null)?.unref?.();

  let stopping: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid ?? -1,
    stop() {
      stopping ??= (async () => {
        process.off('exit', killNow);
        if (!exited) {
          child.kill('SIGTERM');
          const timer = setTimeout(killNow, 3000);
          await gone;
          clearTimeout(timer);
        }
        child.stdin?.destroy();
      })();
      return stopping;
    },
  };
}

function notInstalled(python: string, cause?: unknown): RunbookError {
  return new RunbookError('SANDBOX', `moto is not installed for ${python}`, { hint: NOT_INSTALLED_HINT, cause });
}

/** Moto exited before listening: tell "no moto for this Python" apart from moto failing. */
async function explainEarlyExit(
  python: string,
  env: NodeJS.ProcessEnv,
  code: number | null,
  signal: NodeJS.Signals | null,
  stderr: string,
): Promise<RunbookError> {
  const importable = await new Promise<boolean>((resolve) => {
    const probe = spawn(python, ['-c', 'import moto.moto_server.werkzeug_app'], { env, stdio: 'ignore' });
    probe.once('error', () => resolve(false));
    probe.once('exit', (status) => resolve(status === 0));
  });
  if (!importable) return notInstalled(python);
  return new RunbookError('SANDBOX', `moto exited before it was ready (${signal ?? `exit code ${code}`})`, {
    hint: 'Check that the Python running moto works on its own: moto_server -H 127.0.0.1 -p 0',
    details: tail(stderr),
  });
}

function tail(text: string): string[] {
  return text.trimEnd().split('\n').slice(-15);
}
