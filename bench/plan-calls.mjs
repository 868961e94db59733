#!/usr/bin/env node
// The AWS calls each read-only command makes against a fresh sandbox, counted from the sandbox
// proxy's request log: how many, and which operations. Not a test; prints and exits 0.
//   node bench/plan-calls.mjs [--json]   (after npm run build)
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'dist', 'bin.js');
const runbook = join(root, 'runbooks', 'cognito-migration.yaml');
const { startSandbox } = await import(join(root, 'dist', 'sandbox', 'sandbox.js'));

function run(args, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args, '--runbook', runbook, '--env', 'sandbox'], {
      env,
      cwd: root,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out, err }));
  });
}

const sandbox = await startSandbox({ timeScale: 600 });
const results = {};
try {
  const env = { ...process.env, ...sandbox.exports, NO_COLOR: '1', MIGRATE_STATE_DIR: mkdtempSync(join(tmpdir(), 'migrate-plan-calls-')) };
  const commands = [
    ['plan', 'pre'],
    ['plan', 'mid'],
    ['plan', 'post'],
    ['run', 'mid', '--yes'],
    ['plan', 'mid'],
    ['rollback', '4', '--dry-run'],
    ['rollback', '4', '--yes'],
  ];
  for (const args of commands) {
    sandbox.proxy.clearLog();
    const { code, err } = await run(args, env);
    const aws = sandbox.proxy.requests.filter((r) => r.service !== 'unknown' && !r.path.startsWith('/moto-api'));
    const byOp = {};
    for (const r of aws) byOp[`${r.service}.${r.operation}`] = (byOp[`${r.service}.${r.operation}`] ?? 0) + 1;
    const label = args.join(' ');
    results[label] = { exit: code, calls: aws.length, writes: aws.filter((r) => r.write).length, byOp };
    if (code !== 0 && code !== 1) process.stderr.write(`${label}: exit ${code}\n${err}\n`);
  }
} finally {
  await sandbox.stop();
}
if (process.argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
else
  for (const [label, r] of Object.entries(results)) {
    console.log(`${label.padEnd(24)} exit ${r.exit}  ${r.calls} AWS calls (${r.writes} writes)`);
    for (const [op, n] of Object.entries(r.byOp)) console.log(`    ${String(n).padStart(3)} ${op}`);
  }
