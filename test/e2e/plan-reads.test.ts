import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox.js';
import { BIN, ROOT, RUNBOOK, cli, runbookCopy, sandboxEnv, tempDir } from './helpers.js';

/** Issue 17: a plan reads each thing once, and reads while the account is checked. */
describe('what a plan asks AWS', () => {
  let sandbox: Sandbox;
  const dir = tempDir();
  beforeAll(async () => {
    sandbox = await startSandbox({ timeScale: 600 });
  });
  afterAll(async () => {
    await sandbox?.stop();
    dir.remove();
  });

  async function calls(args: string[], state: string, runbook = RUNBOOK) {
    const mark = sandbox.proxy.requests.length;
    const result = await cli(['--runbook', runbook, ...args], sandboxEnv(sandbox, state));
    const sent = sandbox.proxy.requests.slice(mark).filter((r) => r.service !== 'unknown');
    const count = (operation: string) => sent.filter((r) => r.operation === operation).length;
    return { result, sent, count };
  }

  it('plan pre and plan mid list the REST APIs, the user pools and the zones once, and describe each pool once', async () => {
    const state = join(dir.path, 'counts');
    const pre = await calls(['plan', 'pre'], state);
    expect(pre.result.code, pre.result.stderr).toBe(0);
    expect(pre.sent.filter((r) => r.write)).toEqual([]);
    // Four asserts on one pool and one on another: one listing, one description per pool, one client listing.
    expect(pre.count('ListUserPools')).toBe(1);
    expect(pre.count('DescribeUserPool')).toBe(2);
    expect(pre.count('ListUserPoolClients')).toBe(1);
    expect(pre.count('GetRestApis')).toBe(1);
    expect(pre.count('GetCallerIdentity')).toBe(1);
    expect(pre.sent.length).toBeLessThanOrEqual(11);

    const mid = await calls(['plan', 'mid'], state);
    expect(mid.result.code, mid.result.stderr).toBe(0);
    expect(mid.sent.filter((r) => r.write)).toEqual([]);
    // mid.2, mid.4 and mid.5a name their APIs by name: one listing; mid.2 and mid.5a share a stage.
    expect(mid.count('GetRestApis')).toBe(1);
    expect(mid.count('GetStage')).toBe(2);
    expect(mid.count('ListHostedZonesByName')).toBe(1);
    expect(mid.count('GetCallerIdentity')).toBe(1);
    expect(mid.sent.length).toBeLessThanOrEqual(10);
  });

  it('plan mid with credentials for another account: exit 2 with the account check message, nothing shown, recorded or written', async () => {
    const sub = join(dir.path, 'account');
    mkdirSync(sub);
    const runbook = runbookCopy(sub, [['    account: "000000000000"\n', '    account: "111111111111"\n']]);
    const state = join(sub, 'state');
    for (const args of [
      ['plan', 'mid'],
      ['plan', 'mid', '--json'],
    ]) {
      const { result, sent } = await calls(args, state, runbook);
      expect(result.code, result.stdout).toBe(2);
      expect(result.stderr).toMatch(/these credentials are for account 000000000000 .* but environment "sandbox" is account 111111111111/);
      expect(result.stderr).not.toMatch(/^\s+at /m);
      expect(result.stdout).toBe('');
      // A plan's reads go out alongside the check (read-only); nothing is ever written.
      expect(sent.filter((r) => r.write)).toEqual([]);
      expect(sent.filter((r) => r.operation === 'GetCallerIdentity')).toHaveLength(1);
    }
    expect(existsSync(join(state, 'sandbox', 'audit.jsonl'))).toBe(false);
    expect(existsSync(join(state, 'sandbox', 'state.json'))).toBe(false);
  });

  it('plan mid, plan mid --json and status start without zod, yaml or listr2 for a valid runbook (they load for a problem to word)', async () => {
    const state = join(dir.path, 'modules');
    const packages = JSON.parse(readFileSync(join(ROOT, 'dist/packages.json'), 'utf8')) as Record<string, string[]>;
    const dist = join(BIN, '..');
    const loaded = async (args: string[], runbook = RUNBOOK, extra: NodeJS.ProcessEnv = {}) => {
      const log = join(dir.path, `modules-${args.join('-')}-${Math.random()}.log`);
      const result = await cli(['--runbook', runbook, ...args], {
        ...sandboxEnv(sandbox, state),
        NODE_OPTIONS: `--import ${join(ROOT, 'test/fixtures/record-modules.mjs')}`,
        MIGRATE_TEST_MODULES_LOG: log,
        // The chunks, as Node 22 and the small commands load them; on Node 20 `plan` otherwise runs
        // the one-file bundle from its code cache (test/e2e/code-cache.test.ts), which the hooks cannot see into.
        MIGRATE_CODE_CACHE: '0',
        ...extra,
      });
      const files = readFileSync(log, 'utf8')
        .trim()
        .split('\n')
        .map((url) => relative(dist, fileURLToPath(url)));
      return { result, packages: new Set(files.flatMap((f) => packages[f] ?? [])) };
    };
    for (const args of [['plan', 'mid'], ['plan', 'mid', '--json'], ['status']]) {
      const { result, packages: used } = await loaded(args);
      expect(result.code, result.stderr).toBe(0);
      expect(used.has('migrate'), 'the hooks saw the bundle load').toBe(true);
      for (const heavy of ['zod', 'yaml', 'listr2']) expect(used.has(heavy), `${args.join(' ')} loaded ${heavy}`).toBe(false);
    }
    // A value known only at run time (a terraform output) that the parameters refuse: zod words it.
    const tf = JSON.parse(readFileSync(sandbox.exports.MIGRATE_SANDBOX_TERRAFORM_OUTPUTS!, 'utf8')) as Record<string, { value: string }>;
    tf.admins_ui_distribution_domain!.value = 'not a host!';
    const badTf = join(dir.path, 'bad-tf.json');
    writeFileSync(badTf, JSON.stringify(tf));
    const refused = await loaded(['plan', 'mid'], RUNBOOK, { MIGRATE_SANDBOX_TERRAFORM_OUTPUTS: badTf });
    expect(refused.result.code, refused.result.stderr).toBe(2);
    expect(refused.result.stderr).toContain(
      'phases.mid[2].with.alias.cloudfront  expected a DNS name such as "apps.tis.nhs.uk", got "not a host!" (from ${vars.adminsDistribution})',
    );
    expect(refused.packages.has('zod')).toBe(true);
  });

  it('plan mid --json is the same whether the runbook comes from the validated cache or is checked afresh, and from the chunks or the code-cached bundle', async () => {
    const state = join(dir.path, 'cache-state');
    const cacheHome = join(dir.path, 'cache-home');
    const plan = async (extra: NodeJS.ProcessEnv = {}) => {
      const result = await cli(
        ['--runbook', RUNBOOK, 'plan', 'mid', '--json'],
        sandboxEnv(sandbox, state, { XDG_CACHE_HOME: cacheHome, ...extra }),
      );
      expect(result.code, result.stderr).toBe(0);
      // Timings differ run to run; everything else must not.
      return result.stdout.replace(/"(\w*(?:Ms|At|ms|duration|at))":\s*("[^"]*"|[\d.]+)/g, '"$1":0');
    };
    const miss = await plan();
    expect(existsSync(join(cacheHome, 'migrate'))).toBe(true);
    expect(await plan()).toBe(miss);
    // And whether it ran from the chunks or (Node 20) from the one-file bundle and its code cache.
    expect(await plan({ MIGRATE_CODE_CACHE: '0' })).toBe(miss);
  });
});
