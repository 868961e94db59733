import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** What `migrate rehearse --json` printed (the fields the tests read), its exit code and its stderr. */
export interface Rehearsal {
  code: number | null;
  doc: {
    ok: boolean;
    seed: number;
    stages: { name: string; ok: boolean; detail: string }[];
    steps: { step: string; status: string }[];
    finalEstate: unknown;
    injected: number;
    requests: number;
  };
  stderr: string;
}

/** Runs `migrate rehearse --json ARGS` from the built CLI, as CI would (no terminal, no colour). */
export function rehearse(...args: string[]): Promise<Rehearsal> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['dist/bin.js', 'rehearse', '--json', ...args], {
      cwd: root,
      env: { ...process.env, CI: 'true', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      try {
        resolve({ code, doc: JSON.parse(out) as Rehearsal['doc'], stderr: err });
      } catch {
        reject(new Error(`rehearse printed no JSON (exit ${code}):\n${err.slice(-3000)}`));
      }
    });
  });
}
