#!/usr/bin/env node
// Benchmark of `migrate users sync` / `users diff` against moto on loopback. Runs the compiled
// dist/ (npm run build first). Prints ratios and counts, never pass/fail on absolute times.
//
//   node bench/users.mjs [--users 2000,20000] [--rate 200] [--concurrency 16] [--naive 500]
//                        [--latency-ms 30] [--throttle 0.02] [--retry-mode standard|adaptive]
//                        [--diff-users 100000] [--pool alias|username] [--burners 0]
//
// moto is the sandbox's (src/sandbox/moto_patch.py, through dist/sandbox/moto.js). Each --users
// size syncs into a fresh pool, so the rate is compared at each pool size. --pool alias (the
// default) makes pools that sign in by email, as the TIS estate's does (moto then looks users up
// by attribute); --pool username uses the email as the username. The diff figures are `users
// diff --json` of a --diff-users export against an empty pool and against a pool of as many users
// (filled in bulk by the sandbox's /moto-api/migrate/cognito-seed: 1% of them only in Cognito,
// 1% differing, 1% of the export missing), each in a child process, peak RSS from maxRSS.
//
// --retry-mode is the SDK client's: the token bucket already paces every attempt, and the SDK's
// "adaptive" mode adds a client-side limiter that cuts its rate by 30% on each throttling answer,
// so even 1% of throttled requests holds a sync far below Q (try --retry-mode adaptive).
//
// --latency-ms adds that delay to every request, standing in for the round trip to Cognito (moto
// on loopback answers in a millisecond or two, which would make any one-at-a-time loop look fast).
// The requests go through the sandbox's front proxy (dist/sandbox/proxy.js) when the build has it:
// then --throttle answers that share of requests with Cognito's ThrottlingException, for the SDK's
// own retries to absorb, and the proxy's request log counts the AdminCreateUser calls moto applied.
// Without it, a small latency-only proxy here stands in, and throttling is not injected.
//
// --burners N runs N processes that only burn CPU while the syncs run: the machine "under load"
// (two on the 2-core machine). moto and this process then get a share of the cores, and the
// figures say whether the sync still holds its rate when the machine, not the code, is short.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const root = fileURLToPath(new URL('..', import.meta.url));
const dist = (p) => new URL(`../dist/${p}`, import.meta.url).href;
if (!existsSync(join(root, 'dist/commands/users.js'))) {
  console.error('bench/users.mjs runs the compiled code: run `npm run build` first.');
  process.exit(2);
}

const { values: flags } = parseArgs({
  options: {
    users: { type: 'string', default: '2000,20000' },
    rate: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '16' },
    naive: { type: 'string', default: '500' },
    'latency-ms': { type: 'string', default: '30' },
    throttle: { type: 'string', default: '0.02' },
    'retry-mode': { type: 'string', default: 'standard' },
    'diff-users': { type: 'string', default: '100000' },
    pool: { type: 'string', default: 'alias' },
    burners: { type: 'string', default: '0' },
  },
});
// --users 0 skips the syncs (diff figures only).
const SIZES = flags.users
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const N = Math.max(0, ...SIZES);
const Q = Number(flags.rate);
const C = Number(flags.concurrency);
const NAIVE = Math.min(Number(flags.naive), N);
const LATENCY = Number(flags['latency-ms']);
const DIFF_USERS = Number(flags['diff-users']);
const THROTTLE = Number(flags.throttle);
const ALIAS = flags.pool !== 'username';
const sandboxProxy = existsSync(join(root, 'dist/sandbox/proxy.js')) ? await import(dist('sandbox/proxy.js')) : undefined;
const sandboxMoto = await import(dist('sandbox/moto.js'));

// The bundle's own copy of the SDK: its paginators refuse a client of node_modules' copy.
const sdk = await import(dist('sdk/client-cognito-identity-provider.js'));
const { usersSync } = await import(dist('commands/users.js'));
const { createProgressRenderer } = await import(dist('users/progress.js'));

const children = [];
const servers = [];
const stops = [];
const tmp = await mkdtemp(join(tmpdir(), 'migrate-bench-users-'));

/** The sandbox's moto (moto_patch.py): what `rehearse` and the tests run against. */
async function startMoto() {
  const moto = await sandboxMoto.startMoto({ timeoutMs: 60_000 });
  stops.push(() => moto.stop());
  return moto.url;
}

/** Forwards each request to moto after `ms` milliseconds: a stand-in for network latency. */
async function startLatencyProxy(target, ms) {
  const url = new URL(target);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const server = http.createServer((req, res) => {
    const body = [];
    req.on('data', (c) => body.push(c));
    req.on('end', () =>
      setTimeout(() => {
        const up = http.request(
          { host: url.hostname, port: url.port, method: req.method, path: req.url, headers: req.headers, agent },
          (r) => {
            res.writeHead(r.statusCode ?? 502, r.headers);
            r.pipe(res);
          },
        );
        up.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        up.end(Buffer.concat(body));
      }, ms),
    );
  });
  servers.push(server);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${server.address().port}`;
}

/** Up to 10 attempts, as the CLI's AWS session allows; the retry mode is --retry-mode. */
function client(endpoint) {
  return new sdk.CognitoIdentityProviderClient({
    endpoint,
    region: 'eu-west-2',
    credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' },
    retryMode: flags['retry-mode'],
    maxAttempts: 10,
    requestHandler: { httpAgent: new http.Agent({ keepAlive: true, maxSockets: 64 }) },
  });
}

const user = (i) => ({
  username: `bench${i}`,
  email: `bench${i}@example.nhs.uk`,
  firstName: `First${i}`,
  lastName: `Last${i}`,
  enabled: i % 10 !== 0,
  emailVerified: true,
  attributes: { DBC: ['1-1RUZV1D', `1-${i}X`] },
  groups: i % 4 === 0 ? ['/RevalAdmin'] : [],
  realmRoles: ['offline_access'],
  credentials: [{ type: 'password', secretData: '{"value":"not-a-real-hash"}' }],
});

async function writeExport(file, count, first = 0) {
  const out = createWriteStream(file);
  const write = async (t) => {
    if (!out.write(t)) await once(out, 'drain');
  };
  await write('{"realm":"lin","users":[');
  for (let i = first; i < first + count; i++) await write(`${i > first ? ',' : ''}${JSON.stringify(user(i))}`);
  await write(']}');
  out.end();
  await once(out, 'finish');
}

async function createPool(c, name) {
  const out = await c.send(
    new sdk.CreateUserPoolCommand({
      PoolName: name,
      Schema: [{ Name: 'dbc', AttributeDataType: 'String', Mutable: true }],
      ...(ALIAS ? { UsernameAttributes: ['email'] } : {}),
    }),
  );
  const id = out.UserPool.Id;
  await c.send(new sdk.CreateGroupCommand({ UserPoolId: id, GroupName: 'reval-admins' }));
  return id;
}

async function listAll(c, poolId) {
  const users = [];
  let token;
  do {
    const out = await c.send(new sdk.ListUsersCommand({ UserPoolId: poolId, Limit: 60, ...(token ? { PaginationToken: token } : {}) }));
    users.push(...(out.Users ?? []));
    token = out.PaginationToken;
  } while (token);
  return users;
}

/** Fills a pool through the sandbox's bulk seeding endpoint, as users sync would have made them. */
async function seed(motoUrl, poolId, count, first, differs) {
  const CHUNK = 5000;
  for (let start = first; start < first + count; start += CHUNK) {
    const lines = [];
    for (let i = start; i < Math.min(first + count, start + CHUNK); i++) {
      const u = user(i);
      lines.push(
        JSON.stringify({
          username: u.email,
          attributes: [
            { Name: 'email', Value: u.email },
            { Name: 'email_verified', Value: 'true' },
            { Name: 'given_name', Value: differs(i) ? `Other${i}` : u.firstName },
            { Name: 'family_name', Value: u.lastName },
            { Name: 'custom:dbc', Value: u.attributes.DBC.join(',') },
          ],
          enabled: u.enabled,
          groups: u.groups.length ? ['reval-admins'] : [],
        }),
      );
    }
    const res = await fetch(`${motoUrl}/moto-api/migrate/cognito-seed?userPoolId=${encodeURIComponent(poolId)}`, {
      method: 'POST',
      body: lines.join('\n'),
    });
    if (!res.ok) throw new Error(`cognito-seed: HTTP ${res.status} ${await res.text()}`);
    await res.arrayBuffer();
  }
}

const mapping = { userPool: 'bench', attributes: { DBC: 'custom:dbc' }, groups: { RevalAdmin: 'reval-admins' }, rate: Q, concurrency: C };

function deps(c, poolId, checkpointFile, progress) {
  return {
    cognito: c,
    mapping,
    userPoolId: poolId,
    checkpointFile,
    audit: () => {},
    out: { line: () => {}, json: () => {}, progress },
    signal: new AbortController().signal,
  };
}

try {
  const motoUrl = await startMoto();
  let proxy;
  let endpoint = motoUrl;
  if (sandboxProxy) {
    proxy = await sandboxProxy.startProxy({ target: motoUrl, faults: { latencyMs: LATENCY, throttle: THROTTLE } });
    stops.push(() => proxy.stop());
    endpoint = proxy.url;
  } else if (LATENCY > 0) endpoint = await startLatencyProxy(motoUrl, LATENCY);
  const direct = client(motoUrl);
  const viaNet = client(endpoint);
  console.log(
    `users bench: sync of ${SIZES.join(', ') || 'no'} users, rate limit Q=${Q} requests/s, concurrency ${C}, simulated latency ${LATENCY} ms/request; ${flags.pool} pools`,
  );
  console.log(
    sandboxProxy
      ? `throttling injection: ${THROTTLE} of requests answered ThrottlingException by the sandbox proxy (SDK ${flags['retry-mode']} retries, 10 attempts)`
      : 'throttling injection: not available (this build has no dist/sandbox/proxy.js); latency only, through a stand-in proxy',
  );

  // 1. Naive: one user at a time, each call awaited, no limiter — what a quick script would do.
  const naivePool = await createPool(direct, 'naive');
  const naiveStart = performance.now();
  for (let i = 0; i < NAIVE; i++) {
    const u = user(i);
    const Username = u.email;
    await viaNet.send(
      new sdk.AdminCreateUserCommand({
        UserPoolId: naivePool,
        Username,
        MessageAction: 'SUPPRESS',
        UserAttributes: [
          { Name: 'email', Value: Username },
          { Name: 'email_verified', Value: 'true' },
          { Name: 'given_name', Value: u.firstName },
          { Name: 'family_name', Value: u.lastName },
          { Name: 'custom:dbc', Value: u.attributes.DBC.join(',') },
        ],
      }),
    );
    if (!u.enabled) await viaNet.send(new sdk.AdminDisableUserCommand({ UserPoolId: naivePool, Username }));
    if (u.groups.length)
      await viaNet.send(new sdk.AdminAddUserToGroupCommand({ UserPoolId: naivePool, Username, GroupName: 'reval-admins' }));
  }
  const naiveRate = NAIVE / ((performance.now() - naiveStart) / 1000);

  // 2. users sync of each size, into a fresh pool each time.
  const burners = Array.from({ length: Number(flags.burners) }, () => spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' }));
  children.push(...burners);
  if (burners.length) console.log(`${burners.length} CPU burner(s) running during the syncs`);
  const syncs = [];
  for (const size of SIZES) {
    const exportFile = join(tmp, `lin-realm-${size}.json`);
    await writeExport(exportFile, size);
    const pool = await createPool(direct, `sync-${size}`);
    proxy?.clearLog();
    const renderer = createProgressRenderer({ stream: process.stderr, everyPercent: 10 });
    let last;
    const checkpoint = join(tmp, `sync-${size}.checkpoint.json`);
    const result = await usersSync(
      deps(viaNet, pool, checkpoint, (p) => {
        last = p;
        renderer.update(p);
      }),
      { exportFile, dryRun: false, invite: false, passwordOk: true },
    );
    renderer.done();
    const users = await listAll(direct, pool);
    const byEmail = new Map();
    for (const u of users) {
      const email = (u.Attributes?.find((a) => a.Name === 'email')?.Value ?? u.Username).toLowerCase();
      byEmail.set(email, (byEmail.get(email) ?? 0) + 1);
    }
    let lost = 0;
    for (let i = 0; i < size; i++) if (!byEmail.has(user(i).email)) lost++;
    const duplicated = [...byEmail.values()].reduce((n, k) => n + k - 1, 0);
    const log = proxy ? proxy.requests.filter((r) => r.service === 'cognito-idp') : undefined;
    const again = await usersSync(deps(viaNet, pool, checkpoint), { exportFile, dryRun: false, invite: false, passwordOk: true });
    await rm(exportFile, { force: true });
    syncs.push({ size, rate: last.requestsPerSecond });

    console.log('');
    console.log(
      `sync of ${size}: ${result.created} created, ${result.disabled} disabled, ${result.grouped} group memberships, ${result.failed.length} failed, in ${last.elapsedSeconds.toFixed(1)}s of writing (${result.elapsedSeconds.toFixed(1)}s in all)`,
    );
    console.log(
      `  achieved rate: ${last.requestsPerSecond.toFixed(1)} requests/s = ${(last.requestsPerSecond / Q).toFixed(2)} x Q (${last.usersPerSecond.toFixed(1)} users/s)`,
    );
    console.log(
      `  lost: ${lost}   duplicated: ${duplicated}   users in pool: ${users.length} of ${size}   second sync created: ${again.created}`,
    );
    if (log) {
      const applied = log.filter((r) => r.operation === 'AdminCreateUser' && !r.injected && r.status === 200).length;
      const throttled = log.filter((r) => r.injected === 'throttle').length;
      console.log(
        `  proxy log: ${log.length} requests, ${throttled} answered ThrottlingException and retried by the SDK; AdminCreateUser applied by moto ${applied} times for ${result.created} users created (extra: ${applied - result.created})`,
      );
    }
    console.log(
      `  naive one-at-a-time loop over ${NAIVE} users: ${naiveRate.toFixed(1)} users/s; sync is ${(last.usersPerSecond / naiveRate).toFixed(1)}x that (target >= 5x)`,
    );
    proxy?.clearLog();
  }

  for (const b of burners) b.kill('SIGTERM');

  // 3. Peak RSS of `users diff --json` on a DIFF_USERS export, against an empty pool and against a
  // pool of DIFF_USERS users, each in a child process that prints the JSON as the CLI does.
  if (DIFF_USERS > 0) {
    const bigExport = join(tmp, 'big-realm.json');
    await writeExport(bigExport, DIFF_USERS);
    const empty = await createPool(direct, 'diff-empty');
    const full = await createPool(direct, 'diff-full');
    const seedStart = performance.now();
    const extra = Math.floor(DIFF_USERS / 100);
    // The pool: the export's users but its last 1% (missing in Cognito), then 1% only in Cognito;
    // every 100th user differs (another given name).
    await seed(motoUrl, full, DIFF_USERS - extra, 0, (i) => i % 100 === 50);
    await seed(motoUrl, full, extra, DIFF_USERS, () => false);
    const seedSeconds = (performance.now() - seedStart) / 1000;
    const script = `
      process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
      const { writeSync } = await import('node:fs');
      const sdk = await import(${JSON.stringify(dist('sdk/client-cognito-identity-provider.js'))});
      const { usersDiff } = await import(${JSON.stringify(dist('commands/users.js'))});
      // What the CLI writes --json with (src/commands/users-cli.ts).
      const { printJsonStreamed } = await import(${JSON.stringify(dist('users/json-out.js'))});
      const [endpoint, poolId, file, mappingJson] = process.argv.slice(1);
      const cognito = new sdk.CognitoIdentityProviderClient({ endpoint, region: 'eu-west-2', credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
      const started = performance.now();
      const r = await usersDiff({ cognito, mapping: JSON.parse(mappingJson), userPoolId: poolId, checkpointFile: '/dev/null', audit() {}, out: { line() {}, json: printJsonStreamed }, signal: new AbortController().signal }, { exportFile: file, json: true });
      writeSync(3, JSON.stringify({ counts: r.counts, seconds: (performance.now() - started) / 1000, maxRssKb: process.resourceUsage().maxRSS }));
    `;
    for (const [label, pool] of [
      ['an empty pool', empty],
      [`a pool of ${DIFF_USERS}`, full],
    ]) {
      const child = spawn(process.execPath, ['--input-type=module', '-e', script, motoUrl, pool, bigExport, JSON.stringify(mapping)], {
        cwd: root,
        stdio: ['ignore', 'ignore', 'inherit', 'pipe'],
      });
      children.push(child);
      let out = '';
      child.stdio[3].on('data', (c) => (out += c));
      await once(child, 'close');
      const diff = JSON.parse(out);
      const mb = diff.maxRssKb / 1024;
      const c = diff.counts;
      console.log(
        `users diff --json of ${DIFF_USERS} users against ${label}: ${c.missing} missing, ${c.onlyInCognito} only in Cognito, ${c.differing} differ, ${c.same} same, in ${diff.seconds.toFixed(1)}s; peak RSS ${mb.toFixed(0)} MB = ${(mb / 200).toFixed(2)} x the 200 MB budget`,
      );
    }
    console.log(`  (the pool of ${DIFF_USERS} was filled in ${seedSeconds.toFixed(1)}s by the sandbox's bulk seeding)`);
  }
  if (syncs.length > 1) {
    const [a, b] = [syncs[0], syncs.at(-1)];
    console.log(
      `sync rate at ${b.size} users is ${(b.rate / a.rate).toFixed(2)} x the rate at ${a.size} (${(a.rate / Q).toFixed(2)} Q -> ${(b.rate / Q).toFixed(2)} Q)`,
    );
  }
} finally {
  for (const stop of stops) await stop();
  for (const s of servers) s.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await rm(tmp, { recursive: true, force: true });
}
