#!/usr/bin/env node
// Start-up cost of commands that make no AWS call, as a ratio to a bare `node -e 0` measured in
// the same run (absolute times vary by machine; the ratio is what the targets speak of).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 15);
const runbook = join(root, 'runbooks', 'cognito-migration.yaml');
const stateDir = mkdtempSync(join(tmpdir(), 'migrate-bench-'));
const env = { ...process.env, NO_COLOR: '1', MIGRATE_STATE_DIR: stateDir };
const bin = join(root, 'dist', 'bin.js');

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'migrate --help', args: [bin, '--help'], target: 1.3 },
  { name: 'migrate validate', args: [bin, 'validate', '--runbook', runbook], target: 2 },
  { name: 'migrate status', args: [bin, 'status', '--runbook', runbook, '--env', 'sandbox'], target: 2 },
];

function time(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { env, cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// Interleave the cases so machine noise hits all of them alike.
const samples = new Map(cases.map((c) => [c.name, []]));
for (const c of cases) time(c.args); // warm the file cache
for (let i = 0; i < runs; i++) for (const c of cases) samples.get(c.name).push(time(c.args));

const base = median(samples.get('node -e 0'));
console.log(`start-up, median of ${runs} runs, as a ratio to node -e 0`);
console.log('  (status reads a validated runbook from the summary cache after its first run; validate always validates;');
console.log('   --help prints the text commander rendered on its first run for this build and output width)');
for (const c of cases.slice(1)) {
  const ratio = median(samples.get(c.name)) / base;
  const probe = spawnSync(process.execPath, ['--import', join(root, 'bench', 'aws-import-probe.mjs'), ...c.args], {
    env,
    cwd: root,
    encoding: 'utf8',
  });
  const aws = /AWS_SDK_MODULES=(\d+)/.exec(probe.stderr)?.[1] ?? '?';
  const zod = /ZOD_MODULES=(\d+)/.exec(probe.stderr)?.[1] ?? '?';
  const files = /FILES=(\d+)/.exec(probe.stderr)?.[1] ?? '?';
  console.log(
    `  ${c.name.padEnd(18)} ${ratio.toFixed(2)}x   (target <= ${c.target}x: ${ratio <= c.target ? 'met' : 'NOT met'})   AWS SDK modules loaded: ${aws}, zod modules: ${zod}, files read: ${files}`,
  );
}
