import { RunbookError } from '../errors.js';
import { parseFaults } from '../sandbox/faults.js';
import type { FaultSpec } from '../sandbox/faults.js';
import { formatDuration } from '../util/duration.js';

export interface SandboxCommandOptions {
  timeScale?: string;
  faults?: string;
  json?: boolean;
}

export const DEFAULT_TIME_SCALE = 600;
const HOUR_MS = 3_600_000;

/**
 * `migrate sandbox`: stdout carries only what a script sources (export lines, then `# ready`) or,
 * with --json, one JSON document; everything for the operator goes to stderr.
 */
export async function sandboxCommand(opts: SandboxCommandOptions): Promise<number> {
  const timeScale = parseTimeScale(opts.timeScale);
  const faults: FaultSpec = opts.faults ? parseFaults(opts.faults) : {};

  process.stderr.write('Starting the sandbox (moto, front proxy, health endpoints) and seeding the TIS estate...\n');
  const { startSandbox } = await import('../sandbox/sandbox.js');
  const sandbox = await startSandbox({ timeScale, faults });
  // Registered before anything is printed: a script may send SIGTERM as soon as it sees `# ready`.
  const stopped = new Promise<NodeJS.Signals>((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      for (const other of ['SIGINT', 'SIGTERM'] as const) process.off(other, on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });

  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ ready: true, timeScale, exports: sandbox.exports, ids: sandbox.ids, health: sandbox.health.url, moto: { url: sandbox.moto.url, pid: sandbox.moto.pid }, proxy: sandbox.proxy.url })}\n`,
    );
  } else {
    const lines = Object.entries(sandbox.exports).map(([name, value]) => `export ${name}=${shellQuote(value)}`);
    lines.push(`# time scale ${timeScale}: a 1h wait takes ${formatDuration(HOUR_MS / timeScale)}`, '# ready');
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  const active =
    faults.incidents?.length || faults.throttle || faults.error5xx || faults.latencyMs || faults.slowInsyncMs
      ? ` with faults ${opts.faults}`
      : '';
  process.stderr.write(
    [
      `Sandbox ready${active}: moto ${sandbox.moto.url} (pid ${sandbox.moto.pid}), AWS endpoint ${sandbox.proxy.url}, health ${sandbox.health.url}`,
      `Time scale ${timeScale}: a 1h wait takes ${formatDuration(HOUR_MS / timeScale)}. State lives in memory and goes when the sandbox stops.`,
      'Serving until Ctrl-C (SIGINT) or SIGTERM.',
      '',
    ].join('\n'),
  );

  const signal = await stopped;
  process.stderr.write(`${signal}: stopping the sandbox...\n`);
  await sandbox.stop();
  process.stderr.write('Sandbox stopped.\n');
  return 0;
}

export function parseTimeScale(text: string | undefined): number {
  if (text === undefined) return DEFAULT_TIME_SCALE;
  const value = Number(text.trim());
  if (!/^\s*\d+(\.\d+)?\s*$/.test(text) || !Number.isFinite(value) || value <= 0) {
    throw new RunbookError('USAGE', `--time-scale must be a positive number, not "${text}"`, {
      hint: `Every wait is divided by it: --time-scale ${DEFAULT_TIME_SCALE} (the default) makes a 1h wait take 6s; 1 is real time.`,
    });
  }
  return value;
}

const SHELL_SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** A value a POSIX shell reads back unchanged; single quotes only when something needs them. */
export function shellQuote(value: string): string {
  if (SHELL_SAFE.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}
