import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RunbookError } from '../../src/errors.js';
import { startMoto } from '../../src/sandbox/moto.js';
import { isDead, waitFor } from '../helpers/process.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'migrate-moto-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function fakePython(name: string, body: string): string {
  const path = join(scratch, name);
  writeFileSync(path, `#!/bin/sh\n${body}\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('startMoto', () => {
  it('starts moto on a free port and stops it, twice safely', async () => {
    const moto = await startMoto();
    expect(moto.port).toBeGreaterThan(0);
    expect(moto.url).toBe(`http://127.0.0.1:${moto.port}`);
    const res = await fetch(`${moto.url}/moto-api/data.json`);
    expect(res.status).toBe(200);
    await moto.stop();
    await moto.stop();
    expect(await waitFor(() => isDead(moto.pid), 5000)).toBe(true);
  });

  it('serves under the account id it is given', async () => {
    const moto = await startMoto({ accountId: '000000000000' });
    try {
      const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
      const sts = new STSClient({
        endpoint: moto.url,
        region: 'eu-west-2',
        credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
      });
      expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe('000000000000');
    } finally {
      await moto.stop();
    }
  });

  it('says how to install moto when the Python is missing', async () => {
    const error = await startMoto({ python: join(scratch, 'no-such-python') }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunbookError);
    expect((error as RunbookError).code).toBe('SANDBOX');
    expect((error as RunbookError).message).toBe(`moto is not installed for ${join(scratch, 'no-such-python')}`);
    expect((error as RunbookError).hint).toContain('pip install "moto[server]"');
    expect((error as RunbookError).hint).toContain('MIGRATE_PYTHON');
  });

  it('says how to install moto when MIGRATE_PYTHON cannot import it', async () => {
    const python = fakePython('python-without-moto', `echo "ModuleNotFoundError: No module named 'moto'" >&2; exit 1`);
    const error = await startMoto({ env: { MIGRATE_PYTHON: python } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunbookError);
    expect((error as RunbookError).code).toBe('SANDBOX');
    expect((error as RunbookError).message).toBe(`moto is not installed for ${python}`);
    expect((error as RunbookError).hint).toMatch(/pip install "moto\[server\]".*MIGRATE_PYTHON/);
  });

  it('reports a Python that never prints its port, with its stderr', async () => {
    // Imports succeed (exit 0 for -c) but the server never comes up.
    const python = fakePython('python-that-hangs', `case "$1" in -c) exit 0;; esac; echo "stuck starting" >&2; exec sleep 30`);
    const error = await startMoto({ python, timeoutMs: 1500 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RunbookError);
    expect((error as RunbookError).message).toMatch(/did not start listening within/);
    expect((error as RunbookError).details).toContain('stuck starting');
  });

  it('leaves no moto behind when its Node parent is killed with SIGKILL', async () => {
    const script = join(scratch, 'parent.mjs');
    writeFileSync(
      script,
      `import { startMoto } from ${JSON.stringify(join(root, 'dist/sandbox/moto.js'))};\n` +
        `const moto = await startMoto();\nconsole.log('PID=' + moto.pid);\nsetInterval(() => {}, 1000);\n`,
    );
    const parent = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      parent.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /PID=(\d+)/.exec(out);
        if (match) resolve(Number(match[1]));
      });
      parent.once('exit', (code) => reject(new Error(`parent exited early with ${code}`)));
    });
    expect(isDead(pid)).toBe(false);
    parent.kill('SIGKILL');
    expect(await waitFor(() => isDead(pid), 5000)).toBe(true);
  });
});
