#!/usr/bin/env node
// `plan mid` (the whole phase, read-only) against a fresh sandbox, as a ratio to one AWS CLI call
// (`aws route53 list-hosted-zones`, when an `aws` CLI is on PATH) measured in the same run, and
// again with latency injected on every AWS call, against the goal "start-up + 3 round trips".
// A benchmark, not a test: it prints the figures and exits 0 whatever they are.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const runs = Number(process.env.BENCH_RUNS ?? 7);
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 200);
const bin = join(root, 'dist', 'bin.js');
const runbook = join(root, 'runbooks', 'cognito-migration.yaml');
const { startSandbox } = await import(join(root, 'dist', 'sandbox', 'sandbox.js'));

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timed(cmd, args, env) {
  const start = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env, cwd: root, encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const sandbox = await startSandbox({ timeScale: 600 });
try {
  const env = { ...process.env, ...sandbox.exports, NO_COLOR: '1', MIGRATE_STATE_DIR: mkdtempSync(join(tmpdir(), 'migrate-bench-plan-')) };
  const plan = () => timed(process.execPath, [bin, 'plan', 'mid', '--runbook', runbook, '--env', 'sandbox'], env);
  const node = () => timed(process.execPath, ['-e', '0'], env);
  const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
  const aws = () => timed('aws', ['route53', 'list-hosted-zones', '--output', 'json'], env);

  plan(); // warm the file cache and the status cache
  const samples = { plan: [], node: [], aws: [] };
  for (let i = 0; i < runs; i++) {
    samples.plan.push(plan());
    samples.node.push(node());
    if (hasAws) samples.aws.push(aws());
  }
  const planMs = median(samples.plan);
  console.log(`plan mid against the sandbox, median of ${runs} runs`);
  console.log(`  plan mid             ${(planMs / median(samples.node)).toFixed(2)}x node -e 0`);
  if (hasAws) {
    const ratio = planMs / median(samples.aws);
    console.log(
      `  plan mid             ${ratio.toFixed(2)}x one 'aws route53 list-hosted-zones'   (goal <= 0.5x: ${ratio <= 0.5 ? 'met' : 'NOT met'})`,
    );
  } else {
    console.log('  (no aws CLI on PATH: the comparison with one AWS CLI call is left out)');
  }

  sandbox.proxy.setFaults({ latencyMs });
  const slow = [];
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) slow.push(plan());
  const slowMs = median(slow);
  const goal = planMs + 3 * latencyMs;
  console.log(
    `  plan mid, ${latencyMs} ms per AWS call: ${(slowMs / goal).toFixed(2)}x the goal of start-up + 3 x ${latencyMs} ms   (${slowMs <= goal ? 'met' : 'NOT met'})`,
  );
} finally {
  await sandbox.stop();
}
