import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));

function rehearse(...args: string[]): Promise<{
  code: number | null;
  doc: { stages: { name: string; ok: boolean }[]; finalEstate: unknown; injected: number };
  stderr: string;
}> {
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
        resolve({ code, doc: JSON.parse(out), stderr: err });
      } catch {
        reject(new Error(`rehearse printed no JSON (exit ${code}):\n${err.slice(-3000)}`));
      }
    });
  });
}

describe('migrate rehearse --faults conflict=0.3 (TIS plan, strict sandbox)', () => {
  it('retries API Gateway ConflictException through and converges to the same estate as a clean rehearsal', async () => {
    // Two sandboxes of their own: side by side, each fills the other's waits.
    const [clean, conflicted] = await Promise.all([rehearse(), rehearse('--faults', 'conflict=0.3')]);
    expect(clean.code, clean.stderr.slice(-2000)).toBe(0);
    expect(
      conflicted.doc.stages.filter((s) => !s.ok),
      conflicted.stderr.slice(-2000),
    ).toEqual([]);
    expect(conflicted.code).toBe(0);
    expect(conflicted.doc.injected).toBeGreaterThan(0);
    expect(conflicted.doc.finalEstate).toEqual(clean.doc.finalEstate);
  }, 120_000);
});
